"""One word per thing: the platforms' many spellings of a device or a gender.

Google writes MOBILE, Microsoft Smartphone, Meta iphone, the Korean interfaces
모바일; a report by device must show one "mobile" bar, not four. Values not in the
table are kept as the platform wrote them.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from adreport.ingest.spec import fold

DEVICES = {
    "mobile": (
        "mobile",
        "mobile phones",
        "mobile devices with full browsers",
        "smartphone",
        "smartphones",
        "iphone",
        "android_smartphone",
        "mobile_app",
        "mobile_web",
        "모바일",
        "휴대전화",
        "스마트폰",
    ),
    "desktop": ("desktop", "computer", "computers", "pc", "컴퓨터", "데스크톱"),
    "tablet": (
        "tablet",
        "tablets",
        "tablets with full browsers",
        "ipad",
        "android_tablet",
        "태블릿",
    ),
    "tv": ("connected_tv", "tv screens", "tv", "ctv", "tv 화면"),
    "other": ("other", "unknown", "unspecified", "기타", "알 수 없음"),
}
GENDERS = {
    "female": ("female", "f", "woman", "women", "여성", "여"),
    "male": ("male", "m", "man", "men", "남성", "남"),
    "unknown": ("unknown", "u", "undetermined", "not specified", "알 수 없음"),
}
STANDARD = {
    "device": {fold(word): name for name, words in DEVICES.items() for word in words},
    "gender": {fold(word): name for name, words in GENDERS.items() for word in words},
}


def standard_values(field: str, values: pa.Array) -> pa.Array:
    """The standard word for each value of `field` (device, gender), if it has one."""
    table = STANDARD.get(field)
    if table is None or len(values) == 0:
        return values
    distinct = pc.unique(values).to_pylist()
    mapped = [table.get(fold(v), v) if v else v for v in distinct]
    positions = pc.index_in(values, pa.array(distinct, pa.string()))
    return pc.take(pa.array(mapped, pa.string()), positions)

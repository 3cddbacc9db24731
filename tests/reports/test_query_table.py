"""`adreport query --lang ko` prints its footer and notes in Korean, as a table reader
sees them under the numbers."""

from __future__ import annotations

import io
from datetime import date

from rich.console import Console

from adreport.cli.output import print_table
from adreport.metrics.backends import DuckDBDatabase
from adreport.metrics.fx import Rates
from adreport.metrics.query import MetricQuery, run_query
from adreport.warehouse import Warehouse

START, END = date(2023, 5, 20), date(2023, 7, 9)


def printed(world, by: list[str], lang: str) -> str:
    settings = world.settings
    with Warehouse(settings.warehouse_path) as warehouse:
        db = DuckDBDatabase(warehouse, Rates(settings.data_dir))
        query = MetricQuery(["spend", "ctr"], by, START, END)
        result = run_query(db, settings.registry(), query)
    out = io.StringIO()
    print_table(result, Console(file=out, width=400, color_system=None), lang)
    return out.getvalue()


def test_korean_footer_and_notes(lean):
    shown = printed(lean, ["age"], "ko") + printed(lean, ["campaign"], "ko")

    assert "2023-05-20 ~ 2023-07-09, 금액 단위: USD" in shown
    assert (
        "참고: Microsoft Advertising 계정 666은 연령별로 나눈 데이터가 없어 "
        "해당 분석에서 제외했습니다(합계에는 포함)." in shown
    )
    assert "참고: 계정마다 시간대가 다릅니다(America/New_York (UTC−04:00), " in shown
    assert (
        "참고: 잠정 집계일 1일(2023-05-30): 매체가 아직 수치를 고칠 수 있습니다"
        in shown
    )
    for english in ("amounts in", "note:", "left out", "provisional", "time zones"):
        assert english not in shown, english


def test_english_footer_and_notes_stay_as_they_were(lean):
    shown = printed(lean, ["age"], "en") + printed(lean, ["campaign"], "en")

    assert "2023-05-20 to 2023-07-09, amounts in USD" in shown
    assert "note: microsoft-ads account 666 has no rows that can be split by age" in (
        shown
    )
    assert "note: 1 day(s) still provisional (2023-05-30 to 2023-05-30)" in shown

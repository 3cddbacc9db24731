"""A small advertising world for report tests, imported from CSV files written here.

Period A (2024-03-01 to 03-07) and the week before it hold USD rows of a Google Ads
account in New York (12 campaigns) and a Meta account in Seoul, plus a late file
with one rejected row. Period B (2024-04-01 to 04-02) has spend but no revenue and
no conversions. Period C (2024-05-01 to 05-03) mixes a KRW Naver account with USD.
The raw rows are kept so tests can compute every KPI on their own. A second, lean
world (further down) holds what the first lacks: no client name, revenue-only rows,
periods without revenue or conversions, and more than two years of data.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html import unescape
from pathlib import Path
from xml.etree import ElementTree

import pytest

from adreport.config import Settings, load_settings
from adreport.ingest.importer import ImportOptions, import_file
from adreport.reports.build import ReportFiles, ReportOptions, build_report
from adreport.warehouse import Warehouse
from tests.conftest import missing

NEW_YORK, SEOUL = "America/New_York", "Asia/Seoul"
SCRIPT_NAME = "<script>alert(1)</script>"
IMG_NAME = '"><img src=x onerror=alert(1)>'
TEMPLATE_NAME = "{{7*7}} brand"
CLIENT = "<b>Acme</b> & Co"
MARGIN = Decimal("0.4")

PERIOD_A = (date(2024, 3, 1), date(2024, 3, 7))
BEFORE_A = (date(2024, 2, 23), date(2024, 2, 29))
PERIOD_B = (date(2024, 4, 1), date(2024, 4, 2))
PERIOD_C = (date(2024, 5, 1), date(2024, 5, 3))

COLUMNS = (
    "date",
    "platform",
    "account_id",
    "account_name",
    "currency",
    "timezone",
    "campaign_id",
    "campaign_name",
    "campaign_type",
    "impressions",
    "clicks",
    "spend",
    "conversions",
    "revenue",
)
AUDIENCE_COLUMNS = (
    "date",
    "platform",
    "account_id",
    "currency",
    "timezone",
    "campaign_id",
    "age",
    "gender",
    "impressions",
    "clicks",
    "spend",
    "conversions",
    "revenue",
)


@dataclass
class World:
    data_dir: Path
    rows: list[dict[str, object]] = field(default_factory=list)
    audience: list[dict[str, object]] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        return load_settings(self.data_dir)

    def between(self, start: date, end: date) -> list[dict[str, object]]:
        return [r for r in self.rows if start <= r["date"] <= end]

    def build(self, out: Path, **options: object) -> ReportFiles:
        settings = self.settings
        with Warehouse(settings.warehouse_path) as warehouse:
            return build_report(
                settings, warehouse, ReportOptions(out_dir=out, **options)
            )


def _google_rows(day: date, offset: int) -> list[dict[str, object]]:
    names = [SCRIPT_NAME, TEMPLATE_NAME, *(f"Generic {n}" for n in range(2, 12))]
    types = ["Search", "Shopping", "Performance Max"]
    return [
        {
            "date": day,
            "platform": "google-ads",
            "account_id": "111",
            "account_name": "Acme Search",
            "currency": "USD",
            "timezone": NEW_YORK,
            "campaign_id": f"c{n}",
            "campaign_name": names[n],
            "campaign_type": types[n % 3],
            "impressions": 1000 + 37 * n + 11 * offset,
            "clicks": 40 + n + offset % 5,
            "spend": Decimal("20.00") + n * Decimal("3.15") + offset,
            "conversions": Decimal(2 + (n + offset) % 4),
            "revenue": Decimal("55.00") + Decimal(n * n) * Decimal("1.75") + offset,
        }
        for n in range(12)
    ]


def _meta_row(day: date, offset: int, revenue: bool = True) -> dict[str, object]:
    return {
        "date": day,
        "platform": "meta",
        "account_id": "222",
        "account_name": "Acme Social",
        "currency": "USD",
        "timezone": SEOUL,
        "campaign_id": "m1",
        "campaign_name": IMG_NAME,
        "campaign_type": "",
        "impressions": 5000 + 101 * offset,
        "clicks": 70 + offset,
        "spend": Decimal("80.50") + offset,
        "conversions": Decimal(3) if revenue else Decimal(0),
        "revenue": Decimal("150.25") + 2 * offset if revenue else None,
    }


def _naver_row(day: date, offset: int) -> dict[str, object]:
    return {
        "date": day,
        "platform": "naver-searchad",
        "account_id": "333",
        "account_name": "네이버 검색",
        "currency": "KRW",
        "timezone": SEOUL,
        "campaign_id": "n1",
        "campaign_name": "파워링크 브랜드",
        "campaign_type": "",
        "impressions": 8000 + offset,
        "clicks": 200 + offset,
        "spend": Decimal(150000 + 1000 * offset),
        "conversions": Decimal(9),
        "revenue": Decimal(610000 + 5000 * offset),
    }


def _write(path: Path, columns: tuple[str, ...], rows: list[dict[str, object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(
                ["" if row.get(c) is None else _text(row[c]) for c in columns]
            )
    return path


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(n) for n in range((end - start).days + 1)]


def make_world(folder: Path) -> World:
    data_dir = folder / "data"
    world = World(data_dir)
    inputs = folder / "exports"
    inputs.mkdir(parents=True)

    week_rows = []
    for offset, day in enumerate(_days(BEFORE_A[0], PERIOD_A[1])):
        week_rows += [*_google_rows(day, offset), _meta_row(day, offset)]
    late_good = {
        **_google_rows(date(2024, 3, 2), 0)[0],
        "campaign_id": "c99",
        "campaign_name": "Late file campaign",
    }
    later_rows = [
        _meta_row(day, n, revenue=False) for n, day in enumerate(_days(*PERIOD_B))
    ]
    for offset, day in enumerate(_days(*PERIOD_C)):
        later_rows += [_naver_row(day, offset), _google_rows(day, offset)[3]]
    world.rows = [*week_rows, late_good, *later_rows]
    world.audience = _audience_rows()

    _write(inputs / "weeks.csv", COLUMNS, week_rows)
    late = _write(inputs / "late.csv", COLUMNS, [late_good])
    with late.open("a", encoding="utf-8") as handle:
        handle.write(
            "2024-03-03,google-ads,111,Acme Search,USD,America/New_York,"
            "c99,Late file campaign,Search,100,x,5.00,1,10.00\n"
        )
    _write(inputs / "later.csv", COLUMNS, later_rows)
    _write(inputs / "audience.csv", AUDIENCE_COLUMNS, world.audience)

    data_dir.mkdir()
    (data_dir / "adreport.toml").write_text(
        'client = "<b>Acme</b> & Co"\nmargin = 0.4\n[targets]\nroas = 4.0\ncpa = 10\n',
        encoding="utf-8",
    )
    with Warehouse(data_dir / "warehouse.duckdb") as warehouse:
        march = datetime(2024, 3, 8, 12)
        june = datetime(2024, 6, 1, 12)
        for name, fetched in (
            ("weeks.csv", march),
            ("audience.csv", march),
            ("later.csv", june),
        ):
            import_file(warehouse, inputs / name, ImportOptions(fetched_at=fetched))
        import_file(
            warehouse,
            inputs / "late.csv",
            ImportOptions(fetched_at=june, skip_bad_rows=True, rejects_dir=folder),
        )
    return world


def _audience_rows() -> list[dict[str, object]]:
    rows = []
    for day in _days(*PERIOD_A):
        for n, (age, gender) in enumerate(
            [("18-24", "female"), ("25-34", "male"), ("35-44", "female")]
        ):
            rows.append(
                {
                    "date": day,
                    "platform": "google-ads",
                    "account_id": "111",
                    "currency": "USD",
                    "timezone": NEW_YORK,
                    "campaign_id": "c0",
                    "age": age,
                    "gender": gender,
                    "impressions": 300 + n,
                    "clicks": 10 + n,
                    "spend": Decimal("6.00") + n,
                    "conversions": Decimal(1),
                    "revenue": Decimal("20.00") + 3 * n,
                }
            )
    return rows


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("report-world"))


# Reports of period A made on 2024-03-07 at 15:00 UTC: 10:00 in New York (the day
# is still running there) and already March 8 in Seoul.
MADE_AT = datetime(2024, 3, 7, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def report_a(world: World, tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    out = tmp_path_factory.mktemp("report-a")
    return world.build(
        out, start=PERIOD_A[0], end=PERIOD_A[1], currency="USD", now=MADE_AT
    )


@pytest.fixture(scope="session")
def html_a(report_a: ReportFiles) -> str:
    return report_a.html.read_text(encoding="utf-8")


def pdf_text(path: Path) -> str:
    """The PDF's text as poppler's pdftotext extracts it (pages split by \\f)."""
    tool = shutil.which("pdftotext")
    if tool is None:
        missing("pdftotext is missing: sudo apt-get install -y poppler-utils")
    done = subprocess.run(
        [tool, "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def tile_value(html: str, metric: str) -> str:
    found = re.search(
        rf'data-metric="{metric}">\s*<div class="tile-label">[^<]*</div>\s*'
        r'<div class="tile-value">([^<]*)</div>',
        html,
    )
    assert found, f"no tile for {metric}"
    return found[1]


# A second world with no client name, margin or targets, for what readers saw go
# wrong: a period with revenue rows only (Meta actions without a campaign), periods
# without revenue (ranked by CPA) and without conversions (ranked by CTR), an
# account in Etc/GMT+5, and 29 months of one campaign every third day with a ROAS
# far below 0.1 for weekly and monthly trends.
SHOP, LEADS, BING = ("meta", "444"), ("google-ads", "555"), ("microsoft-ads", "666")
POSIX_ZONE = "Etc/GMT+5"
REVENUE_ONLY = (date(2023, 6, 5), date(2023, 6, 11))
NO_REVENUE = (date(2023, 7, 3), date(2023, 7, 9))
NO_CONVERSIONS = (date(2023, 8, 7), date(2023, 8, 13))
LONG = (date(2021, 1, 1), date(2023, 5, 31))
LONG_FETCHED = datetime(2023, 5, 31, 12)
LEAD_CAMPAIGNS = (
    (LEADS, "g1", "PMax | Leads", "Performance Max"),
    (LEADS, "g2", "Display | Retarget", "Display"),
    (LEADS, "g3", "Brand search", "Search"),
    (BING, "b1", "Bing | Leads", "Search & content"),
    (SHOP, "", "", ""),  # ad rows of Meta actions: no campaign id
)
LEAN_COLUMNS = (*COLUMNS, "ad_id")
ACCOUNTS = {
    SHOP: ("Shop Social", POSIX_ZONE),
    LEADS: ("Lead Gen", NEW_YORK),
    BING: ("Bing Leads", NEW_YORK),
}


def _lean_row(
    day: date, account: tuple[str, str], **values: object
) -> dict[str, object]:
    name, zone = ACCOUNTS[account]
    row: dict[str, object] = {
        "date": day,
        "platform": account[0],
        "account_id": account[1],
        "account_name": name,
        "currency": "USD",
        "timezone": zone,
    }
    return row | values


def _lead_rows() -> list[dict[str, object]]:
    rows = []
    for offset, day in enumerate(_days(*NO_REVENUE)):
        for n, (account, campaign, name, kind) in enumerate(LEAD_CAMPAIGNS):
            rows.append(
                _lean_row(
                    day,
                    account,
                    campaign_id=campaign,
                    campaign_name=name,
                    campaign_type=kind,
                    ad_id="" if campaign else "ad-7",
                    impressions=2000 + 100 * n + offset,
                    clicks=30 + 7 * n + offset,
                    spend=Decimal("40.00") + 11 * n + offset,
                    conversions=Decimal(
                        0 if campaign == "g2" else 1 + (n + offset) % 3
                    ),
                )
            )
    for offset, day in enumerate(_days(*NO_CONVERSIONS)):
        for n, campaign in enumerate(("g1", "g3")):
            rows.append(
                _lean_row(
                    day,
                    LEADS,
                    campaign_id=campaign,
                    campaign_name=LEAD_CAMPAIGNS[2 * n][2],
                    campaign_type=LEAD_CAMPAIGNS[2 * n][3],
                    impressions=1500 + 400 * n,
                    clicks=20 + 9 * n + offset,
                    spend=Decimal("25.00") + offset,
                )
            )
    return rows


def _long_rows() -> list[dict[str, object]]:
    rows = []
    for n, day in enumerate(_days(*LONG)[::3]):
        rows.append(
            _lean_row(
                day,
                LEADS,
                campaign_id="g4",
                campaign_name="Always on",
                campaign_type="Search",
                impressions=900 + n % 13,
                clicks=15 + n % 7,
                spend=Decimal("30.00") + n % 17 * Decimal("4.25"),
                conversions=Decimal(n % 3),
                revenue=Decimal("0.40") + n % 5 * Decimal("0.35"),
            )
        )
    return rows


@dataclass
class LeanWorld(World):
    fetched: dict[date, datetime] = field(default_factory=dict)

    def provisional(self, day: date) -> bool:
        fetched = self.fetched[day]
        return day >= fetched.date() - timedelta(days=3)


def make_lean_world(folder: Path) -> LeanWorld:
    data_dir = folder / "data"
    world = LeanWorld(data_dir)
    inputs = folder / "exports"
    inputs.mkdir(parents=True)
    revenue_only = [
        _lean_row(day, SHOP, campaign_id="", ad_id="ad-7", revenue=Decimal(value))
        for day, value in (
            (date(2023, 6, 6), "60061.00"),
            (date(2023, 6, 9), "1164.10"),
        )
    ]
    later = [*revenue_only, *_lead_rows()]
    long = _long_rows()
    world.rows = [*long, *later]
    september = datetime(2023, 9, 1, 12)
    world.fetched = {r["date"]: LONG_FETCHED for r in long}
    world.fetched |= {r["date"]: september for r in later}
    _write(inputs / "long.csv", LEAN_COLUMNS, long)
    _write(inputs / "later.csv", LEAN_COLUMNS, later)

    data_dir.mkdir()
    with Warehouse(data_dir / "warehouse.duckdb") as warehouse:
        for name, fetched in (("long.csv", LONG_FETCHED), ("later.csv", september)):
            import_file(warehouse, inputs / name, ImportOptions(fetched_at=fetched))
    return world


@pytest.fixture(scope="session")
def lean(tmp_path_factory: pytest.TempPathFactory) -> LeanWorld:
    return make_lean_world(tmp_path_factory.mktemp("lean-world"))


LEAN_MADE_AT = datetime(2023, 9, 2, 9, 0, tzinfo=UTC)


def notes_of(html: str) -> list[str]:
    """The notes as a reader reads them, one string per bullet."""
    section = re.search(r'<section class="notes">(.*?)</section>', html, re.S)
    assert section, "no notes section"
    return [
        unescape(re.sub(r"\s+", " ", item)).strip()
        for item in re.findall(r"<li>(.*?)</li>", section[1], re.S)
    ]


def chart_svg(html: str, name: str) -> ElementTree.Element:
    figure = re.search(rf'data-chart="{name}">(.*?)</figure>', html, re.S)
    assert figure, f"no chart {name}"
    svg = re.search(r"<svg.*</svg>", figure[1], re.S)
    assert svg, f"chart {name} has no SVG"
    return ElementTree.fromstring(svg[0])


def axis_labels(svg: ElementTree.Element, titled: str) -> list[str]:
    """Tick labels of the axis whose description names `titled` ("X-axis", "ROAS")."""
    for group in svg.iter(f"{SVG}g"):
        if titled in group.get("aria-label", ""):
            return [
                text.text or ""
                for inner in group.iter(f"{SVG}g")
                if "role-axis-label" in inner.get("class", "")
                for text in inner.iter(f"{SVG}text")
            ]
    return []


def bars(svg: ElementTree.Element) -> list[ElementTree.Element]:
    return [p for p in svg.iter(f"{SVG}path") if p.get("aria-roledescription") == "bar"]


SVG = "{http://www.w3.org/2000/svg}"

"""A real report run through the API, downloaded in each format, and the hostile
names of SECURITY.md coming out as text everywhere.

The world's own client has campaigns named `=HYPERLINK(...)`, `+1+1`, `@SUM(1)`,
`<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>` and `{{7*7}}`, all
imported through the CSV importer, plus a refund with negative spend.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from tests.service.world import HOSTILE, World, live_world

FOREIGN = ("other-client-campaign", "rival-campaign")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> object:
    with live_world(Path(tmp_path_factory.mktemp("reports"))) as made:
        yield made


@pytest.fixture(scope="module")
def finished_run(world: World) -> str:
    """The own client's report, built once by its owner; the run's URL."""
    report = world.targets["own"].report
    answer = httpx.post(
        f"{world.base}/api/v1/reports/{report}/runs",
        headers=world.headers("owner"),
        timeout=180,
    )
    assert answer.status_code == 201, answer.text
    run = answer.json()
    assert run["state"] == "done", run
    assert run["period_start"] == run["period_end"] == "2024-05-01"
    return f"{world.base}/api/v1/reports/{report}/runs/{run['id']}"


def _download(world: World, run_url: str, fmt: str, role: str) -> httpx.Response:
    answer = httpx.get(f"{run_url}/{fmt}", headers=world.headers(role), timeout=30)
    assert answer.status_code == 200, (fmt, answer.text[:300])
    for foreign in FOREIGN:
        assert foreign.encode() not in answer.content, (fmt, foreign)
    return answer


def test_metrics_json_gives_names_as_text(world: World) -> None:
    answer = httpx.get(
        f"{world.base}/api/v1/metrics",
        params={"metrics": "spend", "by": "campaign"},
        headers=world.headers("client_viewer"),
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    spend = {r["campaign"]: r["spend"] for r in answer.json()["rows"]}
    assert set(HOSTILE) <= set(spend)
    assert spend["Refund"] == "-12.5"
    assert spend["{{7*7}}"] == "10"


def test_each_format_downloads_for_a_client_viewer(
    world: World, finished_run: str
) -> None:
    media = {
        "pdf": "application/pdf",
        "html": "text/html",
        "csv": "text/csv",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    for fmt, kind in media.items():
        answer = _download(world, finished_run, fmt, "client_viewer")
        assert answer.headers["content-type"].startswith(kind), fmt
        assert f'.{fmt}"' in answer.headers["content-disposition"]
    assert _download(world, finished_run, "pdf", "owner").content.startswith(b"%PDF")


def test_csv_cells_are_text_and_money_stays_a_number(
    world: World, finished_run: str
) -> None:
    text = _download(world, finished_run, "csv", "owner").text
    rows = list(csv.DictReader(io.StringIO(text)))
    names = {r["campaign"] for r in rows}
    for name in HOSTILE:
        shown = "'" + name if name[0] in "=+-@" else name
        assert shown in names, (name, names)
    assert not any(n[0] in "=+-@\t\r" for n in names)
    refund = next(r for r in rows if r["campaign"] == "Refund")
    assert float(refund["spend"]) == -12.5
    assert refund["clicks"] == ""  # NULL stays empty, never 0


def test_xlsx_cells_are_text_never_formulas(world: World, finished_run: str) -> None:
    content = _download(world, finished_run, "xlsx", "owner").content
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    campaign, spend = header.index("campaign"), header.index("spend")
    cells = {row[campaign].value: row for row in sheet.iter_rows(min_row=2)}
    for name in HOSTILE:
        cell = cells[name][campaign]
        assert cell.data_type == "s", (name, cell.data_type)
        assert cell.value == name
    refund = cells["Refund"][spend]
    assert refund.data_type == "n"
    assert refund.value == -12.5


def test_html_shows_names_as_text(world: World, finished_run: str) -> None:
    page = _download(world, finished_run, "html", "owner").text
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x onerror" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "{{7*7}}" in page


def test_a_client_viewer_cannot_fetch_another_clients_run(world: World) -> None:
    other = world.targets["other"]
    answer = httpx.get(
        f"{world.base}/api/v1/reports/{other.report}/runs/{other.run}/csv",
        headers=world.headers("client_viewer"),
    )
    assert answer.status_code == 404
    assert "other-client" not in answer.text

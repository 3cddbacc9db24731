"""The PDF: its text, Korean with a real font, no fetching, all or nothing written."""

from __future__ import annotations

import http.server
import re
import threading
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
import vl_convert

from adreport.errors import ReportError
from adreport.reports.pdf import INSTALL_FONT, PackagedAssetsOnly, html_to_pdf
from adreport.reports.svg import check_svg
from tests.reports.conftest import MADE_AT, PERIOD_A, PERIOD_C, pdf_text
from tests.reports.test_report_html import money, totals


def test_pdf_has_pages_and_its_text_carries_the_kpis(world, report_a):
    text = pdf_text(report_a.pdf)
    s = totals(world.between(*PERIOD_A))
    roas = (s["revenue"] / s["spend"]).quantize(Decimal("0.01"), ROUND_HALF_EVEN)

    assert report_a.pdf.read_bytes().startswith(b"%PDF-")
    assert text.count("\f") >= 4  # cover, summary, breakdowns, campaigns
    assert money(s["spend"]) in text
    assert money(s["revenue"]) in text
    assert f"{roas}x" in text
    assert "<b>Acme</b> & Co" in text
    assert "<script>alert(1)</script>" in text  # a name, printed as text
    assert "Spend and ROAS by day" in text


def test_korean_pdf_prints_hangul_and_won_without_decimals(world, tmp_path):
    files = world.build(
        tmp_path,
        start=PERIOD_C[0],
        end=PERIOD_C[1],
        currency="KRW",
        lang="ko",
        compare="none",
        now=MADE_AT,
    )
    text = pdf_text(files.pdf)
    page = files.html.read_text(encoding="utf-8")
    spend_tile = re.search(r'data-metric="spend">.*?tile-value">([^<]*)<', page, re.S)

    assert "캠페인 성과 보고서" in text
    assert "광고비" in text
    assert "파워링크 브랜드" in text
    assert re.fullmatch(r"₩\d{1,3}(,\d{3})+", spend_tile[1])
    assert "USD 금액은 날짜별로 ECB 유로 기준환율" in page
    assert files.pdf.name.endswith("_ko.pdf")


def test_korean_pdf_without_the_font_names_the_command_and_writes_nothing(
    world, tmp_path, monkeypatch
):
    empty = tmp_path / "fonts.conf"
    empty.write_text("<?xml version='1.0'?><fontconfig></fontconfig>\n")
    monkeypatch.setenv("FONTCONFIG_FILE", str(empty))
    out = tmp_path / "out"

    with pytest.raises(ReportError) as raised:
        world.build(out, start=PERIOD_A[0], end=PERIOD_A[1], lang="ko", now=MADE_AT)

    assert "NanumGothic" in str(raised.value)
    assert INSTALL_FONT in str(raised.value)
    assert INSTALL_FONT == "sudo apt-get install -y fonts-nanum"
    assert not out.exists()


def test_a_chart_that_fails_to_render_stops_the_report_and_writes_nothing(
    world, tmp_path, monkeypatch
):
    real = vl_convert.vegalite_to_svg
    calls = []

    def third_chart_fails(spec, **options):
        calls.append(spec)
        if len(calls) == 3:
            raise ValueError("renderer crashed")
        return real(spec, **options)

    monkeypatch.setattr(vl_convert, "vegalite_to_svg", third_chart_fails)
    out = tmp_path / "out"

    with pytest.raises(ReportError, match="could not be rendered"):
        world.build(out, start=PERIOD_A[0], end=PERIOD_A[1], now=MADE_AT)

    assert len(calls) == 3
    assert not out.exists()


@pytest.mark.parametrize(
    "svg",
    [
        "<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script>"
        "<rect width='1' height='1'/></svg>",
        "<svg xmlns='http://www.w3.org/2000/svg'><rect onload='x()'/></svg>",
        "<svg xmlns='http://www.w3.org/2000/svg'><image href='http://127.0.0.1:9/x'/>"
        "</svg>",
        "<svg xmlns='http://www.w3.org/2000/svg'><g clip-path='url(http://e/x)'>"
        "<rect/></g></svg>",
        "<svg xmlns='http://www.w3.org/2000/svg'><g/></svg>",
        "<svg><rect",
    ],
)
def test_chart_svg_that_is_active_external_broken_or_empty_is_refused(svg):
    with pytest.raises(ReportError):
        check_svg("test", svg)


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012

    def do_GET(self):
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_pdf_renderer_fetches_nothing_from_the_network_or_disk(tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), _CountingHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    page = (
        f'<html><head><link rel="stylesheet" href="{base}/style.css">'
        f'<link rel="stylesheet" href="file://{secret}"></head>'
        f'<body><img src="{base}/pixel.png"><p style="background: url({base}/bg)">'
        "text</p></body></html>"
    )
    try:
        pdf = html_to_pdf(page, "test")
    finally:
        server.shutdown()

    assert pdf.startswith(b"%PDF-")
    assert _CountingHandler.hits == []
    fetcher = PackagedAssetsOnly()
    with pytest.raises(ValueError, match="fetch nothing"):
        fetcher.fetch(f"file://{secret}")
    with pytest.raises(ValueError, match="fetch nothing"):
        fetcher.fetch(f"{base}/x")

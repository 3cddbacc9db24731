"""FAULTS K11: strict, locale-aware parsing; bad values reported, never made 0."""

from __future__ import annotations

import codecs
import unicodedata
from decimal import Decimal

import pytest

from adreport.errors import ImportRejectedError
from adreport.ingest.importer import ImportOptions, import_file
from adreport.ingest.numbers import Kind, NumberStyle, parse_value

DE = NumberStyle.named("de")


@pytest.mark.parametrize(
    ("text", "kind", "style", "expected"),
    [
        ("2,345.60", Kind.MONEY, NumberStyle(), Decimal("2345.60")),
        ("3.10%", Kind.RATIO, NumberStyle(), 0.031),
        ("1.234,56", Kind.MONEY, DE, Decimal("1234.56")),
        ("1,234", Kind.COUNT, NumberStyle(), 1234),
        ("98.0", Kind.COUNT, NumberStyle(), 98),
        ("$1,234.50", Kind.MONEY, NumberStyle(), Decimal("1234.50")),
        ("₩12,000", Kind.MONEY, NumberStyle(), Decimal("12000")),
        ("12 000,5", Kind.MONEY, NumberStyle.named("fr"), Decimal("12000.5")),
        ("(12.50)", Kind.MONEY, NumberStyle(), Decimal("-12.50")),
        (" --", Kind.COUNT, NumberStyle(), None),
        ("", Kind.MONEY, NumberStyle(), None),
        ("< 10%", Kind.RATIO, NumberStyle(), None),
        ("1.429999948", Kind.MONEY, NumberStyle(), Decimal("1.43")),
    ],
)
def test_numbers_read_as_the_file_writes_them(text, kind, style, expected):
    assert parse_value(text, kind, style) == expected


@pytest.mark.parametrize(
    ("text", "kind", "style"),
    [
        ("abc", Kind.COUNT, NumberStyle()),
        ("250.5", Kind.COUNT, NumberStyle()),
        ("1,23", Kind.MONEY, NumberStyle()),
        ("1.234,56", Kind.MONEY, NumberStyle()),
        ("12%", Kind.MONEY, NumberStyle()),
        ("1.2.3", Kind.MONEY, NumberStyle()),
    ],
)
def test_what_is_not_a_number_is_an_error_never_zero(text, kind, style):
    with pytest.raises(ValueError, match="is not"):
        parse_value(text, kind, style)


CSV = (
    "date,platform,account_id,currency,campaign_id,impressions,clicks\n"
    "2024-05-01,meta,A1,USD,C1,250.0,7.0\n"
    "2024-05-01,meta,A1,USD,C2,abc,3\n"
)


def test_a_bad_value_rejects_the_whole_file_and_names_where_it_is(lab):
    path = lab.write("bad.csv", CSV)

    with pytest.raises(ImportRejectedError) as caught:
        import_file(lab.warehouse, path, ImportOptions())

    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.column, problem.value) == (
        "bad.csv",
        3,
        "impressions",
        "abc",
    )
    assert "nothing was imported" in str(caught.value)
    assert lab.warehouse.rows("SELECT count(*) FROM facts") == [(0,)]


def test_skipping_bad_rows_loads_the_rest_and_writes_a_rejects_file(lab, tmp_path):
    path = lab.write("bad.csv", CSV)

    result = import_file(
        lab.warehouse,
        path,
        ImportOptions(skip_bad_rows=True, rejects_dir=tmp_path / "r"),
    )

    assert (result.rows_read, result.rows_rejected) == (2, 1)
    assert result.rejects_file is not None
    assert "bad.csv,3,impressions,abc" in result.rejects_file.read_text()
    row = lab.one("impressions,clicks,ctr")
    assert (row["impressions"], row["clicks"]) == (250, 7)
    assert row["ctr"] == pytest.approx(0.028)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_encodings_and_byte_order_marks(lab, encoding):
    text = (
        "date,platform,account_id,currency,campaign_id,campaign_name,spend\n"
        "2024-05-01,meta,A1,EUR,C1,Café € Été,1\n"
    )
    lab.write("enc.csv", text, encoding)

    import_file(lab.warehouse, lab.folder / "enc.csv", ImportOptions())

    assert lab.one("spend", by="campaign")["campaign"] == "Café € Été"


def test_names_are_normalised_to_nfc_so_one_campaign_stays_one(lab):
    composed = "캠페인 Café"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    lab.load(
        "nfc.csv",
        "date,platform,account_id,currency,campaign_id,campaign_name,spend\n"
        f"2024-05-01,meta,A1,KRW,{composed},{composed},1\n"
        f"2024-05-02,meta,A1,KRW,{decomposed},{decomposed},2\n",
    )

    rows = lab.query("spend", by="campaign").records()
    assert [(r["campaign"], r["spend"]) for r in rows] == [(composed, Decimal(3))]


def test_ids_stay_strings_end_to_end(lab):
    lab.load(
        "ids.csv",
        "date,platform,account_id,currency,campaign_id,ad_id,spend\n"
        "2024-05-01,meta,0012,USD,120330000000123456,6215293456071000001,1\n",
    )

    row = lab.one("spend", by="account,ad")
    assert row["account_id"] == "0012"
    assert row["ad_id"] == "6215293456071000001"


def test_bom_in_the_header_does_not_hide_the_first_column(lab):
    path = lab.folder / "bom.csv"
    path.write_bytes(
        codecs.BOM_UTF8
        + CSV.splitlines()[0].encode()
        + b"\n"
        + b"2024-05-01,meta,A1,USD,C1,10,1\n"
    )

    result = import_file(lab.warehouse, path, ImportOptions())

    assert result.format == "adreport-csv"


def test_a_count_with_three_decimals_is_a_misread_thousands_group(lab):
    path = lab.write(
        "ambiguous.csv",
        "date,platform,account_id,currency,campaign_id,impressions,spend\n"
        "2024-05-01,meta,A1,USD,C1,120.000,5\n",
    )

    with pytest.raises(ImportRejectedError) as caught:
        import_file(lab.warehouse, path, ImportOptions())

    problem = caught.value.problems[0]
    assert (problem.column, problem.value) == ("impressions", "120.000")
    assert "number_style" in problem.expected


def test_an_amount_column_mixing_two_styles_is_refused(lab):
    path = lab.write(
        "mixed.csv",
        "date,platform,account_id,currency,campaign_id,spend\n"
        '2024-05-01,meta,A1,USD,C1,"2,365"\n'
        "2024-05-02,meta,A1,USD,C1,2.542\n",
    )

    with pytest.raises(ImportRejectedError) as caught:
        import_file(lab.warehouse, path, ImportOptions())

    assert [(p.line, p.value) for p in caught.value.problems] == [(3, "2.542")]


def test_three_decimals_alone_are_an_amount(lab):
    lab.load(
        "dinar.csv",
        "date,platform,account_id,currency,campaign_id,spend\n"
        "2024-05-01,meta,A1,KWD,C1,2.542\n",
    )

    assert lab.one("spend")["spend"] == Decimal("2.542")

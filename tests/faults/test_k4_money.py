"""FAULTS K4: micros converted once; every amount of a row with the same dated rate."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal

import pyarrow as pa

from adreport.ingest.numbers import Kind, NumberStyle, parse_column
from adreport.metrics.fx import Rates


def test_micros_become_currency_units_exactly_once(lab):
    text = (
        "customer_id,date,id,cost_micros,base_campaign,clicks,impressions,conversions,"
        "conversions_value,device,ad_network_type\n"
        "123,2024-05-01,9,87650000,customers/123/campaigns/9,10,100,1,200,MOBILE,SEARCH\n"
    )
    path = lab.write("google.csv", text)
    from adreport.ingest.importer import ImportOptions, import_file

    import_file(lab.warehouse, path, ImportOptions(currency="USD"))
    import_file(lab.warehouse, path, ImportOptions(currency="USD"))

    assert lab.one("spend")["spend"] == Decimal("87.65")
    assert lab.one("cpc")["cpc"] == 8.765


def test_an_average_cpc_in_micros_is_read_with_its_scale():
    column = parse_column(
        pa.array(["1250000"]), Kind.MONEY, NumberStyle(), Decimal("0.000001")
    )

    assert column.values.to_pylist() == [Decimal("1.25")]


def _rates_file(folder, rows: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("eurofxref-hist.csv", "Date,USD,SEK,KRW,\n" + rows)
    (folder / "eurofxref-hist.zip").write_bytes(buffer.getvalue())


def test_cost_and_value_convert_with_the_same_rate_so_roas_stays(lab, tmp_path):
    _rates_file(tmp_path, "2024-05-02,1.0,10.0,1400,\n")
    lab.rates = Rates(tmp_path)
    lab.load(
        "sek.csv",
        "date,platform,account_id,currency,campaign_id,spend,revenue\n"
        "2024-05-02,meta,S1,SEK,C1,2000,6000\n",
    )

    in_sek = lab.one("spend,revenue,roas")
    in_usd = lab.one("spend,revenue,roas", currency="USD")

    assert in_sek["roas"] == 3.0
    assert in_usd["roas"] == 3.0
    assert in_usd["spend"] == Decimal("200")
    assert in_usd["revenue"] == Decimal("600")


def test_accounts_in_two_currencies_are_never_added_without_conversion(lab, tmp_path):
    _rates_file(tmp_path, "2024-05-02,1.0,10.0,1400,\n")
    lab.rates = Rates(tmp_path)
    lab.load(
        "two.csv",
        "date,platform,account_id,currency,campaign_id,spend\n"
        "2024-05-02,meta,S1,SEK,C1,2000\n"
        "2024-05-02,meta,U1,USD,C2,100\n",
    )

    import pytest

    from adreport.errors import QueryError

    with pytest.raises(QueryError, match="SEK, USD"):
        lab.query("spend")
    assert lab.one("spend", currency="USD")["spend"] == Decimal("300")
    assert lab.one("spend", currency="KRW")["spend"] == Decimal("420000")


def test_a_weekend_day_uses_the_friday_rate_and_says_so(lab, tmp_path):
    _rates_file(tmp_path, "2024-05-03,1.0,10.0,1400,\n2024-05-02,1.0,11.0,1400,\n")
    lab.rates = Rates(tmp_path)
    lab.load(
        "weekend.csv",
        "date,platform,account_id,currency,campaign_id,spend\n"
        "2024-05-04,meta,S1,SEK,C1,1000\n",
    )

    result = lab.query("spend", currency="USD")

    assert result.records()[0]["spend"] == Decimal("100")
    assert result.rates[0].first_rate_day == date(2024, 5, 3)
    assert result.rates[0].stale_days == 0

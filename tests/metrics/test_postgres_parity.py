"""The same KPI queries give the same answers on PostgreSQL as on DuckDB."""

from __future__ import annotations

from datetime import date

import pytest

from adreport.ingest.importer import ImportOptions, import_file
from adreport.metrics.backends import DuckDBDatabase, PostgresDatabase
from adreport.metrics.query import MetricQuery, run_query
from adreport.metrics.registry import Registry
from adreport.warehouse.postgres import copy_to_postgres

pytestmark = pytest.mark.postgres

QUERIES = [
    MetricQuery(["spend", "clicks", "impressions", "ctr", "cpc", "cpm"], ["date"]),
    MetricQuery(
        ["spend", "conversions", "cpa", "cvr", "roas", "roi"], ["week", "platform"]
    ),
    MetricQuery(["spend", "ctr", "roas"], ["month", "channel"], currency="KRW"),
    MetricQuery(["clicks", "cpc"], ["campaign"], where={"platform": ["microsoft-ads"]}),
    MetricQuery(
        ["reach", "frequency"],
        ["campaign", "date"],
        start=date(2019, 8, 1),
        end=date(2019, 8, 10),
    ),
    MetricQuery(["spend", "clicks"], ["age", "gender"], currency="USD"),
]


@pytest.fixture
def both(warehouse, shared_data, postgres):
    folder = shared_data / "fivetran_dbt_ad_reporting"
    for name, options in [
        ("microsoft_ads_campaign_performance_daily_report_data.csv", {}),
        ("google_ads_campaign_stats_data.csv", {"currency": "USD"}),
        (
            "linkedin_ad_analytics_by_campaign_data.csv",
            {"account": "L1", "currency": "EUR"},
        ),
    ]:
        import_file(warehouse, folder / name, ImportOptions(**options))
    import_file(
        warehouse,
        shared_data / "kaggle_ab_test_bidding" / "test_group.csv",
        ImportOptions(account="ab"),
    )
    import_file(
        warehouse,
        shared_data / "kaggle_kag_conversion" / "KAG_conversion_data.csv",
        ImportOptions(account="kag", currency="USD", day=date(2019, 8, 3)),
    )
    copy_to_postgres(warehouse, postgres)
    return DuckDBDatabase(warehouse), PostgresDatabase(postgres)


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: ",".join(q.by))
def test_duckdb_and_postgres_agree(both, query):
    duck, pg = both
    query.currency = query.currency or "USD"

    on_duck = run_query(duck, Registry(), query)
    on_pg = run_query(pg, Registry(), query)

    assert on_duck.columns == on_pg.columns
    assert len(on_duck.rows) == len(on_pg.rows) > 0
    for ours, theirs in zip(on_duck.rows, on_pg.rows, strict=True):
        for a, b in zip(ours, theirs, strict=True):
            if isinstance(a, float) or isinstance(b, float):
                assert a == pytest.approx(b, rel=1e-9), (ours, theirs)
            else:
                assert a == b, (ours, theirs)
    assert on_duck.notes == on_pg.notes
    assert on_duck.provisional_days == on_pg.provisional_days

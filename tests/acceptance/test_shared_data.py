"""Every file in ../shared/data imports, and its numbers match an independent count."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from adreport.errors import ImportRejectedError
from adreport.ingest.importer import ImportOptions, group_companions, import_file
from tests.acceptance.conftest import raw_rows, total

FIVETRAN = "fivetran_dbt_ad_reporting"
MICROS = Decimal("0.000001")


def load(lab, path, **options):
    return import_file(lab.warehouse, path, ImportOptions(**options))


def test_ab_bidding_files_match_the_notebooks_printed_kpis(lab, shared_data):
    folder = shared_data / "kaggle_ab_test_bidding"
    load(lab, folder / "test_group.csv", account="ab-test")
    with pytest.raises(ImportRejectedError) as caught:
        load(lab, folder / "control_group.csv", account="ab-test")
    assert caught.value.problems[0].line == 6
    result = load(
        lab,
        folder / "control_group.csv",
        account="ab-test",
        skip_bad_rows=True,
        rejects_dir=lab.folder,
    )
    assert (result.rows_read, result.rows_rejected, result.counts.new) == (30, 1, 29)

    days = lab.query("cpm,cpc,cpa", by="campaign,date").records()
    kpis = {(r["campaign"].split()[0].lower(), r["date"].day - 1): r for r in days}
    for printed in raw_rows(folder / "notebook_kpi_outputs_first5.csv"):
        ours = kpis[(printed["group"], int(printed["source_row_index"]))]
        for metric in ("CPM", "CPC", "CPA"):
            assert ours[metric.lower()] == pytest.approx(
                float(printed[metric]), abs=1e-6
            )


def test_ab_bidding_totals_match_the_raw_file(lab, shared_data):
    path = shared_data / "kaggle_ab_test_bidding" / "test_group.csv"
    load(lab, path, account="ab-test")
    raw = raw_rows(path, delimiter=";")

    ours = lab.one("spend,impressions,clicks,conversions,reach")

    assert ours["spend"] == total(raw, "Spend [USD]")
    assert ours["impressions"] == total(raw, "Impressions")
    assert ours["clicks"] == total(raw, "Website Clicks")
    assert ours["conversions"] == total(raw, "Purchase")
    assert ours["reach"] is None
    assert lab.query("spend").currency == "USD"


def test_kag_needs_its_missing_facts_and_matches_the_printed_ctr_and_cpc(
    lab, shared_data
):
    folder = shared_data / "kaggle_kag_conversion"
    from adreport.errors import MissingFactError

    with pytest.raises(MissingFactError, match="--date"):
        load(lab, folder / "KAG_conversion_data.csv", account="kag", currency="USD")
    with pytest.raises(MissingFactError, match="--currency"):
        load(
            lab,
            folder / "KAG_conversion_data.csv",
            account="kag",
            day=date(2017, 8, 30),
        )
    load(
        lab,
        folder / "KAG_conversion_data.csv",
        account="kag",
        currency="USD",
        day=date(2017, 8, 30),
    )

    ads = {r["ad"]: r for r in lab.query("ctr,cpc", by="ad").records()}
    for printed in raw_rows(folder / "chrisbow_kernel_printed_ctr_cpc_first10.csv"):
        ours = ads[printed["ad_id"]]
        if printed["CTR_pct_round4"]:
            assert round(ours["ctr"] * 100, 4) == float(printed["CTR_pct_round4"])
        if printed["CPC_round2"] == "NaN":
            assert ours["cpc"] is None
        else:
            assert round(ours["cpc"], 2) == float(printed["CPC_round2"])


def test_kag_totals_and_audience_breakdowns_match_the_raw_file(lab, shared_data):
    path = shared_data / "kaggle_kag_conversion" / "KAG_conversion_data.csv"
    load(lab, path, account="kag", currency="USD", day=date(2017, 8, 30))
    raw = raw_rows(path)

    ours = lab.one("impressions,clicks,conversions,spend")
    by_gender = {r["gender"]: r for r in lab.query("clicks", by="gender").records()}

    assert ours["impressions"] == total(raw, "Impressions")
    assert ours["clicks"] == total(raw, "Clicks")
    assert ours["conversions"] == total(raw, "Total_Conversion")
    expected_spend = sum(Decimal(r["Spent"]).quantize(MICROS) for r in raw)
    assert ours["spend"] == expected_spend
    for raw_gender, gender in (("M", "male"), ("F", "female")):
        assert by_gender[gender]["clicks"] == total(
            [r for r in raw if r["gender"] == raw_gender], "Clicks"
        )


def test_microsoft_daily_segments_add_up_to_the_raw_totals(lab, shared_data):
    folder = shared_data / FIVETRAN
    load(lab, folder / "microsoft_ads_account_history_data.csv")
    path = folder / "microsoft_ads_campaign_performance_daily_report_data.csv"
    load(lab, path)
    raw = raw_rows(path)

    ours = lab.one("spend,clicks,impressions,conversions,revenue")
    days = lab.query("spend", by="date").records()

    assert ours["spend"] == total(raw, "spend")
    assert ours["clicks"] == total(raw, "clicks")
    assert ours["impressions"] == total(raw, "impressions")
    assert ours["conversions"] == total(raw, "conversions")
    assert ours["revenue"] == total(raw, "revenue")
    assert len(days) == len({r["date"] for r in raw})
    timezone = lab.warehouse.rows(
        "SELECT timezone FROM accounts WHERE platform='microsoft-ads'"
    )
    assert timezone == [("America/Los_Angeles",)]


@pytest.mark.parametrize(
    ("name", "level"),
    [
        ("google_ads_campaign_stats_data.csv", "campaign"),
        ("google_ads_ad_stats_data.csv", "ad"),
    ],
)
def test_google_cost_micros_become_dollars(lab, shared_data, name, level):
    folder = shared_data / FIVETRAN
    load(lab, folder / "google_ads_account_history_data.csv")
    path = folder / name
    load(lab, path)
    raw = raw_rows(path)

    ours = lab.one("spend,clicks,conversions,revenue")

    assert ours["spend"] == total(raw, "cost_micros", MICROS)
    assert ours["clicks"] == total(raw, "clicks")
    assert ours["conversions"] == total(raw, "conversions")
    assert ours["revenue"] == total(raw, "conversions_value")
    grains = lab.warehouse.rows("SELECT DISTINCT grain FROM facts")
    assert [g[0].split(":")[1] for g in grains] == [level]


def test_reddit_cpc_ctr_and_ecpm_match_the_platforms_own_columns(lab, shared_data):
    path = shared_data / FIVETRAN / "reddit_ads_campaign_report_data.csv"
    load(lab, path, currency="USD")
    raw = {(r["campaign_id"], r["date"]): r for r in raw_rows(path)}

    rows = lab.query("cpc,ctr,cpm,spend", by="campaign,date").records()

    assert len(rows) == len(raw) == 79
    for ours in rows:
        theirs = raw[(ours["campaign_id"], ours["date"].isoformat())]
        assert ours["spend"] == (Decimal(theirs["spend"]) * MICROS).quantize(MICROS)
        assert ours["ctr"] == pytest.approx(float(theirs["ctr"]), rel=1e-6)
        if theirs["cpc"]:
            assert ours["cpc"] == pytest.approx(float(theirs["cpc"]) * 1e-6, rel=1e-6)
        assert ours["cpm"] == pytest.approx(float(theirs["ecpm"]) * 1e-6, rel=1e-6)


def test_linkedin_local_costs_with_empty_meaning_zero(lab, shared_data):
    folder = shared_data / FIVETRAN
    load(lab, folder / "linkedin_ad_account_history_data.csv")
    path = folder / "linkedin_ad_analytics_by_campaign_data.csv"
    load(lab, path, account="507515057")
    raw = raw_rows(path)

    ours = lab.one("spend,clicks,impressions")

    assert ours["spend"] == total(raw, "cost_in_local_currency")
    assert ours["clicks"] == total(raw, "clicks")
    assert lab.query("spend").currency == "USD"


def test_tiktok_hours_add_up_to_days_and_platform_ratios_are_not_trusted(
    lab, shared_data
):
    path = shared_data / FIVETRAN / "tiktok_campaign_report_hourly_data.csv"
    load(lab, path, account="1", currency="USD")
    raw = raw_rows(path)

    by_campaign = {
        r["campaign_id"]: r
        for r in lab.query("spend,clicks,cpc", by="campaign").records()
    }

    assert sum(r["spend"] for r in by_campaign.values()) == total(raw, "SPEND")
    first = by_campaign["1"]
    assert first["cpc"] == pytest.approx(222.12 / 22)
    assert first["cpc"] != pytest.approx(1.88)
    assert by_campaign["2"]["cpc"] is None


def test_tiktok_advertiser_currency_can_is_not_iso_4217(lab, shared_data):
    path = shared_data / FIVETRAN / "tiktok_advertiser_data.csv"

    with pytest.raises(ImportRejectedError) as caught:
        load(lab, path)
    problem = caught.value.problems[0]
    assert (problem.line, problem.column, problem.value) == (3, "currency", "CAN")

    load(lab, path, skip_bad_rows=True, rejects_dir=lab.folder)
    assert lab.warehouse.rows(
        "SELECT account_id, currency, timezone FROM accounts"
    ) == [("1", "USD", "Etc/GMT+5")]


def test_account_history_keeps_the_latest_version(lab, shared_data):
    path = shared_data / FIVETRAN / "linkedin_ad_account_history_data.csv"
    load(lab, path)
    raw = raw_rows(path)
    latest = max(raw, key=lambda r: r["last_modified_time"])

    stored = lab.warehouse.rows("SELECT name, currency FROM accounts")

    assert stored == [(latest["name"], latest["currency"])]


def test_meta_connector_tables_attach_leads_once(lab, shared_data):
    folder = shared_data / FIVETRAN
    paths = [
        folder / "facebook_ads_basic_ad_data.csv",
        folder / "facebook_ads_basic_ad_actions_data.csv",
        folder / "facebook_ads_basic_ad_action_values_data.csv",
    ]
    options = ImportOptions(
        currency="USD", account="1700252260223815", conversion_event="lead"
    )
    [(main, companions)] = group_companions(paths, options).groups
    import_file(lab.warehouse, main, options, companions=companions)
    raw = raw_rows(paths[0])

    ads = {
        (r["ad"], r["date"].isoformat()): r
        for r in lab.query("conversions,spend", by="ad,date").records()
    }

    assert sum(r["spend"] or 0 for r in ads.values()) == total(raw, "spend")
    assert ads[("63176346", "2022-12-24")]["conversions"] == 2
    assert ads[("63176346", "2022-11-19")]["conversions"] == 4


def test_salesforce_opportunities_become_crm_events(lab, shared_data):
    path = shared_data / "fivetran_dbt_salesforce" / "sf_opportunity_data.csv"
    load(lab, path, currency="USD")
    raw = raw_rows(path)

    stored = lab.warehouse.rows("SELECT count(*), sum(value) FROM events")
    won = lab.warehouse.rows(
        "SELECT count(*) FROM events WHERE event_type = 'deal_won'"
    )

    assert stored == [(len(raw), total(raw, "amount"))]
    assert won == [(sum(1 for r in raw if r["is_won"] == "true"),)]


def test_importing_an_account_file_twice_changes_nothing(lab, shared_data):
    path = shared_data / FIVETRAN / "linkedin_ad_account_history_data.csv"
    load(lab, path)

    again = load(lab, path)

    counts = again.counts
    assert (counts.new, counts.replaced, counts.unchanged) == (0, 0, 1)


def test_kag_asks_for_all_it_lacks_at_once(lab, shared_data):
    from adreport.errors import MissingFactError

    path = shared_data / "kaggle_kag_conversion" / "KAG_conversion_data.csv"

    with pytest.raises(MissingFactError) as caught:
        load(lab, path)

    message = str(caught.value)
    assert "--account" in message
    assert "--date" in message
    assert "--currency" in message

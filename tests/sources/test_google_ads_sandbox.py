"""The Google Ads sandbox speaks the documented REST shapes, checked with raw httpx."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import httpx
import pytest

from adreport.demo import world as demo
from adreport.sources.google_ads import gaql
from adreport.sources.google_ads.sandbox import (
    DEVELOPER_TOKEN,
    FAULTS,
    build_app,
    sandbox_connection,
)
from adreport.sources.google_ads.sandbox_world import MANAGER_ID, build_world
from adreport.sources.sandbox import STANDARD_FAULTS, serve

LAST_DAY = date(2024, 6, 9)
US, KR = "4821935520", "7351180246"
CAMPAIGN_DAY = (
    "SELECT campaign.id, campaign.name, campaign.advertising_channel_type, "
    "segments.date, segments.device, segments.ad_network_type, "
    "metrics.impressions, metrics.clicks, metrics.cost_micros, "
    "metrics.conversions, metrics.conversions_value FROM campaign "
    "WHERE segments.date BETWEEN '2024-06-03' AND '2024-06-03'"
)
AD_DAY = CAMPAIGN_DAY.replace("FROM campaign", "FROM ad_group_ad").replace(
    "campaign.id,", "ad_group_ad.ad.id, campaign.id,"
)


class Google:
    def __init__(self, url: str):
        self.url = url
        settings, secrets = sandbox_connection(url)
        token = httpx.post(
            f"{url}/token",
            data={
                "grant_type": "refresh_token",
                "client_id": settings["client_id"],
                "client_secret": secrets["client_secret"],
                "refresh_token": secrets["refresh_token"],
            },
        )
        self.token = token.json()
        self.headers = {
            "Authorization": f"Bearer {self.token['access_token']}",
            "developer-token": DEVELOPER_TOKEN,
            "login-customer-id": MANAGER_ID,
        }

    def post(
        self, customer: str, method: str, body: dict[str, object]
    ) -> httpx.Response:
        url = f"{self.url}/v21/customers/{customer}/googleAds:{method}"
        return httpx.post(url, json=body, headers=self.headers, timeout=30)

    def faults(self, spec: str) -> None:
        httpx.post(f"{self.url}/__sandbox/faults", json={"spec": spec})


@pytest.fixture
def google() -> Iterator[Google]:
    with serve(build_app(last_day=LAST_DAY, page_size=50)) as served:
        yield Google(served.url)


def test_the_token_endpoint_grants_a_bearer_token_with_its_lifetime(google):
    assert google.token["token_type"] == "Bearer"
    assert google.token["expires_in"] == 3599
    assert google.token["access_token"].startswith("ya29.")
    refused = httpx.post(
        f"{google.url}/token",
        data={
            "grant_type": "refresh_token",
            "client_id": sandbox_connection(google.url)[0]["client_id"],
            "client_secret": "wrong",
            "refresh_token": "x",
        },
    )
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    settings, secrets = sandbox_connection(google.url)
    basic = httpx.post(
        f"{google.url}/token",
        data={"grant_type": "refresh_token", "refresh_token": secrets["refresh_token"]},
        auth=(settings["client_id"], secrets["client_secret"]),
    )
    assert basic.json()["token_type"] == "Bearer"


def test_list_accessible_customers_names_both_customers(google):
    answer = httpx.get(
        f"{google.url}/v21/customers:listAccessibleCustomers", headers=google.headers
    )
    names = [f"customers/{c}" for c in (MANAGER_ID, US, KR)]
    assert answer.json() == {"resourceNames": names}


def test_search_stream_answers_an_array_of_batches_in_camel_case(google):
    answer = google.post(US, "searchStream", {"query": CAMPAIGN_DAY})
    assert answer.status_code == 200
    batches = answer.json()
    assert isinstance(batches, list)
    assert len(batches) == 1
    batch = batches[0]
    assert set(batch) == {
        "results",
        "fieldMask",
        "requestId",
        "queryResourceConsumption",
    }
    assert batch["fieldMask"].startswith("campaign.id,campaign.name,")
    assert "segments.adNetworkType" in batch["fieldMask"]
    assert "metrics.costMicros" in batch["fieldMask"]
    row = batch["results"][0]
    assert row["campaign"]["resourceName"] == f"customers/{US}/campaigns/20331001"
    assert row["campaign"]["advertisingChannelType"] == "SEARCH"
    assert row["segments"]["date"] == "2024-06-03"
    assert row["segments"]["device"] in ("MOBILE", "DESKTOP", "TABLET")
    assert isinstance(row["metrics"]["costMicros"], str)  # int64 as a string
    assert isinstance(row["metrics"]["impressions"], str)
    assert isinstance(row["metrics"]["conversionsValue"], int | float)


def test_the_customer_resource_names_currency_and_time_zone(google):
    query = (
        "SELECT customer.id, customer.currency_code, customer.time_zone FROM customer"
    )
    rows = google.post(KR, "searchStream", {"query": query}).json()[0]["results"]
    assert rows == [
        {
            "customer": {
                "resourceName": f"customers/{KR}",
                "id": KR,
                "currencyCode": "KRW",
                "timeZone": "Asia/Seoul",
            }
        }
    ]


def test_a_manager_account_has_no_metrics(google):
    query = "SELECT customer.id, customer.manager FROM customer"
    rows = google.post(MANAGER_ID, "search", {"query": query}).json()["results"]
    assert rows[0]["customer"]["manager"] is True
    refused = google.post(MANAGER_ID, "search", {"query": CAMPAIGN_DAY})
    detail = refused.json()["error"]["details"][0]["errors"][0]
    assert detail["errorCode"] == {"queryError": "REQUESTED_METRICS_FOR_MANAGER"}


def test_an_unknown_field_is_refused_with_the_api_error_body(google):
    answer = google.post(
        US,
        "searchStream",
        {"query": CAMPAIGN_DAY.replace("metrics.clicks", "metrics.f_x")},
    )
    assert answer.status_code == 400
    [wrapper] = answer.json()  # the stream's error is a one-element array
    error = wrapper["error"]
    assert error["code"] == 400
    assert error["status"] == "INVALID_ARGUMENT"
    [failure] = error["details"]
    assert failure["@type"].endswith("google.ads.googleads.v21.errors.GoogleAdsFailure")
    [detail] = failure["errors"]
    assert detail["errorCode"] == {"queryError": "UNRECOGNIZED_FIELD"}
    assert detail["trigger"] == {"stringValue": "metrics.f_x"}
    assert "'metrics.f_x'" in detail["message"]
    assert failure["requestId"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (
            "SELECT campaign.id, segments.date FROM campaign",
            "EXPECTED_FILTERS_ON_DATE_RANGE",
        ),
        ("SELECT campaign.id FROM campaign_galaxy", "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE"),
        (
            "SELECT ad_group.id FROM campaign",
            "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE",
        ),
        ("SELECT campaign.id FROM", "UNEXPECTED_END_OF_QUERY"),
        ("SELECT campaign.id campaign", "EXPECTED_FROM"),
    ],
)
def test_queries_the_api_refuses_are_refused_with_its_codes(google, query, code):
    answer = google.post(US, "search", {"query": query})
    assert answer.status_code == 400
    detail = answer.json()["error"]["details"][0]["errors"][0]
    assert detail["errorCode"] == {"queryError": code}


def test_search_pages_with_next_page_token_to_the_end(google):
    query = AD_DAY
    rows, token, pages = [], None, 0
    while True:
        body = {"query": query, **({"pageToken": token} if token else {})}
        page = google.post(US, "search", body).json()
        rows += page.get("results", [])
        pages += 1
        token = page.get("nextPageToken")
        if not token:
            break
    stream = google.post(US, "searchStream", {"query": query}).json()[0]["results"]
    assert pages == -(-len(stream) // 50) > 1
    assert rows == stream


def test_auth_headers_and_manager_access_are_checked(google):
    no_dev = {k: v for k, v in google.headers.items() if k != "developer-token"}
    answer = httpx.post(
        f"{google.url}/v21/customers/{US}/googleAds:search",
        json={"query": CAMPAIGN_DAY},
        headers=no_dev,
    )
    assert answer.status_code == 401
    assert answer.json()["error"]["status"] == "UNAUTHENTICATED"
    stranger = {**google.headers, "login-customer-id": "9999999999"}
    answer = httpx.post(
        f"{google.url}/v21/customers/{US}/googleAds:search",
        json={"query": CAMPAIGN_DAY},
        headers=stranger,
    )
    assert answer.status_code == 403
    detail = answer.json()["error"]["details"][0]["errors"][0]
    assert detail["errorCode"] == {"authorizationError": "USER_PERMISSION_DENIED"}


def test_quota_faults_answer_resource_exhausted_with_a_retry_delay(google):
    google.faults("quota,rate-limit-no-wait")
    second = google.post(US, "search", {"query": CAMPAIGN_DAY})  # no wait first
    first = google.post(US, "search", {"query": CAMPAIGN_DAY})
    assert first.status_code == second.status_code == 429
    quota = first.json()["error"]["details"][0]["errors"][0]
    assert first.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert quota["errorCode"] == {"quotaError": "RESOURCE_EXHAUSTED"}
    assert quota["details"]["quotaErrorDetails"]["retryDelay"] == "30s"
    rate = second.json()["error"]["details"][0]["errors"][0]
    assert rate["errorCode"] == {"quotaError": "RESOURCE_TEMPORARILY_EXHAUSTED"}
    assert "retryDelay" not in rate["details"]["quotaErrorDetails"]
    assert google.post(US, "search", {"query": CAMPAIGN_DAY}).status_code == 200


def test_server_error_and_expired_page_token_bodies(google):
    google.faults("server-error")
    answer = google.post(US, "searchStream", {"query": CAMPAIGN_DAY})
    assert answer.status_code == 500
    assert answer.json()[0]["error"]["status"] == "INTERNAL"
    google.faults("expire-page-token")
    token = google.post(US, "search", {"query": AD_DAY}).json()["nextPageToken"]
    expired = google.post(US, "search", {"query": AD_DAY, "pageToken": token})
    detail = expired.json()["error"]["details"][0]["errors"][0]
    assert detail["errorCode"] == {"requestError": "EXPIRED_PAGE_TOKEN"}


def test_token_expiry_and_revoked_grant(google):
    google.faults("token-expiry")
    expired = google.post(US, "search", {"query": CAMPAIGN_DAY})
    assert expired.status_code == 401
    detail = expired.json()["error"]["details"][0]["errors"][0]
    assert detail["errorCode"] == {"authenticationError": "OAUTH_TOKEN_EXPIRED"}
    google.faults("revoked")
    settings, secrets = sandbox_connection(google.url)
    form = {
        "grant_type": "refresh_token",
        "client_id": settings["client_id"],
        "client_secret": secrets["client_secret"],
        "refresh_token": secrets["refresh_token"],
    }
    for _ in range(2):  # revoked stays revoked
        answer = httpx.post(f"{google.url}/token", data=form)
        assert answer.status_code == 400
        assert answer.json()["error"] == "invalid_grant"


def test_the_sandbox_implements_standard_fault_names_only():
    assert FAULTS <= STANDARD_FAULTS
    assert "usage-high" not in FAULTS  # Google Ads has no usage headers


def test_the_us_customer_is_the_demo_worlds_google_ads_account():
    world = build_world(7, LAST_DAY)
    by_campaign_day: dict[tuple[str, date], list[Decimal]] = {}
    for day_cells in world.cells[US].values():
        for cell in day_cells:
            key = (cell.ad.ad_group.campaign.id, cell.day)
            sums = by_campaign_day.setdefault(key, [Decimal(0)] * 4)
            sums[0] += cell.impressions
            sums[1] += cell.cost_micros
            sums[2] += cell.conversions
            sums[3] += cell.conversions_value
    demo_rows = [
        r for r in demo.simulate(LAST_DAY, 7) if r.campaign.account is demo.GOOGLE
    ]
    assert len(demo_rows) == len(by_campaign_day) == 5 * 90
    for row in demo_rows:
        sums = by_campaign_day[(row.campaign.campaign_id, row.day)]
        assert sums == [
            row.impressions,
            row.spend * 1_000_000,
            row.conversions,
            row.revenue,
        ]


def test_the_gaql_reader_reads_what_the_connector_writes():
    text = gaql.select(
        ["campaign.id", "metrics.cost_micros"],
        "campaign",
        date(2024, 3, 31),
        date(2024, 4, 6),
    )
    query = gaql.parse(text)
    assert query.fields == ("campaign.id", "metrics.cost_micros")
    assert query.date_range() == (date(2024, 3, 31), date(2024, 4, 6))  # K3: as written
    assert "'2024-03-31'" in text
    ordered = gaql.parse(
        "SELECT campaign.id FROM campaign "
        "WHERE campaign.status IN ('ENABLED', 'PAUSED') AND metrics.clicks > 10 "
        "ORDER BY metrics.clicks DESC LIMIT 5"
    )
    assert ordered.order_by == (("metrics.clicks", True),)
    assert ordered.limit == 5
    assert ordered.conditions[0].values == ("ENABLED", "PAUSED")


def test_scale_serves_about_100k_ad_rows_in_batches_of_10000():
    app = build_app(last_day=LAST_DAY, scale=7)
    world = app.state.world
    query = AD_DAY.replace(
        "'2024-06-03' AND '2024-06-03'", "'2024-03-12' AND '2024-06-09'"
    )
    rows = 0
    with serve(app) as served:
        google = Google(served.url)
        for customer in (US, KR):
            batches = google.post(customer, "searchStream", {"query": query}).json()
            assert all(len(b["results"]) == 10_000 for b in batches[:-1])
            assert "queryResourceConsumption" in batches[-1]
            results = [row for batch in batches for row in batch["results"]]
            rows += len(results)
            micros = sum(int(r["metrics"]["costMicros"]) for r in results)
            seeded = sum(
                cell.cost_micros
                for cell in world.days(customer, date(2024, 3, 12), LAST_DAY)
                if cell.ad.ad_group.campaign.channel != "PERFORMANCE_MAX"
            )
            assert micros == seeded
    assert 95_000 <= rows <= 110_000

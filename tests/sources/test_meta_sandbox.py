"""The Meta sandbox speaks the documented wire shapes (raw HTTP, no connector)."""

from __future__ import annotations

import json

import httpx

from adreport.sources.meta.sandbox import FIRST_TOKEN
from tests.sources.test_meta_support import running_sandbox

INSIGHTS = "/v23.0/act_1029384756/insights"
AUTH = {"Authorization": f"Bearer {FIRST_TOKEN}"}
DAY = '{"since": "2024-06-03", "until": "2024-06-09"}'


def _usage_headers(response: httpx.Response) -> dict[str, object]:
    names = ("x-app-usage", "x-ad-account-usage", "x-business-use-case-usage")
    return {name: json.loads(response.headers[name]) for name in names}


def test_insights_pages_carry_cursors_next_and_string_numbers() -> None:
    with running_sandbox() as meta:
        params = {
            "level": "campaign",
            "fields": "campaign_id,impressions,spend,actions",
            "time_range": DAY,
            "time_increment": "1",
            "breakdowns": "age,gender",
            "limit": "40",
        }
        first = httpx.get(meta.url + INSIGHTS, params=params, headers=AUTH)
        body = first.json()
        assert first.status_code == 200
        assert len(body["data"]) == 40
        row = body["data"][0]
        assert isinstance(row["impressions"], str)
        assert row["impressions"].isdigit()
        assert row["date_start"] == row["date_stop"] == "2024-06-03"
        assert {"age", "gender", "campaign_id"} <= set(row)
        assert set(body["paging"]["cursors"]) == {"before", "after"}
        second = httpx.get(body["paging"]["next"], headers=AUTH).json()
        assert second["data"][0] != row
        usage = _usage_headers(first)
        assert set(usage["x-ad-account-usage"]) >= {  # type: ignore[arg-type]
            "acc_id_util_pct",
            "reset_time_duration",
            "ads_api_access_tier",
        }


def test_an_unknown_field_is_a_graph_error_body_with_usage_headers() -> None:
    with running_sandbox() as meta:
        params = {"fields": "impressions,f_x", "time_range": DAY, "level": "ad"}
        answer = httpx.get(meta.url + INSIGHTS, params=params, headers=AUTH)
        error = answer.json()["error"]
        assert answer.status_code == 400
        assert error["code"] == 100
        assert error["message"] == "(#100) f_x is not valid for fields param"
        assert error["type"] == "OAuthException"
        assert error["fbtrace_id"]
        assert "act_" not in json.dumps(_usage_headers(answer))  # numbers, no prefix


def test_quota_answers_code_17_naming_twelve_minutes() -> None:
    with running_sandbox("quota") as meta:
        params = {"fields": "impressions", "time_range": DAY}
        answer = httpx.get(meta.url + INSIGHTS, params=params, headers=AUTH)
        assert answer.json()["error"]["code"] == 17
        usage = _usage_headers(answer)["x-business-use-case-usage"]
        entry = usage["1029384756"][0]  # type: ignore[index]
        assert entry["estimated_time_to_regain_access"] == 12
        assert entry["type"] == "ads_insights"


def test_a_report_run_is_polled_then_read() -> None:
    with running_sandbox() as meta:
        form = {
            "level": "ad",
            "fields": "ad_id,spend",
            "time_range": DAY,
            "time_increment": "1",
        }
        started = httpx.post(meta.url + INSIGHTS, data=form, headers=AUTH).json()
        run = f"{meta.url}/v23.0/{started['report_run_id']}"
        states = [httpx.get(run, headers=AUTH).json()["async_status"] for _ in "ab"]
        assert states == ["Job Running", "Job Completed"]
        rows = httpx.get(run + "/insights", headers=AUTH, params={"limit": "500"})
        assert len(rows.json()["data"]) == 7 * 12  # a week of 12 ads


def test_the_token_is_required_and_checked() -> None:
    with running_sandbox() as meta:
        none = httpx.get(meta.url + "/v23.0/act_1029384756").json()["error"]
        wrong = httpx.get(
            meta.url + "/v23.0/act_1029384756", headers={"Authorization": "Bearer x"}
        ).json()["error"]
        assert (none["code"], wrong["code"]) == (104, 190)

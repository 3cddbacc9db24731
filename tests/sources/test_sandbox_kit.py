"""The shared sandbox kit: fault specs, the control routes, a server on loopback."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from starlette.applications import Starlette

from adreport.sources.sandbox import (
    STANDARD_FAULTS,
    FaultPlan,
    FaultSpecError,
    SandboxControl,
    serve,
)


def test_a_fault_without_value_fires_once() -> None:
    plan = FaultPlan.parse("expire-page-token")
    assert [plan.fires("expire-page-token") for _ in range(3)] == [True, False, False]
    assert plan.fires("rate-limit") is False


def test_a_count_fires_that_many_times_and_is_used_up() -> None:
    plan = FaultPlan.parse("rate-limit=2, server-error=3")
    assert plan.value("rate-limit") == 2
    assert [plan.fires("rate-limit") for _ in range(4)] == [True, True, False, False]
    assert plan.value("rate-limit") == 0
    assert plan.active("server-error")
    assert plan.fired() == {"rate-limit": 2, "server-error": 0}


def test_a_fraction_fires_by_chance_repeatably_for_a_seed() -> None:
    first = FaultPlan.parse("server-error=0.25", seed=11)
    second = FaultPlan.parse("server-error=0.25", seed=11)
    draws = [first.fires("server-error") for _ in range(2000)]
    assert draws == [second.fires("server-error") for _ in range(2000)]
    assert 400 < sum(draws) < 600
    assert first.value("server-error") == 0.25


def test_unknown_names_are_refused_listing_the_known_ones() -> None:
    with pytest.raises(FaultSpecError, match="unknown fault 'rate-limt'") as caught:
        FaultPlan.parse("rate-limt=2")
    assert "rate-limit-no-wait" in str(caught.value)
    with pytest.raises(FaultSpecError, match="unknown fault 'quota'"):
        FaultPlan.parse("quota", known={"rate-limit"})


@pytest.mark.parametrize("spec", ["rate-limit=0", "rate-limit=1.5", "rate-limit=x"])
def test_values_that_are_no_count_or_chance_are_refused(spec: str) -> None:
    with pytest.raises(FaultSpecError, match="give a count"):
        FaultPlan.parse(spec)


def test_the_standard_names_are_all_known_by_default() -> None:
    spec = ",".join(sorted(STANDARD_FAULTS))
    plan = FaultPlan.parse(spec)
    assert all(plan.active(name) for name in STANDARD_FAULTS)
    assert FaultPlan.parse(None).describe() == ""


def test_control_routes_switch_faults_restate_and_count_over_http() -> None:
    restated: list[tuple[str, date]] = []
    plan = FaultPlan.parse("", seed=1)
    control = SandboxControl(plan, lambda account, day: restated.append((account, day)))
    control.count("search")
    control.count("search")
    app = Starlette(routes=control.routes())
    with serve(app) as served:
        assert served.url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=served.url) as http:
            answer = http.post("/__sandbox/faults", json={"spec": "rate-limit=2"})
            assert answer.json() == {"spec": "rate-limit=2", "fired": {"rate-limit": 0}}
            refused = http.post("/__sandbox/faults", json={"spec": "nope"})
            assert refused.status_code == 400
            assert "unknown fault 'nope'" in refused.json()["error"]
            http.post(
                "/__sandbox/restate", json={"account_id": "42", "date": "2024-06-01"}
            )
            bad_day = http.post(
                "/__sandbox/restate", json={"account_id": "42", "date": "June 1"}
            )
            counts = http.get("/__sandbox/requests").json()
    assert plan.fires("rate-limit")
    assert restated == [("42", date(2024, 6, 1))]
    assert bad_day.status_code == 400
    assert counts == {"search": 2, "total": 2}


def test_serve_stops_the_server_when_the_block_ends() -> None:
    with serve(Starlette()) as served:
        assert httpx.get(served.url + "/missing").status_code == 404
    with pytest.raises(httpx.ConnectError):
        httpx.get(served.url + "/missing", timeout=2)


def test_serve_says_so_when_the_port_is_taken() -> None:
    with serve(Starlette()) as served:
        taken = serve(Starlette(), port=served.port)
        with pytest.raises(OSError, match="port"):
            taken.__enter__()

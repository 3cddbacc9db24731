"""Every role x every v1 endpoint x own client / other client / other workspace.

The routes come from the app's own route table, so a new endpoint without an
expectation here fails the test. Foreign successes must be 0.

Running a report goes through each target's `quick` report, whose runs fail at
once after the same permission checks, so the matrix builds no report (a real
build and its downloads are tested in test_reports_api.py). Downloads read the
seeded finished runs, whose files name their client's campaign.
"""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path

import httpx
import pytest

from tests.service.world import ROLES, World, live_world

ALL = set(ROLES)
WRITERS = {"owner", "admin", "manager"}
# (method, path) -> roles that succeed on their own client's objects.
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("GET", "/workspace"): ALL,
    ("POST", "/workspace/rename"): {"owner"},
    ("GET", "/clients"): ALL,
    ("GET", "/clients/{client_id}"): ALL,
    ("POST", "/clients"): WRITERS,
    ("GET", "/members"): ALL,
    ("POST", "/members"): {"owner", "admin"},
    ("GET", "/connections"): ALL,
    ("GET", "/connections/{connection_id}"): ALL,
    ("POST", "/connections"): WRITERS,
    ("POST", "/connections/{connection_id}/reauthorise"): WRITERS,
    ("POST", "/connections/{connection_id}/sync"): WRITERS | {"analyst"},
    ("GET", "/metrics"): ALL,
    ("GET", "/reports"): ALL,
    ("POST", "/reports"): WRITERS,
    ("GET", "/reports/{report_id}"): ALL,
    ("GET", "/reports/{report_id}/runs"): ALL,
    ("POST", "/reports/{report_id}/runs"): WRITERS | {"analyst"},
    ("GET", "/reports/{report_id}/runs/{run_id}/{fmt}"): ALL,
    ("GET", "/audit"): {"owner", "admin"},
}
# The seeded links have no stored credentials: a role allowed to re-authorise or
# sync gets 409 (nothing to use), one not allowed 403, another tenant 404.
CONFLICT_WHEN_ALLOWED = {
    ("POST", "/connections/{connection_id}/reauthorise"),
    ("POST", "/connections/{connection_id}/sync"),
}
PUBLIC = {("POST", "/auth/token")}
FOREIGN_MARKS = {
    "far": ("rival-campaign", '"Far"', "FAR1"),
    "other": ("other-client", '"Other"', "OTHER1"),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> object:
    with live_world(Path(tmp_path_factory.mktemp("matrix"))) as made:
        yield made


def _routes() -> list[tuple[str, str]]:
    from adreport.service.app import create_app
    from adreport.service.runtime import ServiceSettings

    app = create_app(ServiceSettings(Path("/nonexistent-matrix")))
    v1 = app.state.versions["v1"]
    # The app's own document lists every route it serves, however routers are
    # nested (included routers do not show up as routes of the app itself).
    found = [
        (method.upper(), path)
        for path, operations in v1.openapi()["paths"].items()
        for method in operations
        if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}
    ]
    return [r for r in found if r not in PUBLIC and not r[1].startswith("/events")]


def test_every_route_has_an_expectation() -> None:
    routes = _routes()
    assert len(routes) >= len(EXPECTED) // 2, routes  # the route table was read
    missing = [r for r in routes if r not in EXPECTED]
    assert not missing, f"add these routes to EXPECTED: {missing}"


def _request(
    world: World, role: str, method: str, path: str, key: str
) -> httpx.Response:
    target = world.targets[key]
    runs_it = method == "POST" and path == "/reports/{report_id}/runs"
    url = path.format(
        client_id=target.client,
        connection_id=target.connection,
        report_id=target.quick_report if runs_it else target.report,
        run_id=target.run,
        fmt="csv",
    )
    unique = uuid.uuid4().hex[:8]
    bodies = {
        "/workspace/rename": {"name": f"Agency {unique}"},
        "/clients": {"name": f"client {unique}"},
        "/members": {
            "email": f"{unique}@example.com",
            "role": "analyst",
            "client_id": target.client,
        },
        "/connections": {
            "client_id": target.client,
            "platform": "meta",
            "account_id": unique,
        },
        "/reports": {"name": f"r {unique}", "client_id": target.client},
        "/connections/{connection_id}/reauthorise": {"secrets": {"token": unique}},
    }
    params = {"metrics": "spend", "by": "campaign"} if path == "/metrics" else None
    return httpx.request(
        method,
        f"{world.base}/api/v1{url}",
        headers=world.headers(role),
        json=bodies.get(path) if method == "POST" else None,
        params=params,
        timeout=60,
    )


def test_matrix(world: World) -> None:
    failures, foreign_successes = [], []
    for (method, path), role in itertools.product(EXPECTED, ROLES):
        for key in ("own", "other", "far"):
            answer = _request(world, role, method, path, key)
            ok = 200 <= answer.status_code < 300
            assert answer.status_code < 500 or answer.status_code == 503, (
                method,
                path,
                role,
                key,
                answer.text,
            )
            has_ids = "{" in path or (
                method == "POST" and path not in ("/workspace/rename", "/clients")
            )
            foreign = key == "far" or (key == "other" and role == "client_viewer")
            if foreign and has_ids and ok:
                foreign_successes.append((method, path, role, key))
            if foreign and "{" in path and answer.status_code != 404:
                foreign_successes.append((method, path, role, key, "not 404"))
            if ok and foreign:
                marks = FOREIGN_MARKS[key]
                if any(m in answer.text for m in marks):
                    foreign_successes.append((method, path, role, key, "leaked rows"))
            if (method, path) in CONFLICT_WHEN_ALLOWED and key == "own":
                ok = answer.status_code == 409
            if key == "own" and ok != (role in EXPECTED[(method, path)]):
                failures.append(
                    (method, path, role, answer.status_code, answer.text[:200])
                )
    assert foreign_successes == []
    assert failures == []


def test_metrics_are_scoped_to_the_callers_accounts(world: World) -> None:
    params = {"metrics": "spend,clicks", "by": "account,campaign"}
    viewer = httpx.get(
        f"{world.base}/api/v1/metrics",
        params=params,
        headers=world.headers("client_viewer"),
    ).json()
    owner = httpx.get(
        f"{world.base}/api/v1/metrics", params=params, headers=world.headers("owner")
    ).json()
    assert {r["account"] for r in viewer["rows"]} == {"OWN1"}
    assert {r["account"] for r in owner["rows"]} == {"OWN1", "OTHER1"}
    refund = next(r for r in viewer["rows"] if r["campaign"] == "Refund")
    assert refund["spend"] == "-12.5"
    assert refund["clicks"] is None  # NULL stays null, never 0

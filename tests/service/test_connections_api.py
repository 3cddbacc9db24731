"""Connections through the API: store credentials, sync in the server, re-authorise.

A REST sandbox on loopback stands in for the platform; the server stores the
connection sealed, runs the sync itself (202 and a run id), and the synced rows
come out of GET /metrics for the client the account is linked to.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.service.world import World, live_world

sandbox = pytest.importorskip("adreport.sources.rest.sandbox")
serve_sandbox = pytest.importorskip("adreport.sources.sandbox").serve


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> object:
    with live_world(Path(tmp_path_factory.mktemp("connections"))) as made:
        yield made


def _post(world: World, role: str, path: str, body: object) -> httpx.Response:
    return httpx.post(
        f"{world.base}/api/v1{path}", json=body, headers=world.headers(role), timeout=30
    )


def _get(world: World, role: str, path: str, **params: str) -> httpx.Response:
    return httpx.get(
        f"{world.base}/api/v1{path}",
        params=params,
        headers=world.headers(role),
        timeout=30,
    )


def _finished(world: World, connection: int, run_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 120
    while True:
        status = _get(world, "owner", f"/connections/{connection}").json()
        sync = status["sync"]
        assert sync["run_id"] == run_id
        if sync["finished_at"] is not None:
            return dict(status)
        assert time.monotonic() < deadline, status
        time.sleep(0.2)


def test_store_sync_and_reauthorise_a_connection(world: World) -> None:
    with serve_sandbox(sandbox.build_app()) as served:
        settings, secrets = sandbox.sandbox_connection(served.url)
        created = _post(
            world,
            "manager",
            "/connections",
            {
                "client_id": world.targets["own"].client,
                "platform": "rest",
                "account_id": sandbox.ACCOUNT_ID,
                "connection_name": "shop",
                "settings": settings,
                "secrets": secrets,
            },
        )
        assert created.status_code == 201, created.text
        assert secrets["token"] not in created.text
        link = created.json()
        assert link["connection_name"].endswith("-shop")
        status = _get(world, "owner", f"/connections/{link['id']}").json()
        assert status["state"] == "connected"
        assert status["sync"] is None

        started = _post(world, "analyst", f"/connections/{link['id']}/sync", None)
        assert started.status_code == 202, started.text
        run_id = started.json()["sync"]["run_id"]
        again = _post(world, "owner", f"/connections/{link['id']}/sync", None).json()
        if again["sync"]["finished_at"] is None:
            assert again["sync"]["run_id"] == run_id  # one sync at a time

        done = _finished(world, link["id"], run_id)
        sync = done["sync"]
        assert isinstance(sync, dict)
        assert sync["status"] == "finished", done
        assert sync["rows_written"] > 0
        assert done["state"] == "finished"
        assert done["last_sync"] is not None
        assert secrets["token"] not in str(done)

    answer = _get(
        world,
        "client_viewer",
        "/metrics",
        metrics="spend,clicks",
        by="account",
        where=f"account={sandbox.ACCOUNT_ID}",
    )
    assert answer.status_code == 200, answer.text
    rows = answer.json()["rows"]
    assert rows, answer.text
    shop = next(r for r in rows if r["account_id"] == sandbox.ACCOUNT_ID)
    assert float(shop["spend"]) > 0

    renewed = _post(
        world,
        "admin",
        f"/connections/{link['id']}/reauthorise",
        {"secrets": {"token": "a-new-grant-0b7d"}},
    )
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["state"] == "connected"
    assert "a-new-grant-0b7d" not in renewed.text
    wrong = _post(
        world,
        "admin",
        f"/connections/{link['id']}/reauthorise",
        {"secrets": {"password": "x"}},
    )
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "invalid_request"


def test_other_tenants_cannot_see_sync_or_name_a_connection(world: World) -> None:
    own = world.targets["own"]
    for path in (f"/connections/{own.connection}/sync",):
        assert _post(world, "rival", path, None).status_code == 404
    assert _get(world, "rival", f"/connections/{own.connection}").status_code == 404
    # A rival can neither reuse a name this workspace stored nor read it back.
    named = _post(
        world,
        "rival",
        "/connections",
        {
            "client_id": world.targets["far"].client,
            "platform": "rest",
            "account_id": "rival-acct",
            "connection_name": "w1-shop",
        },
    )
    assert named.status_code == 404, named.text  # as a foreign id


def test_credentials_are_checked_against_the_platform(world: World) -> None:
    body = {
        "client_id": world.targets["own"].client,
        "platform": "rest",
        "account_id": "checked-1",
        "settings": {"colour": "blue"},
        "secrets": {"token": "t"},
    }
    answer = _post(world, "owner", "/connections", body)
    assert answer.status_code == 422
    assert "colour" in answer.json()["detail"]
    assert "config" in answer.json()["detail"]
    unknown = _post(world, "owner", "/connections", {**body, "platform": "fax"})
    assert unknown.status_code == 422
    no_credentials = _post(
        world, "owner", f"/connections/{own_plain(world)}/sync", None
    )
    assert no_credentials.status_code == 409
    assert no_credentials.json()["code"] == "conflict"


def own_plain(world: World) -> int:
    """The seeded link of the own client: an account without stored credentials."""
    return world.targets["own"].connection

"""The commands that set up tenants, run as a user types them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from adreport.appdata.db import open_app_db
from adreport.appdata.models import Membership, User
from adreport.security import audit
from adreport.security.passwords import verify_password
from tests.appdata.databases import KINDS, fresh_url


@pytest.fixture(params=KINDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_url(request.param, tmp_path)


def run(
    home: Path, url: str, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ADREPORT_HOME": str(home), "ADREPORT_APP_DB": url}
    return subprocess.run(
        [sys.executable, "-m", "adreport", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_an_agency_sets_up_a_workspace_a_client_and_a_viewer(
    url: str, tmp_path: Path
) -> None:
    steps = [
        run(tmp_path, url, "workspaces", "create", "Agency"),
        run(tmp_path, url, "clients", "create", "Acme", "--workspace", "Agency"),
        run(
            tmp_path,
            url,
            "users",
            "create",
            "Viewer@Acme.com",
            "--role",
            "client_viewer",
            "--workspace",
            "Agency",
            "--client",
            "Acme",
            "--password-stdin",
            stdin="correct horse battery\n",
        ),
        run(
            tmp_path,
            url,
            "clients",
            "link-account",
            "Acme",
            "--platform",
            "google-ads",
            "--account-id",
            "123",
        ),
    ]
    assert [s.returncode for s in steps] == [0, 0, 0, 0], [s.stderr for s in steps]
    assert "viewer@acme.com is client_viewer in workspace 'Agency'" in steps[2].stdout
    listed = run(tmp_path, url, "clients", "list").stdout
    assert "google-ads 123" in listed

    db = open_app_db(url)
    with db.session() as session:
        user = session.scalars(select(User)).one()
        membership = session.scalars(select(Membership)).one()
        assert verify_password("correct horse battery", user.password_hash)[0]
        assert membership.role == "client_viewer"
        assert membership.client_id is not None
        assert audit.verify_chain(session).entries == 5
    db.close()


def test_mistakes_are_named_with_what_exists(url: str, tmp_path: Path) -> None:
    run(tmp_path, url, "workspaces", "create", "Agency")
    run(tmp_path, url, "workspaces", "create", "Brand")
    unknown = run(tmp_path, url, "clients", "create", "Acme", "--workspace", "Agncy")
    assert unknown.returncode == 2
    assert "no workspace is named 'Agncy'; known: 'Agency', 'Brand'" in unknown.stderr

    unnamed = run(tmp_path, url, "clients", "create", "Acme")
    assert "name the workspace with --workspace NAME" in unnamed.stderr

    viewer = run(
        tmp_path,
        url,
        "users",
        "create",
        "v@example.com",
        "--role",
        "client_viewer",
        "--workspace",
        "Agency",
        "--password-stdin",
        stdin="correct horse battery\n",
    )
    assert viewer.returncode == 2
    assert "a client_viewer sees one client only" in viewer.stderr
    short = run(
        tmp_path,
        url,
        "users",
        "create",
        "v@example.com",
        "--role",
        "analyst",
        "--workspace",
        "Agency",
        "--password-stdin",
        stdin="short\n",
    )
    assert short.returncode == 2
    assert "use at least 10" in short.stderr
    assert (
        "v@example.com"
        not in run(tmp_path, url, "users", "list", "--workspace", "Agency").stdout
    )

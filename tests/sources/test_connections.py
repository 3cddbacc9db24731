"""Stored connections: secrets sealed and bound, keys outside the database,
rotation, and the connect / sync / sources commands."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from adreport.cli.main import COMMAND_MODULES, cli
from adreport.security.secrets import SecretBox, SecretError, add_key_to_file
from adreport.sources.connections import Connection, ConnectionStore
from adreport.sources.sandbox import serve
from adreport.warehouse import Warehouse

CANARY = "canary-refresh-token-7f3a9c2e5b"


def stored(data: Path, workspace: str = "default") -> ConnectionStore:
    warehouse = Warehouse(data / "warehouse.duckdb")
    return ConnectionStore(warehouse, SecretBox.for_data_dir(data, {}), workspace)


def test_a_canary_token_is_nowhere_in_the_database_file(tmp_path):
    store = stored(tmp_path)
    store.save(Connection("g", "google-ads", {"client_id": "c"}, {"refresh": CANARY}))
    assert store.get("g").secrets == {"refresh": CANARY}
    store.warehouse.con.execute("CHECKPOINT")
    store.warehouse.close()
    for path in tmp_path.iterdir():
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path.name


def test_the_key_file_is_the_owners_alone_and_outside_the_database(tmp_path):
    stored(tmp_path).warehouse.close()
    key_file = tmp_path / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().split()[0]
    assert key.encode() not in (tmp_path / "warehouse.duckdb").read_bytes()


def test_swapped_ciphertexts_do_not_decrypt(tmp_path):
    box = SecretBox.for_data_dir(tmp_path, {})
    mine = box.seal("token-of-acme", "acme", "google")
    with pytest.raises(SecretError):
        box.open(mine, "globex", "google")  # another tenant
    with pytest.raises(SecretError):
        box.open(mine, "acme", "meta")  # another connection
    assert box.open(mine, "acme", "google") == "token-of-acme"


def test_a_swap_inside_the_database_is_refused(tmp_path):
    store = stored(tmp_path)
    store.save(Connection("one", "meta", {}, {"token": "first-secret"}))
    store.save(Connection("two", "meta", {}, {"token": "second-secret"}))
    store.warehouse.con.execute(
        "UPDATE connections SET secrets = (SELECT secrets FROM connections "
        "WHERE name = 'one') WHERE name = 'two'"
    )
    with pytest.raises(SecretError, match="two"):
        store.get("two")


def test_keys_rotate_without_downtime(tmp_path):
    store = stored(tmp_path)
    store.save(Connection("g", "google-ads", {}, {"refresh": CANARY}))
    old_key = (tmp_path / "secret.key").read_text().split()[0]
    add_key_to_file(tmp_path)
    store.box = SecretBox.for_data_dir(tmp_path, {})
    assert store.get("g").secrets["refresh"] == CANARY  # old ciphertext still opens
    assert store.rotate_secrets() == 1
    new_key = (tmp_path / "secret.key").read_text().split()[0]
    (tmp_path / "secret.key").write_text(new_key + "\n")  # the old key retired
    store.box = SecretBox.for_data_dir(tmp_path, {})
    assert store.get("g").secrets["refresh"] == CANARY
    assert new_key != old_key


def test_a_key_from_the_environment_wins_over_the_file(tmp_path):
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    box = SecretBox.for_data_dir(tmp_path, {"ADREPORT_SECRET_KEY": key})
    sealed = box.seal("s", "w", "c")
    assert not (tmp_path / "secret.key").exists()
    other = SecretBox.for_data_dir(tmp_path, {})
    with pytest.raises(SecretError):
        other.open(sealed, "w", "c")


@pytest.fixture
def adreport():  # type: ignore[no-untyped-def]
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(f"adreport.cli.{name}")
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, list(args), input=stdin, catch_exceptions=False)

    return run


def test_connect_sync_and_sources_against_the_rest_sandbox(tmp_path, adreport):
    sandbox = pytest.importorskip("adreport.sources.rest.sandbox")
    data = str(tmp_path)
    with serve(sandbox.build_app()) as served:
        settings, secrets = sandbox.sandbox_connection(served.url)
        connected = adreport(
            "--data-dir",
            data,
            "connect",
            "rest",
            "--name",
            "shop",
            "--config",
            settings["config"],
            "--base-url",
            settings["base-url"],
            "--token",
            secrets["token"],
            "--lookback-days",
            "3",
        )
        assert connected.exit_code == 0, connected.output
        assert secrets["token"] not in connected.output
        synced = adreport("--data-dir", data, "sync", "--backfill", "10")
        assert synced.exit_code == 0, synced.output
        assert "finished" in synced.output
    listed = adreport("--data-dir", data, "sources", "--format", "json")
    assert listed.exit_code == 0, listed.output
    (shop,) = json.loads(listed.output)
    assert shop["name"] == "shop"
    assert shop["status"] == "finished"
    assert shop["last_sync"] is not None
    assert shop["data_as_of"] is not None
    assert 1 <= shop["provisional_days"] <= 4
    assert secrets["token"] not in listed.output
    table = adreport("--data-dir", data, "sources")
    assert "shop" in table.output


def test_a_secret_read_from_stdin_is_stored_and_never_echoed(tmp_path, adreport):
    pytest.importorskip("adreport.sources.google_ads")
    from adreport.sources.registry import connect_options

    options = connect_options("google-ads")
    required = {o.name: "x" for o in options if o.required and not o.secret}
    secret_count = sum(1 for o in options if o.required and o.secret)
    args = []
    for name, value in required.items():
        args += ["--" + name.replace("_", "-"), value]
    answers = "".join(f"{CANARY}-{i}\n" for i in range(secret_count))
    result = adreport(
        "--data-dir", str(tmp_path), "connect", "google-ads", *args, stdin=answers
    )
    assert result.exit_code == 0, result.output
    assert CANARY not in result.output
    store = stored(tmp_path)
    secrets = store.get("google-ads").secrets
    assert sorted(secrets.values()) == sorted(
        f"{CANARY}-{i}" for i in range(secret_count)
    )


def test_connect_names_the_options_of_the_platform(tmp_path, adreport):
    result = adreport("--data-dir", str(tmp_path), "connect", "rest", "--colour", "x")
    assert result.exit_code == 2
    assert "--config" in result.output


def test_a_token_the_platform_exchanged_is_kept_for_the_next_sync(tmp_path):
    import asyncio

    from adreport.sources.connections import sync_connection
    from adreport.sources.engine.run import SyncOptions
    from adreport.sources.meta import sandbox
    from adreport.sources.sandbox import FaultPlan

    faults = FaultPlan.parse("token-expiry", known=sandbox.FAULTS)
    with serve(sandbox.build_app(faults)) as served:
        settings, secrets = sandbox.sandbox_connection(served.url)
        store = stored(tmp_path)
        store.save(Connection("meta-shop", "meta", settings, secrets))
        outcome = asyncio.run(
            sync_connection(store, "meta-shop", SyncOptions(backfill_days=2))
        )
        assert outcome.run.status == "finished", outcome.run.message
        kept = store.get("meta-shop").secrets["access_token"]
        store.warehouse.close()

    assert kept != secrets["access_token"]
    assert kept == outcome.connector.auth.access_token  # type: ignore[attr-defined]


def test_a_relative_config_path_is_stored_whole(tmp_path, adreport, monkeypatch):
    config = tmp_path / "configs" / "shop.toml"
    config.parent.mkdir()
    config.write_text("[source]\nname = 'shop'\n")
    monkeypatch.chdir(tmp_path)

    connected = adreport(
        "--data-dir",
        str(tmp_path / "data"),
        "connect",
        "rest",
        "--name",
        "shop",
        "--config",
        "configs/shop.toml",
        "--token",
        "t0ken",
    )

    assert connected.exit_code == 0, connected.output
    store = stored(tmp_path / "data")
    assert store.get("shop").settings["config"] == str(config)
    store.warehouse.close()

"""The CLI beside a running server: the same commands, the same answers.

`adreport serve` runs as a real process on a free loopback port; the commands run
as real processes against its data directory (through the server), and against a
twin directory with no server (on the file). Both must print the same and exit
the same.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROWS = (
    "date,platform,account_id,currency,campaign_id,campaign_name,"
    "impressions,clicks,spend,conversions\n"
    "2024-05-01,meta,M1,USD,C1,Spring,1000,50,10.5,2\n"
    "2024-05-02,meta,M1,USD,C1,Spring,1200,60,12.25,3\n"
    "2024-05-02,google_ads,G1,USD,C2,Search,800,40,20,1\n"
)
# The commands as a user types them, in order; the report goes to a relative folder.
COMMANDS = [
    ["imports"],
    ["query", "--metrics", "spend,clicks,ctr,cpc", "--by", "platform"],
    ["query", "--metrics", "spend,ctr", "--by", "date,campaign", "--format", "csv"],
    ["query", "--metrics", "spend,cpa", "--by", "platform", "--format", "json"],
    ["query", "--metrics", "spend,nonsense"],
    ["report", "--from", "2024-05-01", "--to", "2024-05-02", "--out", "reports"],
    ["sources"],
]


def adreport(data_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adreport", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)


def start_server(data_dir: Path, log: Path) -> Server:
    port = free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "adreport",
                "--data-dir",
                str(data_dir),
                "serve",
                "--port",
                str(port),
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"adreport serve exited: {log.read_text()}")
        if (data_dir / "server.json").is_file():
            try:
                httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                return Server(data_dir, process, log)
            except httpx.HTTPError:
                pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("adreport serve did not start in 60 s")
        time.sleep(0.1)


def comparable(text: str) -> str:
    """Import times differ by the minute they ran in; the rest must not."""
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "<when>", text)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Every command run through the server, and on a twin data dir without one."""
    base = tmp_path_factory.mktemp("remote")
    export = base / "rows.csv"
    export.write_text(ROWS)
    served, alone = base / "served" / "data", base / "alone" / "data"
    served.mkdir(parents=True)
    alone.mkdir(parents=True)
    server = start_server(served, base / "serve.log")
    try:
        note = json.loads((served / "server.json").read_text())
        key_file = served / "local-cli.key"
        facts: dict[str, object] = {
            "note": note,
            "key": key_file.read_text().strip(),
            "modes": {
                name: stat.S_IMODE((served / name).stat().st_mode)
                for name in ("server.json", "local-cli.key")
            },
        }
        results = {}
        for name, data_dir in (("server", served), ("alone", alone)):
            cwd = data_dir.parent
            done = [adreport(data_dir, "import", str(export), cwd=cwd)]
            done += [adreport(data_dir, *command, cwd=cwd) for command in COMMANDS]
            results[name] = done
        facts["results"] = results
        facts["log_while_running"] = server.log.read_text()
    finally:
        server.stop()
    facts["log"] = server.log.read_text()
    facts["left"] = sorted(p.name for p in served.iterdir())
    facts["base"] = base
    facts["served"] = served
    return facts


def test_the_commands_go_through_the_server(runs: dict[str, object]) -> None:
    log = str(runs["log_while_running"])
    for route in ("import", "imports", "query", "report", "sources"):
        assert f"/api/v1/local/{route} " in log, route
    note = runs["note"]
    assert isinstance(note, dict)
    assert note["url"].startswith("http://127.0.0.1:")
    assert note["pid"] > 0


def test_through_the_server_prints_and_exits_as_alone(runs: dict[str, object]) -> None:
    results = runs["results"]
    assert isinstance(results, dict)
    import_done = results["server"][0]
    assert import_done.returncode == 0, import_done.stderr
    assert "3 rows read, 3 new" in import_done.stdout
    for command, via, alone in zip(
        [["import"], *COMMANDS], results["server"], results["alone"], strict=True
    ):
        assert via.returncode == alone.returncode, command
        assert comparable(via.stdout) == comparable(alone.stdout), command
        assert comparable(via.stderr) == comparable(alone.stderr), command


def test_the_answers_are_the_numbers_imported(runs: dict[str, object]) -> None:
    results = runs["results"]
    assert isinstance(results, dict)
    by_platform = json.loads(results["server"][4].stdout)
    spend = {row["platform"]: row["spend"] for row in by_platform["rows"]}
    assert spend == {"google_ads": 20.0, "meta": 22.75}
    csv_lines = results["server"][3].stdout.splitlines()
    assert csv_lines[0] == "date,campaign,campaign_id,spend,ctr"
    assert "2024-05-02,Spring,C1,12.25,0.05" in csv_lines
    unknown = results["server"][5]
    assert unknown.returncode == 2
    assert "unknown metric 'nonsense'" in unknown.stderr
    report = results["server"][6]
    assert report.returncode == 0, report.stderr
    pdf = Path(report.stdout.splitlines()[0])
    assert not pdf.is_absolute()
    assert pdf.parts[0] == "reports"
    base = runs["served"]
    assert isinstance(base, Path)
    assert (base.parent / pdf).read_bytes().startswith(b"%PDF")


def test_the_local_key_is_private_fresh_and_never_logged(
    runs: dict[str, object],
) -> None:
    assert runs["modes"] == {"server.json": 0o600, "local-cli.key": 0o600}
    key = str(runs["key"])
    assert len(key) >= 40
    assert key not in str(runs["log"])
    # removed at shutdown
    left = runs["left"]
    assert isinstance(left, list)
    assert "server.json" not in left
    assert "local-cli.key" not in left


def test_the_local_routes_refuse_a_wrong_key(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", tmp_path / "serve.log")
    try:
        note = json.loads((tmp_path / "data" / "server.json").read_text())
        for headers in ({}, {"X-Adreport-Local-Key": "guess"}):
            answer = httpx.get(f"{note['url']}/api/v1/local/imports", headers=headers)
            assert answer.status_code == 401
        spec = httpx.get(f"{note['url']}/api/v1/openapi.json").json()
        assert not [p for p in spec["paths"] if p.startswith("/local")]
    finally:
        server.stop()


def test_a_stale_server_file_is_ignored(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (tmp_path / "rows.csv").write_text(ROWS)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = {"url": f"http://127.0.0.1:{free_port()}", "pid": gone.pid}
    (data / "server.json").write_text(json.dumps({**stale, "started_at": "x"}))
    (data / "local-cli.key").write_text("old\n")

    done = adreport(data, "import", str(tmp_path / "rows.csv"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    query = adreport(data, "query", "--metrics", "spend", cwd=tmp_path)
    assert query.returncode == 0, query.stderr
    assert "$42.75" in query.stdout


def test_a_warehouse_held_by_another_process_is_named(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (tmp_path / "rows.csv").write_text(ROWS)
    assert adreport(data, "import", str(tmp_path / "rows.csv"), cwd=tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; held = duckdb.connect(sys.argv[1]); "
            "print('held', flush=True); time.sleep(600)",
            str(data / "warehouse.duckdb"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        done = adreport(data, "imports", cwd=tmp_path)
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 2
    message = " ".join(done.stderr.split())
    assert f"held by another process: pid {holder.pid}" in message
    assert f"kill {holder.pid}" in message
    assert "Traceback" not in done.stderr
    assert os.path.exists(data / "warehouse.duckdb")

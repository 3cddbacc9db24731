"""Sync speed: records per second from sandbox HTTP pages into the warehouse.

Three ways over the same 100,000 campaign-day records of the REST sandbox (run
in its own process, so the server has a core of its own):

- adreport: the engine's real sync path (session, REST connector, mapping,
  writer, staged merge with checkpoints) into a fresh DuckDB warehouse;
- dlt with its default settings, paging the same API and loading DuckDB;
- DuckDB's read_json over the same pages saved to disk (the floor: no HTTP,
  no normalising, no upsert).

Targets: at least 10x dlt's default, and within 2x of DuckDB reading the JSON.
Run: .venv/bin/python benchmarks/sync.py [--records N] [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx

from adreport.sources.engine import FakeClock
from adreport.sources.engine.run import Source, SyncOptions, sync_source
from adreport.sources.rest.sandbox import TOKEN, build_app, sandbox_connection
from adreport.warehouse import Warehouse

PAGE = 5000  # records per page, as the sandbox's worked config asks


def serve_forever(port: int, records: int) -> None:
    import uvicorn

    app = build_app(records=records)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/__sandbox/requests", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError("the sandbox did not start")


def pages(url: str) -> Iterator[dict[str, object]]:
    """Every page of the 90 days, following the cursor (used by dlt and the dump)."""
    since, until = span()
    params = {"since": since, "until": until, "per_page": str(PAGE)}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    while True:
        body = httpx.get(f"{url}/v1/report", params=params, headers=headers).json()
        yield body
        cursor = body["paging"]["next_cursor"]
        if not cursor:
            return
        params["cursor"] = cursor


def span() -> tuple[str, str]:
    from datetime import timedelta

    last = datetime.now(UTC).date() - timedelta(days=1)
    return (last - timedelta(days=89)).isoformat(), last.isoformat()


def adreport_sync(url: str, folder: Path) -> int:
    settings, secrets = sandbox_connection(url)
    config = Path(settings.pop("config")).read_text(encoding="utf-8")
    settings["config-text"] = config.replace("size = 1000", f"size = {PAGE}")
    source = Source("bench", "rest", settings, secrets)
    with Warehouse(folder / "warehouse.duckdb") as warehouse:
        outcome = asyncio.run(
            sync_source(
                warehouse,
                source,
                SyncOptions(backfill_days=90),
                clock=FakeClock(start=datetime.now(UTC)),
            )
        )
        assert outcome.run.status == "finished", outcome.run.message
        return int(warehouse.rows("SELECT count(*) FROM facts")[0][0])


def dlt_load(url: str, folder: Path) -> int:
    os.environ["DLT_DATA_DIR"] = str(folder / "dlt-data")
    import dlt
    from dlt.sources.helpers import requests as dlt_requests

    since, until = span()

    @dlt.resource(name="report")
    def report() -> Iterator[list[object]]:
        params = {"since": since, "until": until, "per_page": str(PAGE)}
        headers = {"Authorization": f"Bearer {TOKEN}"}
        while True:
            body = dlt_requests.get(
                f"{url}/v1/report", params=params, headers=headers
            ).json()
            yield body["data"]
            if not body["paging"]["next_cursor"]:
                return
            params["cursor"] = body["paging"]["next_cursor"]

    pipeline = dlt.pipeline(
        pipeline_name="bench",
        pipelines_dir=str(folder / "dlt-pipelines"),
        destination=dlt.destinations.duckdb(str(folder / "dlt.duckdb")),
        dataset_name="bench",
    )
    pipeline.run(report())
    with pipeline.sql_client() as client:
        return int(client.execute_sql("SELECT count(*) FROM report")[0][0])


def duckdb_read(folder: Path) -> int:
    import duckdb

    con = duckdb.connect(str(folder / "read.duckdb"))
    con.execute(
        "CREATE TABLE report AS SELECT unnest(data, recursive := true) "
        f"FROM read_json('{folder}/pages/*.json')"
    )
    return int(con.execute("SELECT count(*) FROM report").fetchall()[0][0])


def timed(job: Callable[[Path], int], runs: int) -> tuple[float, int]:
    seconds, rows = [], 0
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="adreport-bench-") as place:
            folder = Path(place)
            (folder / "pages").mkdir()
            prepare(folder)
            start = time.perf_counter()
            rows = job(folder)
            seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), rows


PAGES: list[dict[str, object]] = []


def prepare(folder: Path) -> None:
    for number, body in enumerate(PAGES):
        (folder / "pages" / f"{number:05d}.json").write_text(json.dumps(body))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    port = free_port()
    server = multiprocessing.get_context("spawn").Process(
        target=serve_forever, args=(port, args.records), daemon=True
    )
    server.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_up(url)
        PAGES.extend(pages(url))  # warms the server and is the DuckDB input
        ours, n1 = timed(lambda f: adreport_sync(url, f), args.runs)
        peer, n2 = timed(lambda f: dlt_load(url, f), args.runs)
        floor, n3 = timed(duckdb_read, args.runs)
    finally:
        server.terminate()
        server.join()
    print(f"{args.records:,} records, median of {args.runs} runs")
    for name, seconds, rows in (
        ("adreport sync (HTTP -> normalised -> merged)", ours, n1),
        ("dlt, default settings (HTTP -> DuckDB)", peer, n2),
        ("DuckDB read_json (same pages from disk)", floor, n3),
    ):
        print(f"  {name:48s} {seconds:7.2f} s {rows / seconds:12,.0f} records/s")
    print(f"  adreport vs dlt: {peer / ours:.1f}x faster (target >= 10x)")
    print(
        f"  adreport vs DuckDB read_json: {ours / floor:.1f}x the time (target <= 2x)"
    )


if __name__ == "__main__":
    main()

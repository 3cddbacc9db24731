"""How fast adreport imports exports and answers dashboard queries, in how much memory.

    python benchmarks/run.py [--rows 1000000] [--fact-rows 10000000] [--quick]
                             [--only import|query|report] [--source GIT-REV]

Every figure is a median of several runs, each in a fresh child process so that its
peak resident memory (getrusage's ru_maxrss) belongs to that run alone. Files and
warehouses are generated the same way every time into a temporary folder (or
--work-dir, where they are kept and reused). Targets on a 2-core machine: import at
least 200,000 rows/s with memory that does not grow with the file, and a median
dashboard query under 0.3 s over 10 million fact rows.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import big_warehouse
import exports

FETCHED_AT = datetime(2026, 1, 5, 9, 0)
RESTATED_AT = datetime(2026, 1, 6, 9, 0)
IMPORT_TARGET = 200_000  # rows/s
QUERY_TARGET = 0.3  # seconds
KPIS = [
    "impressions",
    "clicks",
    "spend",
    "conversions",
    "revenue",
    "ctr",
    "cpc",
    "cpa",
    "roas",
]
CHANNELS = ["search", "shopping", "performance_max", "social"]
TWO_YEARS = (big_warehouse.FIRST_DAY, date(2024, 12, 30))  # every day of the warehouse
LAST_90_DAYS = (date(2024, 10, 1), date(2024, 12, 30))


def main() -> None:
    args = _arguments()
    if args.child:
        print(json.dumps(CHILDREN[args.child](*args.child_args)))
        return
    runs = 1 if args.quick else args.runs
    with tempfile.TemporaryDirectory(prefix="adreport-bench-") as scratch:
        folder = Path(args.work_dir or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        if args.source:
            os.environ["PYTHONPATH"] = str(_archive(args.source, Path(scratch)))
        table: list[tuple[str, str, str]] = []
        if args.only in (None, "import"):
            _import_figures(folder, args.rows, runs, args.quick, table)
        if args.only in (None, "query"):
            _query_figures(folder, args.fact_rows, runs, args.query_runs, table)
        if args.only in (None, "report"):
            _report_figures(folder, table, runs)
        _print(table)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--fact-rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3, help="runs per import figure")
    parser.add_argument("--query-runs", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="one run of each")
    parser.add_argument("--work-dir", help="keep generated files here and reuse them")
    parser.add_argument("--only", choices=["import", "query", "report"])
    parser.add_argument(
        "--source", metavar="REV", help="measure the adreport of a git revision"
    )
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("child_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.query_runs = 3
    return args


# ---- import ---------------------------------------------------------------------


def _import_figures(
    folder: Path, rows: int, runs: int, quick: bool, table: list[tuple[str, str, str]]
) -> None:
    mapping = exports.write_mapping(folder)
    sizes = [rows] if quick else sorted({max(1, rows // 4), rows})
    for size in sizes:
        export = _export(folder, size)
        results = [
            _child("import", export, mapping, folder / "import.duckdb")
            for _ in range(runs)
        ]
        _add_import_rows(table, f"import {size:,} rows", size, results)

    if not quick:
        restated = _export(folder, rows, restated=True)
        results = [
            _child(
                "reimport",
                _export(folder, rows),
                restated,
                mapping,
                folder / "import.duckdb",
            )
            for _ in range(runs)
        ]
        _add_import_rows(table, f"re-import {rows:,} restated rows", rows, results)


def _export(folder: Path, rows: int, restated: bool = False) -> Path:
    path = folder / f"campaign-report-{rows}{'-restated' if restated else ''}.csv"
    if not path.is_file():
        exports.write_export(path, rows, restated)
    return path


def _add_import_rows(
    table: list[tuple[str, str, str]], label: str, rows: int, results: list[Any]
) -> None:
    seconds = statistics.median(r["seconds"] for r in results)
    cpu = statistics.median(r["cpu"] for r in results)
    peak = statistics.median(r["peak_mb"] for r in results)
    rate = rows / seconds
    verdict = "ok" if rate >= IMPORT_TARGET else f"target {IMPORT_TARGET:,}"
    table.append((label, f"{rate:,.0f} rows/s ({seconds:.2f} s)", verdict))
    table.append((f"{label}: processor time", f"{cpu:.2f} s", ""))
    table.append((f"{label}: peak memory", f"{peak:,.0f} MB", ""))
    counts = results[-1]["counts"]
    table.append((f"{label}: merged", counts, ""))


def import_child(export: str, mapping: str, warehouse: str) -> dict[str, Any]:
    Path(warehouse).unlink(missing_ok=True)
    return _timed_import(Path(export), mapping, Path(warehouse), FETCHED_AT)


def reimport_child(
    first: str, restated: str, mapping: str, warehouse: str
) -> dict[str, Any]:
    Path(warehouse).unlink(missing_ok=True)
    _timed_import(Path(first), mapping, Path(warehouse), FETCHED_AT)
    return _timed_import(Path(restated), mapping, Path(warehouse), RESTATED_AT)


def _timed_import(
    export: Path, mapping: str, path: Path, fetched_at: datetime
) -> dict[str, Any]:
    from adreport.ingest.importer import ImportOptions, import_file
    from adreport.warehouse import Warehouse

    options = ImportOptions(format=mapping, fetched_at=fetched_at)
    with Warehouse(path) as warehouse:
        started, cpu = time.perf_counter(), time.process_time()
        result = import_file(warehouse, export, options)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    c = result.counts
    return {
        "seconds": seconds,
        "cpu": cpu,
        "peak_mb": _peak_mb(),
        "counts": f"{c.new:,} new, {c.replaced:,} replaced, {c.unchanged:,} unchanged",
    }


# ---- query ----------------------------------------------------------------------


def _query_figures(
    folder: Path,
    fact_rows: int,
    runs: int,
    query_runs: int,
    table: list[tuple[str, str, str]],
) -> None:
    path = folder / f"warehouse-{fact_rows}.duckdb"
    if not path.is_file():
        started = time.perf_counter()
        built = big_warehouse.build(path, fact_rows)
        took = time.perf_counter() - started
        table.append(("build warehouse in SQL", f"{built:,} facts in {took:.1f} s", ""))
    results = [_child("query", path, query_runs) for _ in range(max(1, runs // 2))]
    for name in results[0]["seconds"]:
        seconds = statistics.median(s for r in results for s in r["seconds"][name])
        cpu = statistics.median(s for r in results for s in r["cpu"][name])
        verdict = "ok" if seconds < QUERY_TARGET else f"target {QUERY_TARGET} s"
        if name != "dashboard":
            verdict = ""
        table.append((f"query {name}: median", f"{seconds:.3f} s", verdict))
        table.append((f"query {name}: processor time", f"{cpu:.3f} s", ""))
        table.append(
            (f"query {name}: first run", f"{results[0]['first'][name]:.3f} s", "")
        )
        table.append((f"query {name}: result", results[0]["digest"][name], ""))
    peak = statistics.median(r["peak_mb"] for r in results)
    table.append(("query: peak memory", f"{peak:,.0f} MB", ""))


def query_child(warehouse: str, runs: str) -> dict[str, Any]:
    from adreport.metrics.backends import DuckDBDatabase
    from adreport.metrics.fx import Rates
    from adreport.metrics.query import MetricQuery, run_query
    from adreport.metrics.registry import Registry
    from adreport.warehouse import Warehouse

    def dashboard(start: date | None = None, end: date | None = None) -> MetricQuery:
        """KPIs by day and channel in KRW, display and video left out."""
        return MetricQuery(
            KPIS, ["date", "channel"], start, end, "KRW", {"channel": CHANNELS}
        )

    queries = {
        "dashboard": dashboard(*TWO_YEARS),
        "dashboard 90 days": dashboard(*LAST_90_DAYS),
        "dashboard, no period given": dashboard(),
    }
    seconds: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    first: dict[str, float] = {}
    digest: dict[str, str] = {}
    with Warehouse(warehouse) as store:
        db = DuckDBDatabase(store, Rates())
        registry = Registry()
        for name, query in queries.items():
            first[name], _, result = _clock(partial(run_query, db, registry, query))
            digest[name] = _digest(result)
            clocked = [
                _clock(partial(run_query, db, registry, query))
                for _ in range(int(runs))
            ]
            seconds[name] = [wall for wall, _, _ in clocked]
            cpu[name] = [used for _, used, _ in clocked]
    return {
        "seconds": seconds,
        "cpu": cpu,
        "first": first,
        "digest": digest,
        "peak_mb": _peak_mb(),
    }


def _clock(work: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall-clock and processor seconds (all threads) of `work`, and its result."""
    started, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.perf_counter() - started, time.process_time() - cpu, result


def _digest(result: Any) -> str:
    """Row count and a hash of every value, to see that a change kept the numbers."""
    text = repr((result.rows, result.notes, result.rates, result.provisional_days))
    return f"{len(result.rows):,} rows, {hashlib.sha256(text.encode()).hexdigest():.12}"


# ---- report render --------------------------------------------------------------
# The demo's 90 days (three platforms, two currencies, 4,680 fact rows), reported
# over the last 30 days in KRW with its comparison period. Target: under 3 s.


REPORT_TARGET = 3.0  # seconds
REPORT_LAST_DAY = date(2024, 6, 30)


def _report_figures(folder: Path, table: list[tuple[str, str, str]], runs: int) -> None:
    demo = folder / "report-demo"
    _child("demo", demo)
    results = [
        _child("report", demo / "warehouse", lang) for lang in ["en", "ko"] * runs
    ]
    for lang in ("en", "ko"):
        mine = [r for r in results if r["lang"] == lang]
        median = statistics.median(r["seconds"] for r in mine)
        verdict = "ok" if median < REPORT_TARGET else f"target {REPORT_TARGET} s"
        table.append((f"report render ({lang}): median", f"{median:.2f} s", verdict))
        peak = max(r["peak_mb"] for r in mine)
        table.append((f"report render ({lang}): peak memory", f"{peak:,.0f} MB", ""))


def demo_child(folder: str) -> dict[str, Any]:
    from adreport.demo.run import run_demo

    run_demo(Path(folder), "en", last_day=REPORT_LAST_DAY, say=lambda _: None)
    return {}


def report_child(data_dir: str, lang: str) -> dict[str, Any]:
    from adreport.config import load_settings
    from adreport.reports.build import ReportOptions, build_report
    from adreport.warehouse import Warehouse

    settings = load_settings(Path(data_dir))
    options = ReportOptions(
        period="last-30-days",
        currency="KRW",
        lang=lang,
        out_dir=Path(data_dir) / "bench-reports",
    )
    with Warehouse(settings.warehouse_path) as warehouse:
        started = time.perf_counter()
        build_report(settings, warehouse, options)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_mb": _peak_mb(), "lang": lang}


# ---- plumbing -------------------------------------------------------------------


CHILDREN: dict[str, Callable[..., dict[str, Any]]] = {
    "import": import_child,
    "reimport": reimport_child,
    "query": query_child,
    "report": report_child,
    "demo": demo_child,
}


def _archive(rev: str, folder: Path) -> Path:
    """The `src` folder of revision `rev`, unpacked into `folder`."""
    checkout = Path(__file__).resolve().parents[1]
    packed = subprocess.run(
        ["git", "-C", str(checkout), "archive", rev, "src"],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=packed.stdout, check=True)
    return folder / "src"


def _child(kind: str, *args: Any) -> Any:
    command = [sys.executable, __file__, "--child", kind, *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"benchmark {kind} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _print(table: list[tuple[str, str, str]]) -> None:
    if not table:
        return
    width = max(len(row[0]) for row in table)
    value_width = max(len(row[1]) for row in table)
    for label, value, verdict in table:
        print(f"{label:<{width}}  {value:>{value_width}}  {verdict}")


if __name__ == "__main__":
    main()

"""Check that a change to the import path kept its behaviour, to the last byte.

    python benchmarks/same_imports.py [--before REV] [--after SRC-FOLDER]

Runs the same imports with the source of REV (default HEAD) and with the working
tree, each in its own process, and compares everything a user could see: the
import results, every error message and problem (file, line, column, value), the
rejects files, and every row of every warehouse table. The imports are the real
files in ../shared/data plus generated files full of the awkward things exports
do: blank and short rows, trailing separators, quoted line breaks, totals rows,
bad and censored numbers, other encodings, duplicate keys, restated re-imports and
more rows than one batch.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import exports

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent
SHARED = CHECKOUT / ".." / "shared" / "data"
FETCHED = datetime(2026, 1, 5, 9, 0)
VOLATILE = {"started_at", "finished_at", "replaced_at"}

EDGE_ROWS = [
    [
        "2024-01-02",
        "101-555-1000",
        "Acme",
        "11",
        "Brand",
        "Search",
        "Computers",
        "KRW",
        "1,234",
        "56",
        "7,890",
        "1.50",
        "12,000",
    ],
    [],
    [",,,,,,,,,,,,"],
    ["", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["2024-01-02", "101-555-1000", "Acme", "11", "Brand", "Search", "Tablets", "KRW"],
    [
        "2024-01-02",
        "101-555-1000",
        "Acme",
        "12",
        "Brand 2",
        "Search",
        "Tablets",
        "KRW",
        "10",
        "1",
        "100",
        "0",
        "0",
        "",
    ],
    [
        "2024-01-02",
        "101-555-1000",
        "Acme",
        "13",
        "Two\nlines",
        "Display",
        "Computers",
        "KRW",
        "10",
        "1",
        "100",
        "0",
        "0",
    ],
    [
        "2024-01-02",
        "101-555-1000",
        "Acme",
        "14",
        "Bad",
        "Video",
        "Computers",
        "KRW",
        "1,23",
        "abc",
        "12%",
        "(1,234.5)",
        "< 10%",
    ],
    [
        "  2024-01-03",
        "101-555-1000",
        "Acme",
        "15",
        "Spaces",
        "Shopping",
        "Mobile phones",
        "KRW",
        "1\u00a0234",
        "₩1,200",
        "$5.00",
        "--",
        "",
    ],
    [
        "2024-01-03",
        "101-555-1000",
        "Acme",
        "15",
        "Spaces",
        "Shopping",
        "Mobile phones",
        "KRW",
        "1",
        "2",
        "3",
        "4",
        "5",
    ],
    [
        "2024-13-45",
        "101-555-1000",
        "Acme",
        "16",
        "Bad day",
        "Search",
        "Computers",
        "XXX",
        "1",
        "2",
        "3",
        "4",
        "5",
    ],
    ["#comment", "x"],
    [
        "2024-01-04",
        "101-555-1000",
        "Acme",
        "",
        "No id",
        "Search",
        "Computers",
        "KRW",
        "1",
        "2",
        "3",
        "4",
        "5",
    ],
    ["--", "Total: x", "", "", "", "", "", "", "1", "", "", "", ""],
    ["Total: Account", "", "", "", "", "", "", "", "9", "9", "9", "9", "9"],
    [
        "2024-01-05",
        "101-555-1000",
        "After",
        "17",
        "After total",
        "Search",
        "Computers",
        "KRW",
        "1",
        "2",
        "3",
        "4",
        "5",
    ],
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="HEAD")
    parser.add_argument(
        "--after", type=Path, default=CHECKOUT / "src", help="a src folder to compare"
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _run_scenarios(Path(args.child[0]), Path(args.child[1]))
        return
    with tempfile.TemporaryDirectory(prefix="adreport-same-") as scratch:
        folder = Path(scratch)
        old_src = _archive(args.before, folder / "before")
        files = folder / "files"
        files.mkdir()
        _write_files(files)
        before = _child(old_src, files, folder / "before.json")
        after = _child(args.after, files, folder / "after.json")
    differences = _compare(before, after)
    for line in differences[:40]:
        print(line)
    print(
        f"{len(before)} imports compared with {args.before}: "
        f"{len(differences)} difference(s)"
    )
    sys.exit(1 if differences else 0)


def _archive(rev: str, target: Path) -> Path:
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(CHECKOUT), "archive", rev, "src"],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target / "src"


def _child(src: Path, files: Path, out: Path) -> dict[str, Any]:
    env = {"PYTHONPATH": f"{src}:{HERE}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(files), str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        sys.exit(f"imports with {src} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(out.read_text())
    return result


# ---- the files --------------------------------------------------------------------


def _write_files(folder: Path) -> None:
    mapping = exports.write_mapping(folder)
    text = mapping.read_text().replace(
        'stop_at_rows_starting = ["Total:"]',
        'skip_rows_starting = ["#", "--"]\nstop_at_rows_starting = ["Total:"]',
    )
    (folder / "edge.toml").write_text(text)
    exports.write_export(folder / "big.csv", 230_000)
    exports.write_export(folder / "big-restated.csv", 230_000, restated=True)
    _with_bad_cells(folder / "big.csv", folder / "big-bad.csv")
    _edge_file(folder / "edge.csv", "utf-8", "\n")
    _edge_file(folder / "edge-crlf.csv", "utf-8-sig", "\r\n")
    _edge_file(folder / "edge-cr.csv", "utf-8", "\r")
    _edge_file(folder / "edge-16.csv", "utf-16", "\r\n")
    _edge_file(folder / "edge-1252.csv", "cp1252", "\n", latin=True)
    _edge_file(folder / "edge-trailing.csv", "utf-8", "\n", trailing=True)
    small = exports.write_export(folder / "small.csv", 3_000)
    duplicated = small.read_text().splitlines(keepends=True)
    (folder / "duplicates.csv").write_text(
        "".join(duplicated[:-1] + duplicated[3:1000] + duplicated[-1:])
    )


def _with_bad_cells(source: Path, target: Path) -> None:
    """Every 9,973rd data row gets clicks that are not a number."""
    import csv

    with (
        source.open(encoding="utf-8", newline="") as reader,
        target.open("w", encoding="utf-8", newline="") as writer,
    ):
        rows = csv.writer(writer, lineterminator="\n")
        for number, cells in enumerate(csv.reader(reader)):
            if number > 3 and number % 9_973 == 0 and len(cells) > 9:
                cells[9] = f"{cells[9]}x"
            rows.writerow(cells)


def _edge_file(
    path: Path, encoding: str, newline: str, latin: bool = False, trailing: bool = False
) -> None:
    import csv
    import io

    out = io.StringIO()
    out.write("Campaign report" + newline + '"All time"' + newline)
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(exports.HEADER)
    for row in EDGE_ROWS:
        cells = [c.replace("₩", "€") for c in row] if latin else list(row)
        if cells == [",,,,,,,,,,,,"]:
            out.write(",,,,,,,,,,,," + newline)
            continue
        writer.writerow([*cells, ""] if trailing and cells else cells)
    path.write_bytes(out.getvalue().encode(encoding))


# ---- the imports ------------------------------------------------------------------


def _scenarios(files: Path) -> list[tuple[str, list[tuple[Path, dict[str, Any]]]]]:
    edge = str(files / "edge.toml")
    bench = str(files / "bench-campaign-report.toml")
    edge_files = sorted(files.glob("edge*.csv"))
    scenarios = [
        (f"{p.name} {mode}", [(p, {"format": edge, "skip_bad_rows": skip})])
        for p in edge_files
        for mode, skip in (("strict", False), ("skip", True))
    ]
    scenarios += [
        (
            "big strict, restated, unchanged, outdated",
            [
                (files / "big.csv", {"format": bench}),
                (
                    files / "big-restated.csv",
                    {"format": bench, "fetched_at": datetime(2026, 1, 6)},
                ),
                (
                    files / "big-restated.csv",
                    {"format": bench, "fetched_at": datetime(2026, 1, 7)},
                ),
                (
                    files / "big.csv",
                    {"format": bench, "fetched_at": datetime(2026, 1, 4)},
                ),
            ],
        ),
        (
            "big with bad cells",
            [
                (files / "big-bad.csv", {"format": bench}),
                (files / "big-bad.csv", {"format": bench, "skip_bad_rows": True}),
            ],
        ),
        ("duplicates", [(files / "duplicates.csv", {"format": bench})]),
        (
            "big fetched while its last days were provisional",
            [
                (
                    files / "big.csv",
                    {"format": bench, "fetched_at": datetime(2024, 2, 20)},
                )
            ],
        ),
    ]
    scenarios += _shared_scenarios()
    return scenarios


def _shared_scenarios() -> list[tuple[str, list[tuple[Path, dict[str, Any]]]]]:
    if not SHARED.is_dir():
        return []
    everything = {
        "account": "shared",
        "currency": "USD",
        "day": date(2017, 8, 30),
        "skip_bad_rows": True,
    }
    meta = SHARED / "fivetran_dbt_ad_reporting" / "facebook_ads_basic_ad"
    companions = [
        Path(f"{meta}_actions_data.csv"),
        Path(f"{meta}_action_values_data.csv"),
    ]
    found = [
        (
            "shared meta ads with their action tables",
            [(Path(f"{meta}_data.csv"), {**everything, "companions": companions})],
        )
    ]
    fivetran = SHARED / "fivetran_dbt_ad_reporting"
    found.append(
        (
            "shared google accounts, then stats in their currency",
            [
                (fivetran / "google_ads_account_history_data.csv", {}),
                (fivetran / "google_ads_campaign_stats_data.csv", {}),
                (fivetran / "google_ads_ad_stats_data.csv", {}),
            ],
        )
    )
    for path in sorted(SHARED.rglob("*.csv")):
        found.append((f"shared {path.name} strict", [(path, {"account": "shared"})]))
        found.append((f"shared {path.name} given all", [(path, dict(everything))]))
    return found


def _run_scenarios(files: Path, out: Path) -> None:
    from adreport.warehouse import Warehouse

    outcomes: dict[str, Any] = {}
    for name, imports in _scenarios(files):
        with (
            tempfile.TemporaryDirectory() as scratch,
            Warehouse(Path(scratch) / "w.duckdb") as warehouse,
        ):
            steps = [
                _import(warehouse, path, options, Path(scratch))
                for path, options in imports
            ]
            outcomes[name] = {"imports": steps, "tables": _tables(warehouse)}
    out.write_text(json.dumps(outcomes, default=str))


def _import(
    warehouse: Any, path: Path, options: dict[str, Any], scratch: Path
) -> dict[str, Any]:
    from adreport.errors import AdreportError
    from adreport.ingest.importer import ImportOptions, import_file

    options = {"fetched_at": FETCHED, **options, "rejects_dir": scratch / "rejects"}
    companions = options.pop("companions", None)
    try:
        result = import_file(
            warehouse, path, ImportOptions(**options), companions=companions
        )
    except (AdreportError, KeyError, ValueError) as exc:
        problems = getattr(exc, "problems", [])
        return {
            "error": type(exc).__name__,
            "message": str(exc),
            "problems": [p.as_row() for p in problems],
        }
    outcome = {
        k: v for k, v in vars(result).items() if k not in ("rejects_file", "counts")
    }
    outcome["counts"] = vars(result.counts)
    if result.rejects_file:
        outcome["rejects"] = result.rejects_file.read_text(encoding="utf-8")
    return outcome


def _tables(warehouse: Any) -> dict[str, Any]:
    names = [
        r[0]
        for r in warehouse.rows(
            "SELECT table_name FROM information_schema.tables ORDER BY 1"
        )
    ]
    tables = {}
    for name in names:
        columns = [
            r[0]
            for r in warehouse.rows(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = ? ORDER BY ordinal_position",
                [name],
            )
            if r[0] not in VOLATILE
        ]
        listed = ", ".join(f'"{c}"' for c in columns)
        tables[name] = {
            "columns": columns,
            "rows": [
                list(map(repr, r))
                for r in warehouse.rows(f'SELECT {listed} FROM "{name}" ORDER BY ALL')
            ],
        }
    return tables


def _compare(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    differences = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if old is None or new is None:
            differences.append(
                f"{name}: only in {'after' if old is None else 'before'}"
            )
            continue
        for i, (a, b) in enumerate(zip(old["imports"], new["imports"], strict=True)):
            for key in sorted(set(a) | set(b)):
                if a.get(key) != b.get(key):
                    differences.append(
                        f"{name} import {i + 1} {key}:"
                        f"\n  before {str(a.get(key))[:300]}"
                        f"\n  after  {str(b.get(key))[:300]}"
                    )
        for table in sorted(set(old["tables"]) | set(new["tables"])):
            a, b = old["tables"].get(table), new["tables"].get(table)
            if a != b:
                differences.append(f"{name} table {table}: {_first_change(a, b)}")
    return differences


def _first_change(a: Any, b: Any) -> str:
    if not a or not b:
        return "present on one side only"
    if a["columns"] != b["columns"]:
        return f"columns {a['columns']} vs {b['columns']}"
    if len(a["rows"]) != len(b["rows"]):
        return f"{len(a['rows'])} rows vs {len(b['rows'])}"
    for x, y in zip(a["rows"], b["rows"], strict=True):
        if x != y:
            return f"\n  before {x}\n  after  {y}"
    return "?"


if __name__ == "__main__":
    main()

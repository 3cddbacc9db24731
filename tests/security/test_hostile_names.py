"""Names from files are data: they come out as text, never as formulas or markup."""

from __future__ import annotations

import csv
import io
import json

from adreport.cli.output import to_csv, to_json

HOSTILE = [
    '=HYPERLINK("http://127.0.0.1:9/x","open")',
    "+1+1",
    "@SUM(1)",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}}",
]


def _load(lab):
    lines = ["date,platform,account_id,currency,campaign_id,campaign_name,spend"]
    for number, name in enumerate(HOSTILE):
        quoted = '"' + name.replace('"', '""') + '"'
        lines.append(f"2024-05-01,meta,A1,USD,C{number},{quoted},10")
    lines.append("2024-05-01,meta,A1,USD,CN,Refund,-12.50")
    lab.load("hostile.csv", "\n".join(lines) + "\n")


def test_formula_names_are_text_cells_and_negative_spend_stays_a_number(lab):
    _load(lab)

    text = to_csv(lab.query("spend", by="campaign"))
    cells = {row["campaign_id"]: row for row in csv.DictReader(io.StringIO(text))}

    assert cells["C0"]["campaign"] == "'" + HOSTILE[0]
    assert cells["C1"]["campaign"] == "'+1+1"
    assert cells["C2"]["campaign"] == "'@SUM(1)"
    assert cells["C3"]["campaign"] == HOSTILE[3]
    assert cells["CN"]["spend"] == "-12.5"


def test_names_come_back_unchanged_in_json(lab):
    _load(lab)

    rows = json.loads(to_json(lab.query("spend", by="campaign")))["rows"]

    assert sorted(r["campaign"] for r in rows) == sorted([*HOSTILE, "Refund"])

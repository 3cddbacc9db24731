"""Acceptance tests read the real files in ../shared/data beside the checkout."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

pytestmark = pytest.mark.acceptance


def raw_rows(
    path: Path, delimiter: str = ",", encoding: str = "utf-8-sig"
) -> list[dict[str, str]]:
    """The file as a plain CSV reader sees it: the independent side of each check."""
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def total(
    rows: list[dict[str, str]], column: str, scale: Decimal = Decimal(1)
) -> Decimal:
    return sum(
        (Decimal(r[column]) * scale for r in rows if r[column].strip()), Decimal(0)
    )

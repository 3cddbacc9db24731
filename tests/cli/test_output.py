"""Numbers in the table as a reader needs them."""

from __future__ import annotations

from adreport.metrics.registry import Registry
from adreport.reports.formatting import format_metric


def test_small_ratios_keep_their_digits():
    ctr = Registry().get("ctr")

    assert format_metric(0.000136054, ctr, "USD") == "0.0136%"
    assert format_metric(0.0471, ctr, "USD") == "4.71%"
    assert format_metric(None, ctr, "USD") == "n/a"

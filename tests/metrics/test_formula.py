"""User KPIs are parsed, never evaluated as code, and compile to ratios of sums."""

from __future__ import annotations

import pytest

from adreport.errors import ConfigurationError
from adreport.metrics.formula import BinOp, Name, Number, parse_formula
from adreport.metrics.registry import Metric, Registry


def test_arithmetic_over_metric_names_parses():
    tree = parse_formula("(revenue - spend) / spend")

    assert isinstance(tree, BinOp)
    assert tree.op == "/"
    assert tree.right == Name("spend")


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('id')",
        "spend.__class__",
        "spend if clicks else 0",
        "spend ** 2",
        "[spend]",
        "lambda: 1",
        "'text'",
        "spend; clicks",
    ],
)
def test_anything_but_arithmetic_is_refused(text):
    with pytest.raises(ConfigurationError):
        parse_formula(text)


def test_numbers_stay_decimal():
    assert parse_formula("0.1") == Number(__import__("decimal").Decimal("0.1"))


def test_a_kpi_over_unknown_metrics_is_refused_with_the_known_list():
    registry = Registry()

    with pytest.raises(ConfigurationError, match="unknown metric"):
        registry.add(Metric("x", "X", "X", "ratio", "ratio", "up", "spend / visits"))


def test_derived_metrics_inline_to_base_measures():
    registry = Registry()
    registry.add(
        Metric("roas_pct", "ROAS %", "ROAS %", "ratio", "ratio", "up", "roas * 100")
    )

    tree = registry.expression("roas_pct")

    assert "roas" not in repr(tree)
    assert "revenue" in repr(tree)

"""KPI formulas: parsed safely into a small expression tree, never evaluated as code.

A formula is arithmetic over metric names and numbers, e.g. `revenue * 0.3 - spend`.
Compiled to SQL, every base measure becomes its sum at the grain of the query, so a
ratio is always a ratio of sums, and a division by zero gives NULL.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from adreport.errors import ConfigurationError


@dataclass(frozen=True)
class Number:
    value: Decimal


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg:
    operand: Node


Node = Number | Name | BinOp | Neg

OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
}
MAX_LENGTH = 500


def parse_formula(text: str) -> Node:
    """Parse `text`; raises ConfigurationError naming what is not allowed."""
    if len(text) > MAX_LENGTH:
        raise ConfigurationError(f"formula longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ConfigurationError(
            f"formula {text!r} is not arithmetic over metric names: {exc.msg}"
        ) from exc
    return _convert(tree.body, text)


def _convert(node: ast.AST, text: str) -> Node:
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        op = OPERATORS[type(node.op)]
        return BinOp(op, _convert(node.left, text), _convert(node.right, text))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return Neg(_convert(node.operand, text))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
        return _convert(node.operand, text)
    if isinstance(node, ast.Name):
        return Name(node.id)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return Number(Decimal(str(node.value)))
    raise ConfigurationError(
        f"formula {text!r}: {ast.unparse(node)!r} is not allowed; use metric names, "
        "numbers, + - * / and parentheses"
    )


def names_in(node: Node) -> set[str]:
    if isinstance(node, Name):
        return {node.name}
    if isinstance(node, BinOp):
        return names_in(node.left) | names_in(node.right)
    if isinstance(node, Neg):
        return names_in(node.operand)
    return set()


def substitute(node: Node, resolve: Callable[[str], Node | None]) -> Node:
    """Replace names that `resolve` knows by their own formulas."""
    if isinstance(node, Name):
        found = resolve(node.name)
        return substitute(found, resolve) if found is not None else node
    if isinstance(node, BinOp):
        return BinOp(
            node.op, substitute(node.left, resolve), substitute(node.right, resolve)
        )
    if isinstance(node, Neg):
        return Neg(substitute(node.operand, resolve))
    return node


def to_sql(node: Node, leaf: Callable[[str], str]) -> str:
    """SQL for the expression; `leaf` gives the aggregate SQL of a base measure."""
    if isinstance(node, Number):
        return f"CAST({node.value} AS DECIMAL(18, 6))"
    if isinstance(node, Name):
        return leaf(node.name)
    if isinstance(node, Neg):
        return f"(-{to_sql(node.operand, leaf)})"
    left, right = to_sql(node.left, leaf), to_sql(node.right, leaf)
    if node.op == "/":
        return f"(CAST({left} AS DOUBLE PRECISION) / NULLIF({right}, 0))"
    return f"({left} {node.op} {right})"

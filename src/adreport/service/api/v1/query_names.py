"""Patterns that admit only known metric and dimension names, for the document.

`metrics` and `by` are comma-separated lists in one query parameter, as `adreport
query` takes them, so no enum can describe them; a pattern built from the names
can. Blanks around names and empty items are allowed, as the query drops them.
Blanks are spelled out (BLANKS) rather than `\\s`, whose meaning differs between
Python's regex engine and the validator's; every pattern ends in a class that also
takes a trailing newline, as Python's `$` and the validator's differ there too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

BLANKS = " \t\r\n"
_BLANK = r"[ \t\r\n]"


def _one_of(names: Iterable[str]) -> str:
    # Longest first, so "cpc" never stops short of a longer name sharing its start.
    ordered = sorted(names, key=lambda name: (-len(name), name))
    return "(?:" + "|".join(re.escape(name) for name in ordered) + ")"


def name_list(names: Iterable[str], *, at_least_one: bool) -> str:
    """Comma-separated names, e.g. `spend, roas`; optionally none at all."""
    name = _one_of(names)
    gap = r"[ \t\r\n,]*"
    items = rf"{name}(?:{_BLANK}*,{gap}{name})*{gap}"
    return rf"^{gap}{items}$" if at_least_one else rf"^{gap}(?:{items})?$"


def filter_item(names: Iterable[str]) -> str:
    """FIELD=VALUE[,VALUE]: a known dimension and at least one non-blank value."""
    return rf"^{_BLANK}*{_one_of(names)}{_BLANK}*=[\s\S]*[^ \t\r\n,][\s\S]*$"


def currency_code(codes: Iterable[str]) -> str:
    """One of the ISO 4217 codes the exchange rates know, in any letter case."""
    spelled = ("".join(f"[{c.upper()}{c.lower()}]" for c in code) for code in codes)
    return "^(?:" + "|".join(sorted(spelled)) + ")$"

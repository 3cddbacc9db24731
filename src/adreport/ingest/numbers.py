"""Strict, locale-aware parsing of numbers as exports write them.

Works on whole columns (pyarrow arrays) so a million-row file parses in C. A value
that does not read as a number of the expected kind is never turned into 0: it
becomes NULL and is reported back with its position. Empty cells and the platforms'
"no data" markers are NULL and not errors; censored shares such as `< 10%` are NULL
and counted separately, since the platform withholds the true value.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

import pyarrow as pa
import pyarrow.compute as pc

from adreport.model import MONEY_TYPE

NO_DATA_MARKERS = ("", "--", "-", "—", "n/a", "N/A", "NA", "null", "NULL", "None")
CENSORED = r"^[<>]\s*\d+([.,]\d+)?\s*%$"
SPACES = "[\u00a0\u202f\u2009 ]"
CURRENCY = r"(\p{Sc}|\b[A-Z]{3}\b|US\$|원)"


class Kind(Enum):
    """What a column holds, which decides the checks and the stored type."""

    COUNT = "a whole number"
    DECIMAL = "a number"
    MONEY = "an amount of money"
    RATIO = "a percentage or fraction"


@dataclass(frozen=True)
class NumberStyle:
    """How a file writes numbers: `1,234.56` (en) or `1.234,56` (de) and so on."""

    decimal_mark: str = "."
    thousands_mark: str = ","

    def __post_init__(self) -> None:
        if self.decimal_mark == self.thousands_mark:
            raise ValueError("the decimal and thousands marks must differ")

    @classmethod
    def named(cls, name: str) -> NumberStyle:
        styles = {
            "en": cls(".", ","),
            "ko": cls(".", ","),
            "de": cls(",", "."),
            "fr": cls(",", " "),
            "ch": cls(".", "'"),
            "plain": cls(".", "_"),
        }
        try:
            return styles[name]
        except KeyError:
            known = ", ".join(styles)
            raise ValueError(f"unknown number style {name!r}; known: {known}") from None


@dataclass
class ParsedColumn:
    values: pa.Array
    bad: pa.Array  # boolean: the cell had text that is not a valid number
    censored: int
    ambiguous: pa.Array  # boolean, part of `bad`: "1.000" may be one or a thousand


def parse_column(
    raw: pa.Array, kind: Kind, style: NumberStyle, scale: Decimal = Decimal(1)
) -> ParsedColumn:
    """Parse a column of export cells into numbers of `kind`.

    `scale` multiplies amounts exactly, e.g. 0.000001 for a column in micros.
    Cells of plain digits (grouped or not, with a short fraction) are converted
    directly; every other cell goes through all the checks, which would give a
    plain cell exactly the same value (this makes big files parse 3 times faster).
    """
    digits = _digit_cells(raw, kind, style, scale)
    if not pc.any(digits).as_py():
        return _parse_cells(raw, kind, style, scale, grouped_elsewhere=False)

    text = pc.if_else(digits, raw, pa.scalar(None, pa.string()))
    no = pa.repeat(pa.scalar(False), len(raw))
    values, bad = _digit_values(_to_plain_decimal(text, style), kind, scale, no)
    others = pc.invert(digits)
    if not pc.any(others).as_py():
        return ParsedColumn(values, bad, 0, no)

    grouped = pc.any(pc.match_substring(text, style.thousands_mark)).as_py()
    rest = _parse_cells(raw.filter(others), kind, style, scale, bool(grouped))
    return ParsedColumn(
        pc.replace_with_mask(values, others, rest.values),
        pc.replace_with_mask(bad, others, rest.bad),
        rest.censored,
        pc.replace_with_mask(no, others, rest.ambiguous),
    )


def _digit_cells(
    raw: pa.Array, kind: Kind, style: NumberStyle, scale: Decimal
) -> pa.Array:
    """Cells of digits, grouped with the thousands mark or not, read as they stand.

    A count takes no fraction here; an unscaled amount at most six decimals, which
    it keeps exactly; a cell like "120.000" always gets every check.
    """
    whole = r"\d+"
    if style.thousands_mark != " ":
        whole = rf"(\d+|\d{{1,3}}({_re_escape(style.thousands_mark)}\d{{3}})+)"
    if kind is Kind.COUNT:
        return pc.fill_null(pc.match_substring_regex(raw, f"^{whole}$"), False)
    places = "1,6" if _unscaled_amount(kind, scale) else "1,"
    fraction = rf"({_re_escape(style.decimal_mark)}\d{{{places}}})?"
    digits = pc.fill_null(pc.match_substring_regex(raw, f"^{whole}{fraction}$"), False)
    return pc.and_(digits, pc.invert(_three_decimals(raw, style)))


def _digit_values(
    plain: pa.Array, kind: Kind, scale: Decimal, no: pa.Array
) -> tuple[pa.Array, pa.Array]:
    """Values of digit cells: as `_typed` gives them, with fewer steps."""
    if kind is Kind.COUNT:
        return pc.cast(pc.cast(plain, pa.float64()), pa.int64()), no
    if _unscaled_amount(kind, scale):
        return pc.cast(plain, MONEY_TYPE), no
    return _typed(plain, no, kind, no, scale)


def _unscaled_amount(kind: Kind, scale: Decimal) -> bool:
    return kind in (Kind.MONEY, Kind.DECIMAL) and scale == 1


def _three_decimals(text: pa.Array, style: NumberStyle) -> pa.Array:
    """Cells like "120.000": another locale reads them a thousand times larger."""
    dec = _re_escape(style.decimal_mark)
    three = rf"^[+-]?\d{{1,3}}{dec}\d{{3}}$"
    return pc.fill_null(pc.match_substring_regex(text, three), False)


def _parse_cells(
    raw: pa.Array,
    kind: Kind,
    style: NumberStyle,
    scale: Decimal,
    grouped_elsewhere: bool,
) -> ParsedColumn:
    """Every check on every cell; `grouped_elsewhere`: other cells group thousands."""
    text = _normalise_text(raw)
    empty = pc.fill_null(pc.is_in(text, pa.array(NO_DATA_MARKERS)), True)
    censored = pc.fill_null(pc.match_substring_regex(text, CENSORED), False)
    negative = pc.fill_null(pc.match_substring_regex(text, r"^\(.*\)$"), False)
    text = pc.replace_substring_regex(text, r"^\((.*)\)$", r"\1")
    percent = pc.fill_null(pc.ends_with(text, "%"), False)
    text = pc.replace_substring_regex(text, r"\s*%$", "")
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, CURRENCY, ""))

    valid = pc.fill_null(pc.match_substring_regex(text, _number_pattern(style)), False)
    ambiguous = _ambiguous(text, kind, style, grouped_elsewhere)
    valid = pc.and_(valid, pc.invert(ambiguous))
    ignored = pc.or_(empty, censored)
    bad = pc.and_(pc.invert(valid), pc.invert(ignored))
    plain = _to_plain_decimal(text, style)
    plain = pc.if_else(valid, plain, pa.scalar(None, pa.string()))
    if pc.any(pc.and_(negative, valid)).as_py():
        plain = pc.if_else(negative, pc.binary_join_element_wise("-", plain, ""), plain)
    values, bad = _typed(plain, percent, kind, bad, scale)
    n_censored = pc.sum(pc.cast(censored, pa.int64())).as_py() or 0
    return ParsedColumn(values, bad, n_censored, ambiguous)


def parse_value(
    text: str | None, kind: Kind, style: NumberStyle | None = None
) -> int | float | Decimal | None:
    """Parse one cell; raises ValueError for text that is not a number of `kind`."""
    parsed = parse_column(pa.array([text], pa.string()), kind, style or NumberStyle())
    if parsed.bad[0].as_py():
        raise ValueError(f"{text!r} is not {kind.value}")
    value: int | float | Decimal | None = parsed.values[0].as_py()
    return value


def _ambiguous(
    text: pa.Array, kind: Kind, style: NumberStyle, grouped_elsewhere: bool = False
) -> pa.Array:
    """Cells like "120.000" that another locale reads a thousand times larger.

    A count never has three decimals, so there it is always a misread thousands
    group. An amount is refused only when the same column also groups thousands
    with the other mark ("2,365" beside "2.542"): the file then mixes two styles.
    """
    sep = "[ ]" if style.thousands_mark == " " else _re_escape(style.thousands_mark)
    dec = _re_escape(style.decimal_mark)
    found = _three_decimals(text, style)
    if kind is Kind.COUNT:
        return found
    grouped = rf"^[+-]?\d{{1,3}}({sep}\d{{3}})+({dec}\d*)?$"
    mixed = (
        grouped_elsewhere
        or pc.any(pc.fill_null(pc.match_substring_regex(text, grouped), False)).as_py()
    )
    if kind is Kind.RATIO or not mixed:
        return pc.and_(found, False)
    return found


def _normalise_text(raw: pa.Array) -> pa.Array:
    text = pc.cast(raw, pa.string())
    text = pc.replace_substring_regex(text, SPACES + "+", " ")
    return pc.utf8_trim_whitespace(text)


def _number_pattern(style: NumberStyle) -> str:
    dec = _re_escape(style.decimal_mark)
    sep = "[ ]" if style.thousands_mark == " " else _re_escape(style.thousands_mark)
    grouped = rf"\d{{1,3}}({sep}\d{{3}})+"
    fraction = rf"({dec}\d*)?"
    scientific = rf"\d+({dec}\d+)?[eE][+-]?\d+"
    return rf"^[+-]?(({grouped}|\d+){fraction}|{dec}\d+|{scientific})$"


def _re_escape(mark: str) -> str:
    return "\\" + mark if mark in ".^$*+?()[]{}|\\" else mark


def _to_plain_decimal(text: pa.Array, style: NumberStyle) -> pa.Array:
    if style.thousands_mark == " ":
        text = pc.replace_substring(text, " ", "")
    else:
        text = pc.replace_substring(text, style.thousands_mark, "")
    if style.decimal_mark != ".":
        text = pc.replace_substring(text, style.decimal_mark, ".")
    return text


def _typed(
    plain: pa.Array,
    percent: pa.Array,
    kind: Kind,
    bad: pa.Array,
    scale: Decimal,
) -> tuple[pa.Array, pa.Array]:
    as_float = pc.cast(plain, pa.float64())
    if kind is Kind.RATIO:
        ratio = pc.if_else(percent, pc.divide(as_float, 100.0), as_float)
        return ratio, bad

    # A percent sign on a count or an amount is a wrong column, not a number.
    bad = pc.or_(bad, pc.and_(percent, pc.invert(pc.is_null(plain))))
    plain = pc.if_else(percent, pa.scalar(None, pa.string()), plain)
    as_float = pc.if_else(percent, pa.scalar(None, pa.float64()), as_float)
    if kind is Kind.COUNT:
        whole = pc.fill_null(pc.equal(pc.floor(as_float), as_float), True)
        bad = pc.or_(bad, pc.invert(whole))
        counts = pc.cast(pc.if_else(whole, as_float, None), pa.int64())
        return counts, bad

    exact = pc.cast(
        pc.if_else(pc.match_substring_regex(plain, "[eE]"), None, plain),
        pa.decimal128(38, 12),
    )
    scientific = pc.cast(as_float, pa.decimal128(38, 12), safe=False)
    amount = pc.coalesce(exact, scientific)
    if scale != 1:
        places = max(0, -int(scale.as_tuple().exponent))
        factor = pa.scalar(scale, pa.decimal128(8, places))
        amount = pc.multiply(pc.cast(amount, pa.decimal128(29, 12)), factor)
    amount = pc.round(amount, ndigits=6, round_mode="half_to_even")
    return pc.cast(amount, MONEY_TYPE), bad

"""Numbers as a reader expects them, in English or Korean.

Amounts use the currency's own minor units (KRW and JPY without decimals), counts
get thousands marks, ratios show as percents, and NULL shows as "n/a", never 0.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import format_currency, format_decimal, format_percent

from adreport.metrics.registry import Metric

LOCALES = {"en": "en_US", "ko": "ko_KR"}
NOT_AVAILABLE = {"en": "n/a", "ko": "해당 없음"}


def format_metric(value: Any, metric: Metric, currency: str, lang: str = "en") -> str:
    if value is None:
        return NOT_AVAILABLE.get(lang, "n/a")
    locale = LOCALES.get(lang, "en_US")
    if metric.unit == "money":
        return format_currency(Decimal(str(value)), currency or "USD", locale=locale)
    if metric.unit == "ratio":
        # Below 0.1 % two decimals would show every ad as 0.01 %: keep the digits.
        small = 0 < abs(value) < 0.001
        return format_percent(
            value, "#,##0.00##%" if small else "#,##0.00%", locale=locale
        )
    if metric.unit == "multiple":
        return format_decimal(value, "#,##0.00", locale=locale) + "x"
    if metric.unit == "count":
        return format_decimal(value, "#,##0", locale=locale)
    return format_decimal(value, "#,##0.##", locale=locale)


def format_change(change: float | None, lang: str = "en") -> str:
    """A relative change as a signed percent ("+12.3%", "−4.0%"); None is "n/a"."""
    if change is None:
        return NOT_AVAILABLE.get(lang, "n/a")
    locale = LOCALES.get(lang, "en_US")
    shown = format_percent(abs(change), "#,##0.0%", locale=locale)
    if shown == format_percent(0, "#,##0.0%", locale=locale):
        return shown
    return ("+" if change > 0 else "\u2212") + shown


def format_share(share: float | None, lang: str = "en") -> str:
    """A part of a whole as a percent with one decimal."""
    if share is None:
        return NOT_AVAILABLE.get(lang, "n/a")
    return format_percent(share, "#,##0.0%", locale=LOCALES.get(lang, "en_US"))

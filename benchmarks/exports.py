"""A realistic campaign-day export, written the same way every time.

It looks like a Google Ads "Campaign report" downloaded from the web interface: a
title block above the header, a total row at the end, ids written as
`123-456-7890`, numbers with thousands separators (so they are quoted), `--` for
missing conversions, campaign names with commas, quotes and Korean text, and two
currencies across ten accounts. Keys never repeat, so every row is a new fact.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

FIRST_DAY = date(2024, 1, 1)
ACCOUNTS = 10
CAMPAIGNS_PER_ACCOUNT = 100
DEVICES = ("Mobile phones", "Computers", "Tablets")
CAMPAIGN_TYPES = ("Search", "Display", "Video", "Shopping", "Performance Max")
NAME_STYLES = ('Brand, "always on" {n}', "검색_브랜드_{n}", "Prospecting {n}")
HEADER = [
    "Day",
    "Customer ID",
    "Account",
    "Campaign ID",
    "Campaign",
    "Campaign type",
    "Device",
    "Currency code",
    "Impr.",
    "Clicks",
    "Cost",
    "Conversions",
    "Conv. value",
]

MAPPING = """\
name = "bench-campaign-report"
title = "Campaign report downloaded from the Google Ads web interface (benchmark)"
platform = "google-ads"
level = "campaign"
recognise_by = ["Day", "Campaign ID", "Impr.", "Cost"]
stop_at_rows_starting = ["Total:"]
provisional_days = 3

[columns]
date = "Day"
account_id = "Customer ID"
account_name = "Account"
campaign_id = "Campaign ID"
campaign_name = "Campaign"
campaign_type = "Campaign type"
device = "Device"
currency = "Currency code"
impressions = "Impr."
clicks = "Clicks"
spend = "Cost"
conversions = "Conversions"
revenue = "Conv. value"
"""


def write_mapping(folder: Path) -> Path:
    path = folder / "bench-campaign-report.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


def write_export(path: Path, rows: int, restated: bool = False) -> Path:
    """`rows` data rows; `restated` changes every amount, as a later fetch would."""
    per_day = ACCOUNTS * CAMPAIGNS_PER_ACCOUNT * len(DEVICES)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("Campaign report\n")
        handle.write('"January 1, 2024 - December 31, 2025"\n')
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for start in range(0, rows, per_day):
            day = FIRST_DAY + timedelta(days=start // per_day)
            writer.writerows(
                _row(day, i, restated) for i in range(min(per_day, rows - start))
            )
        writer.writerow(["Total: Account", "--", "", "", "", "", "", "", "1", "", ""])
    return path


def _row(day: date, i: int, restated: bool) -> list[str]:
    device = i % len(DEVICES)
    campaign = (i // len(DEVICES)) % CAMPAIGNS_PER_ACCOUNT
    account = i // (len(DEVICES) * CAMPAIGNS_PER_ACCOUNT)
    spread = (day.toordinal() * 7919 + i * 104729) % 100_003
    krw = account % 2 == 0

    impressions = 200 + spread * 3
    clicks = impressions // (20 + device * 7)
    cost_cents = clicks * (35 + spread % 90) + (11 if restated else 0)
    conversions = clicks // 25
    value_cents = conversions * (4_000 + spread % 7_000)
    if krw:
        cost, value = f"{cost_cents * 13:,}", f"{value_cents * 13:,}"
    else:
        cost, value = f"{cost_cents / 100:,.2f}", f"{value_cents / 100:,.2f}"
    no_conversions = spread % 17 == 0
    return [
        day.isoformat(),
        f"{101 + account:03d}-555-{1000 + account:04d}",
        f"Client {account} ({'KR' if krw else 'US'})",
        str(9_000_000_000 + account * 1_000 + campaign),
        NAME_STYLES[campaign % 3].format(n=campaign),
        CAMPAIGN_TYPES[campaign % len(CAMPAIGN_TYPES)],
        DEVICES[device],
        "KRW" if krw else "USD",
        f"{impressions:,}",
        f"{clicks:,}",
        cost,
        "--" if no_conversions else f"{conversions:.2f}",
        "--" if no_conversions else value,
    ]

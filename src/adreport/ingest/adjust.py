"""Per-format adjustments of parsed batches that a column mapping cannot express.

Each function takes the parser, the text columns and the parsed numbers of one
batch and changes the numbers in place, or refuses a file whose rows cannot be
read as days.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from adreport.errors import InputFileError
from adreport.ingest.batch import BatchParser
from adreport.ingest.conversions import META_FAMILIES
from adreport.ingest.reading import open_text_file

# Meta writes a result indicator as the action type behind a prefix.
INDICATOR_PREFIX = r"^(actions|conversions):"
# Microsoft Advertising aggregations whose rows cover more than one day, or a
# weekday or hour across many days; none of them can be put on a date.
NOT_DAILY = {
    "summary",
    "weekly",
    "weeklystartingmonday",
    "monthly",
    "yearly",
    "dayofweek",
    "hourofday",
    "week",
    "month",
    "year",
}
AGGREGATION_LINE = re.compile(r'^"?Report Aggregation:\s*([^"\t,]*)', re.IGNORECASE)


def meta_results(
    parser: BatchParser, text: dict[str, pa.Array], numbers: dict[str, pa.Array]
) -> None:
    """Meta's `Results` counts conversions only where its indicator is the goal.

    An explicit purchases column wins. Otherwise each row's Results is one count
    of the one action its indicator names, so taking it where that action is an
    alias of the configured family reads one alias per row and sums none. A row
    whose result is, say, link clicks has no conversions of the family in this
    column: it stays NULL (not available), not 0.
    """
    if "conversions" in numbers or "results" not in numbers:
        return
    event = parser.facts.conversion_event or parser.fmt.conversion_indicator
    family = META_FAMILIES[event or "purchase"]
    if "result_indicator" not in text:
        results = numbers["results"]
        numbers["conversions"] = pa.nulls(len(results), results.type)
        parser.notes.add(
            "no result indicator column: Results are not read as conversions (n/a)"
        )
        return

    indicators = pc.replace_substring_regex(
        text["result_indicator"], INDICATOR_PREFIX, ""
    )
    aliases = [*family.totals, *family.legs]
    counts = pc.fill_null(pc.is_in(indicators, pa.array(aliases)), False)
    numbers["conversions"] = pc.if_else(counts, numbers["results"], None)
    if not pc.all(counts).as_py():
        parser.notes.add(
            f"rows whose result is not a {family.name} have no conversions (n/a)"
        )


def microsoft_report(
    parser: BatchParser, text: dict[str, pa.Array], numbers: dict[str, pa.Array]
) -> None:
    """Refuse reports aggregated beyond a day; say when hours were added up.

    A weekly report writes each week's Sunday in TimePeriod, which reads as a
    perfectly good date: only the report's header block tells the two apart.
    """
    path = parser.facts.path
    stat = path.stat()
    aggregation = report_aggregation(path, stat.st_mtime_ns, stat.st_size)
    if aggregation.replace(" ", "").casefold() in NOT_DAILY:
        raise InputFileError(
            f"{path}: a report with the {aggregation} aggregation; its rows are not "
            "days. Download it again with the Daily (or Hourly) aggregation"
        )
    if parser.date_format and "%H" in parser.date_format:
        parser.notes.add("hourly rows were added up into days")


@lru_cache(maxsize=16)
def report_aggregation(path: Path, mtime_ns: int, size: int) -> str:
    """The `Report Aggregation:` value of a Microsoft report's header block, if any.

    Read once per file version (the modification time and size are part of the key).
    """
    for line in open_text_file(path).head:
        found = AGGREGATION_LINE.match(line.strip())
        if found:
            return found.group(1).strip()
    return ""

"""Per-format adjustments of parsed batches that a column mapping cannot express.

Each function takes the parser, the text columns and the parsed numbers of one
batch and changes the numbers in place.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from adreport.ingest.batch import BatchParser
from adreport.ingest.conversions import META_FAMILIES


def meta_results(
    parser: BatchParser, text: dict[str, pa.Array], numbers: dict[str, pa.Array]
) -> None:
    """Meta's `Results` counts conversions only where its indicator is the goal.

    A row whose result is, say, link clicks has no conversions of the configured
    family in this column: it stays NULL (not available), not 0.
    """
    if "conversions" in numbers or "results" not in numbers:
        return
    family = META_FAMILIES[parser.fmt.conversion_indicator or "purchase"]
    aliases = [*family.totals, *family.legs]
    indicators = pc.replace_substring_regex(
        text.get("result_indicator", pa.nulls(len(numbers["results"]), pa.string())),
        r"^actions:",
        "",
    )
    counts = pc.fill_null(pc.is_in(indicators, pa.array(aliases)), False)
    numbers["conversions"] = pc.if_else(counts, numbers["results"], None)
    if not pc.all(counts).as_py():
        parser.notes.add(
            f"rows whose result is not a {family.name} have no conversions (n/a)"
        )

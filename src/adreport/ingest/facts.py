"""Assembling typed fact rows of the unified model from one parsed batch."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from adreport.ingest import adjust
from adreport.ingest.batch import (
    DESCRIPTIVE,
    ENTITY_NAMES,
    Batch,
    BatchParser,
    check_codes,
    constant,
    normalise_text,
    parse_days,
    parse_numbers,
    provisional_flags,
    require,
)
from adreport.ingest.channels import channel_for
from adreport.ingest.places import check_currency, check_timezone
from adreport.ingest.vocabulary import standard_values
from adreport.model import (
    BREAKDOWNS,
    COUNT_MEASURES,
    ENTITY_IDS,
    KEY_COLUMNS,
    MONEY_TYPE,
    make_grain,
)

STAGE_EXTRA = (
    "currency",
    "provisional",
    "fetched_at",
    "source_file",
    "source_line",
    *DESCRIPTIVE,
)


def fact_table(parser: BatchParser, batch: Batch) -> pa.Table:
    """The batch as staged fact rows; bad cells are recorded on `batch`."""
    rows = batch.rows
    out: dict[str, pa.Array] = {}
    text = {
        name: _without(
            normalise_text(batch.columns[name]), parser.fmt.columns[name].remove
        )
        for name in batch.columns
        if name not in ("date", "hour", "currency", "timezone")
    }
    numbers = parse_numbers(parser, batch)
    out["platform"] = text.get("platform", constant(parser.fmt.platform, rows))
    out["account_id"] = _account_ids(parser, text, rows)
    out["date"] = _days(parser, batch)
    _entity_ids(parser, batch, text, out)
    out["grain"] = _grains(parser, batch, out)
    for name in (*BREAKDOWNS, "attribution_setting"):
        out[name] = standard_values(name, text.get(name, constant("", rows)))

    if parser.fmt.adjust:
        getattr(adjust, parser.fmt.adjust)(parser, text, numbers)
    for name in COUNT_MEASURES:
        out[name] = numbers.get(name, pa.nulls(rows, pa.int64()))
    out["conversions"] = numbers.get("conversions", pa.nulls(rows, MONEY_TYPE))
    out["spend"] = numbers.get("spend", pa.nulls(rows, MONEY_TYPE))
    out["revenue"] = numbers.get("revenue", pa.nulls(rows, MONEY_TYPE))

    out["currency"] = _currencies(parser, batch, out["platform"], out["account_id"])
    out["provisional"] = provisional_flags(
        out["date"], parser.facts.fetched_at, parser.fmt.provisional_days
    )
    out["fetched_at"] = pa.repeat(
        pa.scalar(parser.facts.fetched_at, pa.timestamp("us")), rows
    )
    out["source_file"] = constant(str(parser.facts.path), rows)
    out["source_line"] = batch.lines
    _descriptions(parser, batch, text, out)
    return pa.table(
        {name: out[name] for name in (*KEY_COLUMNS, *_MEASURES, *STAGE_EXTRA)}
    )


_MEASURES = (*COUNT_MEASURES, "conversions", "spend", "revenue")


def _without(values: pa.Array, characters: str) -> pa.Array:
    for character in characters:
        values = pc.replace_substring(values, character, "")
    return values


def _account_ids(parser: BatchParser, text: dict[str, pa.Array], rows: int) -> pa.Array:
    if "account_id" in text:
        return text["account_id"]
    if parser.facts.account:
        return constant(parser.facts.account, rows)
    if "account_name" in text:
        parser.notes.add("account ids taken from account names")
        return text["account_name"]
    require(
        False,
        f"{parser.facts.path.name} has no account column: pass --account NAME "
        "(the ad account these numbers belong to)",
    )
    raise AssertionError


def _days(parser: BatchParser, batch: Batch) -> pa.Array:
    if "date" in batch.columns:
        return parse_days(parser, batch, "date")
    if "hour" in batch.columns:
        parser.notes.add("hourly rows were added up into days")
        return parse_days(parser, batch, "hour")
    day = parser.facts.day
    require(
        day is not None,
        f"{parser.facts.path.name} has no date column: pass --date YYYY-MM-DD "
        "(the day these numbers cover); adreport does not guess it",
    )
    return pa.repeat(pa.scalar(day, pa.date32()), batch.rows)


def _entity_ids(
    parser: BatchParser,
    batch: Batch,
    text: dict[str, pa.Array],
    out: dict[str, pa.Array],
) -> None:
    for entity, id_column in ENTITY_IDS.items():
        ids = text.get(id_column)
        names = text.get(ENTITY_NAMES[entity])
        if ids is None and names is not None:
            parser.notes.add(
                f"{entity.replace('_', ' ')} ids taken from names: a renamed "
                f"{entity.replace('_', ' ')} shows as a new one"
            )
            ids = names
        out[id_column] = ids if ids is not None else constant("", batch.rows)


def _grains(parser: BatchParser, batch: Batch, out: dict[str, pa.Array]) -> pa.Array:
    """Each row's grain: the format's level, or the deepest entity the row names.

    A file may hold campaign rows (ad id empty) beside ad rows; each is kept at its
    own level, so neither collapses into nor adds onto the other.
    """
    breakdowns = parser.grain.breakdowns
    if parser.fmt.level:
        level = parser.fmt.level
        if level != "account":
            own = out[ENTITY_IDS[level]]
            parser.problem_mask(batch, ENTITY_IDS[level], pc.equal(own, ""))
        return constant(make_grain(level, breakdowns).text, batch.rows)

    grains = constant(make_grain("account", breakdowns).text, batch.rows)
    for level in ("campaign", "ad_group", "ad", "keyword"):
        named = pc.not_equal(out[ENTITY_IDS[level]], "")
        grains = pc.if_else(named, make_grain(level, breakdowns).text, grains)
    return grains


def _currencies(
    parser: BatchParser, batch: Batch, platforms: pa.Array, accounts: pa.Array
) -> pa.Array:
    rows = batch.rows
    given = parser.facts.currency
    if "currency" in batch.columns:
        codes = check_codes(parser, batch, "currency", check_currency)
        _refuse_conflict(parser, pc.unique(codes).to_pylist(), given)
        return codes
    if parser.header_currency:
        _refuse_conflict(parser, [parser.header_currency], given)
        return constant(parser.header_currency, rows)
    if given:
        return constant(given, rows)
    known = _known_currencies(parser, platforms, accounts)
    return pc.fill_null(known, "")


def _known_currencies(
    parser: BatchParser, platforms: pa.Array, accounts: pa.Array
) -> pa.Array:
    pairs = pa.table({"p": platforms, "a": accounts}).group_by(["p", "a"]).aggregate([])
    lookup = {}
    for platform, account in zip(
        pairs["p"].to_pylist(), pairs["a"].to_pylist(), strict=True
    ):
        stored = parser.facts.known_accounts(platform, account)
        require(
            stored is not None and bool(stored[0]),
            f"{parser.facts.path.name} does not say its currency and account "
            f"{account!r} is not known yet: pass --currency CODE (for example USD "
            "or KRW), or import the account file first",
        )
        assert stored is not None
        lookup[(platform, account)] = stored[0]
    return _look_up_pairs(platforms, accounts, lookup)


def _look_up_pairs(
    firsts: pa.Array, seconds: pa.Array, lookup: dict[tuple[str, str], str]
) -> pa.Array:
    """`lookup[(first, second)]` for every row, without a Python loop over rows."""
    left = sorted({first for first, _ in lookup})
    right = sorted({second for _, second in lookup})
    width = len(right)

    def code(values: pa.Array, known: list[str]) -> pa.Array:
        return pc.cast(pc.index_in(values, pa.array(known, pa.string())), pa.int64())

    rows = pc.add(pc.multiply(code(firsts, left), width), code(seconds, right))
    pairs = [
        left.index(first) * width + right.index(second) for first, second in lookup
    ]
    found = pc.index_in(rows, pa.array(pairs, pa.int64()))
    return pc.take(pa.array(list(lookup.values()), pa.string()), found)


def _refuse_conflict(parser: BatchParser, found: list[str], given: str | None) -> None:
    others = [code for code in found if code and code != given]
    require(
        given is None or not others,
        f"{parser.facts.path.name} says its amounts are in {', '.join(others)} but "
        f"--currency says {given}; drop --currency or fix the file",
    )


def _descriptions(
    parser: BatchParser,
    batch: Batch,
    text: dict[str, pa.Array],
    out: dict[str, pa.Array],
) -> None:
    rows = batch.rows
    for name in DESCRIPTIVE:
        out[name] = text.get(name, constant("", rows))
    if "timezone" in batch.columns:
        out["timezone"] = check_codes(parser, batch, "timezone", check_timezone)
    elif parser.facts.timezone:
        out["timezone"] = constant(parser.facts.timezone, rows)
    out["channel"] = _channels(parser, out)


def _channels(parser: BatchParser, out: dict[str, pa.Array]) -> pa.Array:
    """Each row's channel, worked out once per platform, campaign type and network."""
    keys = pc.binary_join_element_wise(
        out["platform"], out["campaign_type"], out["network"], "\x1f"
    )
    distinct = pc.unique(keys).to_pylist()
    channels = []
    for key in distinct:
        platform, campaign_type, network = key.split("\x1f")
        channels.append(
            channel_for(platform, campaign_type, parser.fmt.channel, network)
        )
    positions = pc.index_in(keys, pa.array(distinct, pa.string()))
    return pc.take(pa.array(channels, pa.string()), positions)

"""Google Ads Query Language: the queries the connector sends, and a reader for them.

The connector writes GAQL text (`select`); the sandbox reads it back (`parse`) with
a real, if small, grammar: ``SELECT f, ... FROM resource [WHERE cond [AND cond]...]
[ORDER BY f [ASC|DESC], ...] [LIMIT n]`` with the conditions ``=, !=, <, <=, >, >=,
IN (...), BETWEEN a AND b``. What it cannot read it refuses with the API's own
`queryError` codes, so a query the sandbox accepts is one Google would parse too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'[^']*'|"[^"]*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>!=|<=|>=|=|<|>|\(|\)|,)
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
KEYWORDS = {"SELECT", "FROM", "WHERE", "AND", "BETWEEN", "IN", "ORDER", "BY"}
KEYWORDS |= {"ASC", "DESC", "LIMIT", "NOT"}


class GAQLError(ValueError):
    """A query the API would refuse; `code` is its QueryError value."""

    def __init__(self, code: str, message: str, trigger: str = ""):
        super().__init__(message)
        self.code = code
        self.trigger = trigger


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str  # =, !=, <, <=, >, >=, IN, BETWEEN
    values: tuple[str, ...]


@dataclass(frozen=True)
class Query:
    fields: tuple[str, ...]
    resource: str
    conditions: tuple[Condition, ...] = ()
    order_by: tuple[tuple[str, bool], ...] = ()  # (field, descending)
    limit: int | None = None
    mentioned: frozenset[str] = field(default_factory=frozenset)

    def date_range(self) -> tuple[date, date] | None:
        """The finite span `segments.date` is held to, if the query gives one."""
        for condition in self.conditions:
            if condition.field == "segments.date" and condition.operator == "BETWEEN":
                first, last = (date.fromisoformat(v) for v in condition.values)
                return first, last
        return None


def select(
    fields: Sequence[str],
    resource: str,
    first_day: date,
    last_day: date,
    where: Sequence[str] = (),
) -> str:
    """A GAQL query over a span of days; dates go out as written, never shifted."""
    clauses = [
        f"segments.date BETWEEN '{first_day.isoformat()}' AND '{last_day.isoformat()}'",
        *where,
    ]
    return f"SELECT {', '.join(fields)} FROM {resource} WHERE {' AND '.join(clauses)}"


def parse(text: str) -> Query:
    """Read a GAQL query, or raise GAQLError with the API's code for the fault."""
    return _Reader(_tokens(text)).query()


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        found = TOKEN.match(text, position)
        if found is None or found.end() == position:
            bad = text[position:].strip()[:20]
            raise GAQLError("QUERY_ERROR", f"Error in query: unexpected input {bad}.")
        kind = found.lastgroup or ""
        tokens.append((kind, found.group(kind)))
        position = found.end()
    return tokens


class _Reader:
    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens = tokens
        self.at = 0
        self.mentioned: set[str] = set()

    def query(self) -> Query:
        self._expect_keyword("SELECT", "EXPECTED_SELECT")
        fields = self._field_list()
        self._expect_keyword("FROM", "EXPECTED_FROM")
        resource = self._name()
        conditions = self._where() if self._keyword("WHERE") else []
        order_by = self._order_by() if self._keyword("ORDER") else []
        limit = self._limit() if self._keyword("LIMIT") else None
        if self.at < len(self.tokens):
            extra = self.tokens[self.at][1]
            raise GAQLError(
                "QUERY_ERROR", f"Error in query: unexpected input {extra}.", extra
            )
        return Query(
            tuple(fields),
            resource,
            tuple(conditions),
            tuple(order_by),
            limit,
            frozenset(self.mentioned),
        )

    def _field_list(self) -> list[str]:
        fields = [self._name()]
        while self._peek() == ",":
            self.at += 1
            fields.append(self._name())
        self.mentioned.update(fields)
        return fields

    def _where(self) -> list[Condition]:
        conditions = [self._condition()]
        while self._keyword("AND"):
            conditions.append(self._condition())
        return conditions

    def _condition(self) -> Condition:
        name = self._name()
        self.mentioned.add(name)
        if self._keyword("BETWEEN"):
            low = self._value()
            if not self._keyword("AND"):
                raise GAQLError(
                    "INVALID_VALUE_WITH_BETWEEN_OPERATOR",
                    f"Error in query: BETWEEN on {name} needs two values.",
                    name,
                )
            return Condition(name, "BETWEEN", (low, self._value()))
        if self._keyword("IN"):
            return Condition(name, "IN", tuple(self._value_list()))
        operator = self._next("an operator")
        if operator not in ("=", "!=", "<", "<=", ">", ">="):
            raise GAQLError(
                "QUERY_ERROR", f"Error in query: unexpected input {operator}.", name
            )
        return Condition(name, operator, (self._value(),))

    def _value_list(self) -> list[str]:
        if self._next("(") != "(":
            raise GAQLError("QUERY_ERROR", "Error in query: IN needs a list.")
        values = [self._value()]
        while self._peek() == ",":
            self.at += 1
            values.append(self._value())
        if self._next(")") != ")":
            raise GAQLError("QUERY_ERROR", "Error in query: unclosed IN list.")
        return values

    def _order_by(self) -> list[tuple[str, bool]]:
        self._expect_keyword("BY", "QUERY_ERROR")
        order = [self._ordering()]
        while self._peek() == ",":
            self.at += 1
            order.append(self._ordering())
        return order

    def _ordering(self) -> tuple[str, bool]:
        name = self._name()
        self.mentioned.add(name)
        if self._keyword("DESC"):
            return name, True
        self._keyword("ASC")
        return name, False

    def _limit(self) -> int:
        value = self._next("a number")
        if not value.isdigit():
            raise GAQLError("QUERY_ERROR", f"Error in query: bad LIMIT {value}.")
        return int(value)

    def _name(self) -> str:
        kind, text = self._take("a field or resource name")
        if kind != "word" or text.upper() in KEYWORDS:
            raise GAQLError(
                "QUERY_ERROR", f"Error in query: unexpected input {text}.", text
            )
        return text

    def _value(self) -> str:
        kind, text = self._take("a value")
        if kind == "string":
            return text[1:-1]
        if kind in ("number", "word"):
            return text
        raise GAQLError("QUERY_ERROR", f"Error in query: unexpected input {text}.")

    def _keyword(self, word: str) -> bool:
        if self.at < len(self.tokens):
            kind, text = self.tokens[self.at]
            if kind == "word" and text.upper() == word:
                self.at += 1
                return True
        return False

    def _expect_keyword(self, word: str, code: str) -> None:
        if not self._keyword(word):
            raise GAQLError(code, f"Error in query: expected {word}.")

    def _peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def _next(self, what: str) -> str:
        return self._take(what)[1]

    def _take(self, what: str) -> tuple[str, str]:
        if self.at >= len(self.tokens):
            raise GAQLError(
                "UNEXPECTED_END_OF_QUERY",
                f"Error in query: unexpected end of query, expected {what}.",
            )
        token = self.tokens[self.at]
        self.at += 1
        return token

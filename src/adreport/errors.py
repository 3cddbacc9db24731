"""Errors grouped by what the person or program that called adreport must do next.

Every message names the facts (file, line, column, value, account, metric) and the
next step, so it can be acted on without reading the code.
"""

from __future__ import annotations


class AdreportError(Exception):
    """Base of every error adreport raises on purpose."""


class ConfigurationError(AdreportError):
    """A setting, option or argument is wrong or missing: fix the command or config."""


class InputFileError(AdreportError):
    """A file cannot be read as any known export: fix or re-export the file."""


class ImportRejectedError(AdreportError):
    """An import found bad values and changed nothing.

    `problems` lists each bad value; `rejected_rows` counts the rows they sit in.
    """

    def __init__(self, message: str, problems: list[ParseProblem], rejected_rows: int):
        super().__init__(message)
        self.problems = problems
        self.rejected_rows = rejected_rows


class MissingFactError(AdreportError):
    """A file lacks something adreport must not guess (a date, a currency, a time zone).

    Pass it as an option.
    """


class QueryError(AdreportError):
    """A metrics query asks for something that cannot be answered as asked."""


class FXRateError(AdreportError):
    """No exchange rate can be found for a currency and day: refresh the rates."""


class ReportError(AdreportError):
    """A report could not be rendered; nothing was written."""


class ParseProblem:
    """One value in one file that could not be read as what it should be."""

    __slots__ = ("column", "expected", "file", "line", "value")

    def __init__(self, file: str, line: int, column: str, value: str, expected: str):
        self.file = file
        self.line = line
        self.column = column
        self.value = value
        self.expected = expected

    def __str__(self) -> str:
        return (
            f"{self.file}, line {self.line}, column {self.column!r}: "
            f"{self.value!r} is not {self.expected}"
        )

    def as_row(self) -> dict[str, str | int]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "expected": self.expected,
        }

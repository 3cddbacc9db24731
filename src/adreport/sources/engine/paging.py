"""Guards around a platform's paging, so a broken page never loops (FAULTS.md K9).

Paging stops on an empty page, a missing next cursor, a cursor already followed,
or a hard cap on pages; every stop that is not the plain end is one warning.
"""

from __future__ import annotations

from typing import Protocol

MAX_PAGES = 10_000


class Warns(Protocol):
    def warn(self, message: str) -> None: ...


class PageGuard:
    """Say, after each page, whether its next cursor (or link) should be followed.

    guard = PageGuard(session, "campaign insights of act_1")
    while True:
        ...fetch with cursor...
        cursor = guard.follow(len(rows), next_cursor)
        if cursor is None:
            break
    """

    def __init__(self, session: Warns, what: str, max_pages: int = MAX_PAGES):
        self.session = session
        self.what = what
        self.max_pages = max_pages
        self.pages = 0
        self.seen: set[str] = set()
        self.stopped_because: str | None = None

    def follow(self, rows: int, next_cursor: str | None) -> str | None:
        """The cursor to fetch next, or None when paging must stop here."""
        self.pages += 1
        if not next_cursor:
            return None
        why = self._broken(rows, next_cursor)
        if why is not None:
            self.stopped_because = why
            self.session.warn(f"paging of {self.what} stopped: {why}")
            return None
        self.seen.add(next_cursor)
        return next_cursor

    def _broken(self, rows: int, next_cursor: str) -> str | None:
        if rows == 0:
            return "an empty page still named a next page"
        if next_cursor in self.seen:
            return "the platform repeated a cursor already followed"
        if self.pages >= self.max_pages:
            return f"more than {self.max_pages} pages"
        return None

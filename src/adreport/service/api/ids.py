"""Object ids as the API documents them: positive and within the database's range.

Ids are 32-bit integer keys in both SQLite and PostgreSQL; a larger number names no
object, so it is refused as invalid (422) rather than looked up and failing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field

MAX_ID = 2**31 - 1

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]

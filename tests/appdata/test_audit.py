"""The audit trail is a hash chain: intact after many writers, broken by any edit."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from adreport.appdata.db import AppDatabase
from adreport.appdata.models import AuditEntry
from adreport.security import audit
from tests.appdata.databases import KINDS, fresh_db


@pytest.fixture(params=KINDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AppDatabase]:
    yield from fresh_db(request.param, tmp_path)


def test_entries_from_concurrent_writers_form_one_intact_chain(
    db: AppDatabase,
) -> None:
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            for n in range(15):
                with db.session() as session:
                    audit.record(
                        session,
                        actor=f"user:{writer}",
                        action="report.run",
                        target=f"report {n}",
                        workspace_id=1,
                        details={"n": n},
                    )
                    session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with db.session() as session:
        check = audit.verify_chain(session)
        hashes = session.scalars(select(AuditEntry.prev_hash)).all()
    assert (check.entries, check.intact) == (60, True)
    assert hashes.count(audit.GENESIS) == 1


def test_control_characters_are_stored_escaped(db: AppDatabase) -> None:
    name = "Spring\r\nINFO forged line\x1b[31m\u2028<b>\\"
    with db.session() as session:
        entry = audit.record(
            session,
            actor="user:1",
            action="campaign.rename",
            target=name,
            details={"old": "Spring", "new": name},
        )
        session.commit()
        stored = session.get(AuditEntry, entry.id)
    assert stored is not None
    assert (
        stored.target == "Spring\\u000d\\u000aINFO forged line\\u001b[31m\\u2028<b>\\\\"
    )
    assert not any(ord(c) < 32 for c in stored.target + stored.details)
    assert json.loads(stored.details.replace("\\\\", "\\"))["old"] == "Spring"


def test_an_edited_entry_breaks_the_chain_from_that_entry(tmp_path: Path) -> None:
    for db in fresh_db("sqlite", tmp_path):
        with db.session() as session:
            for n in range(5):
                audit.record(session, actor="cli", action="a", target=str(n))
            session.commit()
            assert audit.verify_chain(session).intact
        with db.session() as session:
            # An attacker with the file: drop the guard, then edit entry 3.
            session.execute(text("DROP TRIGGER audit_log_no_update"))
            session.execute(text("UPDATE audit_log SET target = 'x' WHERE id = 3"))
            session.commit()
            assert audit.verify_chain(session).first_broken_id == 3
        with db.session() as session:
            session.execute(text("DROP TRIGGER audit_log_no_delete"))
            session.execute(text("UPDATE audit_log SET target = '2' WHERE id = 3"))
            session.execute(text("DELETE FROM audit_log WHERE id = 2"))
            session.commit()
            assert audit.verify_chain(session).first_broken_id == 3

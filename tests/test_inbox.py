"""The inbox on SQLite and on the local PostgreSQL: stored once, answered in order, erased."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from blether import inbox
from blether.sealing import seal_text, unseal_text
from blether.tables import inbox as inbox_table

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)
KEY = b"test-key"


def test_an_update_is_stored_once_and_a_copy_is_refused(app_sessions: sessionmaker) -> None:
    with app_sessions.begin() as session:
        assert inbox.store(session, 7, "tg-a", "text", seal_text(KEY, "{}"), NOW)
    with app_sessions.begin() as session:
        assert not inbox.store(session, 7, "tg-a", "text", seal_text(KEY, "{}"), NOW)
        assert [s.update_id for s in inbox.pending(session)] == [7]


def test_pending_comes_in_telegrams_order_and_answered_leaves_only_the_id(
    app_sessions: sessionmaker,
) -> None:
    with app_sessions.begin() as session:
        for update_id in (12, 10, 11):
            inbox.store(session, update_id, "tg-a", "text", seal_text(KEY, f"m{update_id}"), NOW)
    with app_sessions.begin() as session:
        stored = inbox.pending(session)
        assert [s.update_id for s in stored] == [10, 11, 12]
        assert unseal_text(KEY, stored[0].payload) == "m10"
        assert stored[0].received_at == NOW
        inbox.mark_answered(session, 10, NOW)
    with app_sessions.begin() as session:
        assert [s.update_id for s in inbox.pending(session)] == [11, 12]
        row = session.execute(sa.select(inbox_table).where(inbox_table.c.update_id == 10)).one()
        assert row.payload is None and row.person is None and row.answered_at is not None
        # Telegram sending update 10 again is still recognised.
        assert not inbox.store(session, 10, "tg-a", "text", seal_text(KEY, "m10"), NOW)


def test_forget_and_retention_erase_the_rows(app_sessions: sessionmaker) -> None:
    with app_sessions.begin() as session:
        inbox.store(session, 1, "tg-a", "text", seal_text(KEY, "a"), NOW)
        inbox.store(session, 2, "tg-b", "text", seal_text(KEY, "b"), NOW)
        inbox.store(session, 3, "tg-a", "sticker", seal_text(KEY, "c"), NOW)
        inbox.mark_answered(session, 2, NOW)
    with app_sessions.begin() as session:
        assert inbox.erase_person(session, "tg-a") == 2
        assert inbox.purge_answered(session, NOW + dt.timedelta(hours=1)) == 0
        assert inbox.purge_answered(session, NOW + inbox.KEEP_ANSWERED_IDS * 2) == 1
    with app_sessions.begin() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(inbox_table)).scalar() == 0


def test_a_sealed_update_opens_only_with_its_key() -> None:
    sealed = seal_text(KEY, "my pal is no breathing")
    assert "breathing" not in sealed
    assert unseal_text(KEY, sealed) == "my pal is no breathing"
    assert unseal_text(b"another-key", sealed) is None
    assert unseal_text(KEY, "not sealed at all") is None

"""Erasing what is kept about a person. Rasa 3.6 has no API for it, so rows are deleted by id."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from blether.sql_url import sql_store_arguments


def tracker_sessionmaker(tracker_url: str) -> sessionmaker:
    """One engine and sessionmaker on Rasa's tracker database."""
    if tracker_url.startswith("sqlite:///"):
        sql_store_arguments(tracker_url)  # makes the folder, as Rasa's own store does
    engine = sa.create_engine(tracker_url, future=True, pool_pre_ping=True)
    return sessionmaker(engine, future=True)


# What blether/tracker_window.py keeps beside Rasa's events: the state a conversation's earlier
# events left (slots can hold a referral's answers), so it goes wherever the events go.
SNAPSHOT_TABLE = "blether_tracker_snapshots"


def erase_conversation(session: Session, sender_id: str) -> int:
    """Delete every tracker event of one sender, and its snapshot; returns how many events went."""
    tables = sa.inspect(session.connection())
    if tables.has_table(SNAPSHOT_TABLE):
        session.execute(
            sa.text(f"DELETE FROM {SNAPSHOT_TABLE} WHERE sender_id = :sender"),
            {"sender": sender_id},
        )
    if not tables.has_table("events"):
        return 0
    result = session.execute(
        sa.text("DELETE FROM events WHERE sender_id = :sender"), {"sender": sender_id}
    )
    return int(result.rowcount or 0)


def count_events(session: Session, sender_id: str) -> int:
    if not sa.inspect(session.connection()).has_table("events"):
        return 0
    query = sa.text("SELECT COUNT(*) FROM events WHERE sender_id = :sender")
    return int(session.execute(query, {"sender": sender_id}).scalar_one())


def purge_events_before(session: Session, cutoff_epoch: float) -> int:
    """Retention: every tracker event older than the cutoff (Rasa stores a UNIX timestamp).

    A snapshot last saved before the cutoff goes too: every event it summed up is older.
    """
    tables = sa.inspect(session.connection())
    if tables.has_table(SNAPSHOT_TABLE):
        session.execute(
            sa.text(f"DELETE FROM {SNAPSHOT_TABLE} WHERE updated_at < :cutoff"),
            {"cutoff": cutoff_epoch},
        )
    if not tables.has_table("events"):
        return 0
    result = session.execute(
        sa.text("DELETE FROM events WHERE timestamp < :cutoff"), {"cutoff": cutoff_epoch}
    )
    return int(result.rowcount or 0)

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


def _delete_where(session: Session, table: str, condition: str, value: object) -> int:
    """DELETE FROM a table Rasa or the tracker store may not have made yet; rows deleted."""
    if not sa.inspect(session.connection()).has_table(table):
        return 0
    result = session.execute(sa.text(f"DELETE FROM {table} WHERE {condition}"), {"value": value})
    return int(result.rowcount or 0)


def erase_conversation(session: Session, sender_id: str) -> int:
    """Delete every tracker event of one sender, and its snapshot; returns how many events went."""
    _delete_where(session, SNAPSHOT_TABLE, "sender_id = :value", sender_id)
    return _delete_where(session, "events", "sender_id = :value", sender_id)


def count_events(session: Session, sender_id: str) -> int:
    if not sa.inspect(session.connection()).has_table("events"):
        return 0
    query = sa.text("SELECT COUNT(*) FROM events WHERE sender_id = :sender")
    return int(session.execute(query, {"sender": sender_id}).scalar_one())


def purge_events_before(session: Session, cutoff_epoch: float) -> int:
    """Retention: every tracker event older than the cutoff (Rasa stores a UNIX timestamp).

    A snapshot last saved before the cutoff goes too: every event it summed up is older.
    """
    _delete_where(session, SNAPSHOT_TABLE, "updated_at < :value", cutoff_epoch)
    return _delete_where(session, "events", "timestamp < :value", cutoff_epoch)

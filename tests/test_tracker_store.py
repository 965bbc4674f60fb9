"""Conversations are kept in SQL: SQLite by default, PostgreSQL by configuration."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    Event,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from blether.erasure import erase_conversation, purge_events_before
from blether.sql_url import sql_store_arguments
from blether.tracker_store import BletherTrackerStore
from blether.tracker_window import SNAPSHOTS, CarriedState, state_of
from tests.conftest import POSTGRES_URL, ROOT


def test_url_is_split_for_rasa(tmp_path: Path) -> None:
    assert sql_store_arguments(f"sqlite:///{tmp_path}/var/t.db") == {
        "dialect": "sqlite",
        "db": f"{tmp_path}/var/t.db",
    }
    assert (tmp_path / "var").is_dir()
    args = sql_store_arguments("postgresql://bl:secret@db:5433/rasa?sslmode=require")
    assert args == {
        "dialect": "postgresql",
        "host": "db",
        "port": 5433,
        "db": "rasa",
        "username": "bl",
        "password": "secret",
        "query": {"sslmode": "require"},
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def tracker_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/tracker.db"
        return
    yield POSTGRES_URL
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM events WHERE sender_id LIKE 'test-%'"))
        if sa.inspect(connection).has_table("blether_tracker_snapshots"):
            connection.execute(
                sa.text("DELETE FROM blether_tracker_snapshots WHERE sender_id LIKE 'test-%'")
            )
    engine.dispose()


def test_a_conversation_survives_a_new_store(
    tracker_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLETHER_TRACKER_URL", tracker_url)
    domain = Domain.empty()
    store = BletherTrackerStore(domain=domain)
    tracker = asyncio.run(store.get_or_create_tracker("test-person"))
    tracker.update(UserUttered("hiya", {"name": "greet", "confidence": 1.0}))
    tracker.update(ActionExecuted("utter_greet"))
    asyncio.run(store.save(tracker))
    store.engine.dispose()

    reopened = BletherTrackerStore(domain=domain)
    kept = asyncio.run(reopened.retrieve("test-person"))
    assert kept is not None
    assert [e.text for e in kept.events if isinstance(e, UserUttered)] == ["hiya"]
    reopened.engine.dispose()


# A conversation longer than the window: Rasa sees a bounded part, nothing is lost.

WINDOW = 20


def _store(tracker_url: str, monkeypatch: pytest.MonkeyPatch) -> BletherTrackerStore:
    monkeypatch.setenv("BLETHER_TRACKER_URL", tracker_url)
    monkeypatch.setenv("BLETHER_TRACKER_WINDOW", str(WINDOW))
    return BletherTrackerStore(domain=Domain.load(ROOT / "domain.yml"))


def _turn(store: BletherTrackerStore, sender: str, n: int, *extra: Event) -> None:
    """One message handled as Rasa handles it: retrieve, add the turn's events, save."""
    tracker = asyncio.run(store.get_or_create_tracker(sender))
    tracker.update(UserUttered(f"message {n}", {"name": "greet", "confidence": 1.0}))
    for event in extra:
        tracker.update(event)
    tracker.update(ActionExecuted("utter_greet"))
    tracker.update(BotUttered(f"reply {n}"))
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    asyncio.run(store.save(tracker))


def _full_replay(store: BletherTrackerStore, sender: str) -> CarriedState:
    with store.session_scope() as session:
        rows = session.query(store.SQLEvent).filter_by(sender_id=sender).order_by("id").all()
        events = [json.loads(row.data) for row in rows]
    return state_of(DialogueStateTracker.from_dict(sender, events, store.domain.slots))


def test_a_form_slots_and_a_pause_survive_the_window(
    tracker_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(tracker_url, monkeypatch)
    sender = "test-window-form"
    _turn(store, sender, 0, SlotSet("referral_consent", True), ActiveLoop("referral_form"))
    _turn(store, sender, 1, SlotSet("referral_area", "Glasgow"), ConversationPaused())
    for n in range(2, 150):
        _turn(store, sender, n)
    _turn(store, sender, 150, SlotSet("referral_help", "talk"))

    tracker = asyncio.run(store.retrieve(sender))
    assert tracker is not None
    assert len(tracker.events) <= 2 * WINDOW + 4  # the carried state: 3 slots and the form
    assert tracker.get_slot("referral_consent") is True
    assert tracker.get_slot("referral_area") == "Glasgow"
    assert tracker.get_slot("referral_help") == "talk"
    assert tracker.active_loop_name == "referral_form"
    assert tracker.is_paused()
    assert state_of(tracker) == _full_replay(store, sender)
    # Every event is still in the database, in order, each once.
    texts = [
        e.text
        for e in asyncio.run(store.retrieve_full_tracker(sender)).events
        if isinstance(e, UserUttered)
    ]
    assert texts == [f"message {n}" for n in range(151)]
    store.engine.dispose()


def test_saving_the_same_tracker_twice_stores_its_events_once(
    tracker_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(tracker_url, monkeypatch)
    sender = "test-window-twice"
    for n in range(60):
        _turn(store, sender, n)
    tracker = asyncio.run(store.retrieve(sender))
    tracker.update(UserUttered("once", {"name": "greet", "confidence": 1.0}))
    asyncio.run(store.save(tracker))  # crosses the re-snapshot point
    tracker.update(BotUttered("and once"))
    asyncio.run(store.save(tracker))
    full = asyncio.run(store.retrieve_full_tracker(sender))
    assert [e.text for e in full.events if isinstance(e, UserUttered)][-2:] == [
        "message 59",
        "once",
    ]
    assert [e.text for e in full.events if isinstance(e, BotUttered)][-2:] == [
        "reply 59",
        "and once",
    ]
    latest = asyncio.run(store.retrieve(sender))
    assert [e.text for e in latest.events if isinstance(e, BotUttered)][-1] == "and once"
    store.engine.dispose()


def test_forget_and_retention_erase_the_snapshot_too(
    tracker_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(tracker_url, monkeypatch)
    for sender in ("test-window-forget", "test-window-old"):
        for n in range(60):
            _turn(store, sender, n)
    with store.session_scope() as session:
        erase_conversation(session, "test-window-forget")
        session.commit()
    with store.session_scope() as session:
        purge_events_before(session, time.time() + 60)
        session.commit()
    with store.session_scope() as session:
        left = session.execute(
            sa.select(SNAPSHOTS.c.sender_id).where(SNAPSHOTS.c.sender_id.like("test-window-%"))
        ).all()
    assert left == []
    assert asyncio.run(store.retrieve("test-window-forget")) is None
    store.engine.dispose()

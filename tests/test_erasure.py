"""Erasing a person's conversation, on SQLite and on the local PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered

from blether.erasure import count_events, erase_conversation, tracker_sessionmaker
from blether.tracker_store import BletherTrackerStore
from tests.conftest import POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def tracker_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path}/t.db" if request.param == "sqlite" else POSTGRES_URL


def test_erases_one_sender_only(tracker_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLETHER_TRACKER_URL", tracker_url)
    store = BletherTrackerStore(domain=Domain.empty())
    for sender in ("test-erase-a", "test-erase-b"):
        tracker = asyncio.run(store.get_or_create_tracker(sender))
        tracker.update(UserUttered("hiya", {"name": "greet", "confidence": 1.0}))
        asyncio.run(store.save(tracker))
    store.engine.dispose()
    sessions = tracker_sessionmaker(tracker_url)
    with sessions.begin() as session:
        assert erase_conversation(session, "test-erase-a") >= 2
    with sessions.begin() as session:
        assert count_events(session, "test-erase-a") == 0
        assert count_events(session, "test-erase-b") >= 2
        erase_conversation(session, "test-erase-b")


def test_an_empty_database_erases_nothing(tmp_path: Path) -> None:
    with tracker_sessionmaker(f"sqlite:///{tmp_path}/new/empty.db").begin() as session:
        assert erase_conversation(session, "anyone") == 0

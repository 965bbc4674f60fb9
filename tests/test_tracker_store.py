"""Conversations are kept in SQL: SQLite by default, PostgreSQL by configuration."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered

from blether.sql_url import sql_store_arguments
from blether.tracker_store import BletherTrackerStore
from tests.conftest import POSTGRES_URL


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

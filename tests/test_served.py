"""The app database: Alembic migrations and served-answer records, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from blether.cli import main
from blether.db import downgrade, make_engine, make_sessionmaker, upgrade
from blether.served import record_served, render_served, served_since
from tests.conftest import POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/app.db"
        return
    downgrade(POSTGRES_URL)
    yield POSTGRES_URL
    downgrade(POSTGRES_URL)


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_from_empty_and_downgrade(database_url: str) -> None:
    upgrade(database_url)
    assert {"served_answers", "alembic_version"} <= tables(database_url)
    upgrade(database_url)  # a second upgrade changes nothing
    downgrade(database_url)
    assert "served_answers" not in tables(database_url)


def test_counts_per_day_topic_and_version(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    day1, day2 = dt.date(2026, 11, 20), dt.date(2026, 11, 22)
    with sessions.begin() as session:
        for _ in range(3):
            record_served(session, "withdrawal", "topics/withdrawal.md@aaa", day1)
        record_served(session, "withdrawal", "topics/withdrawal.md@bbb", day2)
        record_served(session, "naloxone", "topics/naloxone.md@ccc", day2)
    with sessions.begin() as session:
        rows = served_since(session, dt.date(2026, 11, 21))
        assert [(r.topic, r.version, r.count) for r in rows] == [
            ("naloxone", "topics/naloxone.md@ccc", 1),
            ("withdrawal", "topics/withdrawal.md@bbb", 1),
        ]
        report = render_served(served_since(session, day1), day1)
    assert (
        "withdrawal: 4" in report
        and "topics/withdrawal.md@aaa: 3 (2026-11-20 to 2026-11-20)" in report
    )
    engine.dispose()


def test_report_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/app.db")
    assert main(["content", "report", "--since", "2026-01-01"]) == 0
    assert "no answers served since 2026-01-01" in capsys.readouterr().out
    assert main(["content", "report", "--since", "last week"]) == 2

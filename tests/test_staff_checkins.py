"""`blether checkins list|show` and retention: counts, states and times; never a note or a chat."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from blether import checkins
from blether.cli import main
from blether.db import make_engine, make_sessionmaker, upgrade
from blether.tables import checkins as checkins_table
from tests.test_checkin_flow import (
    ACK,
    CONTACT_PERSON,
    PERSON,
    add_contact,
    at,
    flow,
    start,
)


def test_list_show_and_purge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/app.db"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("BLETHER_TRACKER_URL", f"sqlite:///{tmp_path}/tracker.db")
    upgrade(url)
    machine = flow()
    with make_sessionmaker(make_engine(url)).begin() as session:
        add_contact(session)
        alerted = start(session, machine, notify="contact")
        machine.take_note(session, PERSON, "secret note: flat 2", at(1))
        for minute in (20, 22, 24):
            machine.tick(session, at(minute))
        machine.acknowledge(session, f"{ACK}{alerted}", CONTACT_PERSON, None, at(27.5))
    assert main(["checkins", "list"]) == 0
    out = capsys.readouterr().out
    assert "by state: acknowledged 1" in out
    assert f"#{alerted}" in out and "3.5 min" in out  # alerted at 24, acknowledged at 27.5
    assert "secret" not in out and PERSON not in out
    assert main(["checkins", "show", str(alerted)]) == 0
    trail = capsys.readouterr().out
    assert "contact alerted" in trail and "acknowledged by the contact" in trail
    assert "secret" not in trail
    assert main(["checkins", "show", "999"]) == 1
    with make_sessionmaker(make_engine(url)).begin() as session:
        checkins.change(session, alerted, checkins.State.CLOSED, at(40), note="closed")
        session.execute(
            sa.update(checkins_table).values(
                ended_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
            )
        )
    assert main(["purge", "--older-than", "2"]) == 0
    assert "check-in and audit rows" in capsys.readouterr().out
    assert main(["checkins", "list"]) == 0
    assert "0 check-ins" in capsys.readouterr().out

"""The check-in set-up end to end: fake Bot API -> bridge -> Rasa's form -> actions -> bridge.

The form (how long, who is told) runs in Rasa; the note and the timer are the bridge's, so the
note never reaches Rasa's tracker. The clock is the test's (blether/clock.py).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from blether.pseudonym import pseudonym
from tests.conftest import ROOT
from tests.stack import KEY, Stack, full_stack
from tests.test_bridge_checkin import ALWAYS, ASK, SAM, Chat, button

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("checkin-setup")
    content = workdir / "content"
    shutil.copytree(ROOT / "content", content)
    services = content / "services.yml"
    services.write_text(re.sub(r"hours: \{[^}]*\}", f"hours: {ALWAYS}", services.read_text()))
    (workdir / "clock").write_text("0")
    extra = {
        "BLETHER_WORKER_SAM_CHAT": str(SAM),
        "BLETHER_ENV": "development",
        "BLETHER_TEST_CLOCK_FILE": str(workdir / "clock"),
        "BLETHER_HANDOFF_POLL": "0.2",
    }
    with full_stack(model_path, workdir, content, flood_limit=100, extra=extra) as made:
        yield made


def advance(stack: Stack, minutes: float) -> None:
    clock = stack.workdir / "clock"
    clock.write_text(str(float(clock.read_text()) + minutes * 60))


def test_checkin_command_asks_how_long_and_who_then_the_note_stays_out_of_rasa(
    stack: Stack,
) -> None:
    fake, person = stack.fake, 555200001
    me = Chat(fake, person)
    fake.send_text(person, "/checkin")
    how_long = me.nth(1)
    assert how_long.params["text"].endswith("How long until I check on you? Shorter is safer.")
    assert "I can't send anyone, call an ambulance or see you" in how_long.params["text"]
    fake.tap(person, how_long, button(how_long, 1))  # 20 minutes
    who = me.nth(2)
    assert who.params["text"].startswith("If you don't answer, who should I tell?")
    fake.tap(person, who, button(who, 0))  # the worker on duty (no contact yet)
    assert me.nth(3).params["text"].startswith("OK. I'll check on you at")
    assert "(in 20 minutes)" in me.nth(3).params["text"]
    assert me.nth(4).params["text"].startswith("Anything Sam (the worker on duty) should know")
    fake.send_text(person, "zebra-note: top floor flat, buzzer broken")
    assert me.nth(5).params["text"] == "Got it. I'll only pass that on if you don't answer."
    with sqlite3.connect(stack.tracker_db) as db:
        sender = pseudonym(KEY.encode(), person)
        rows = db.execute("SELECT data FROM events WHERE sender_id = ?", (sender,)).fetchall()
    assert rows and not any("zebra-note" in data for (data,) in rows)
    advance(stack, 20)
    asked = me.nth(6)
    assert asked.params["text"].startswith(ASK)
    fake.tap(person, asked, button(asked, 0))
    assert me.nth(7).params["text"].startswith("Glad you're OK.")


def test_a_time_in_the_request_skips_the_first_question_and_stop_ends_it(stack: Stack) -> None:
    fake, person = stack.fake, 555200002
    me = Chat(fake, person)
    fake.send_text(person, "can you check on me in 15 minutes")
    assert me.nth(1).params["text"].startswith("If you don't answer, who should I tell?")
    fake.send_text(person, "stop")
    assert me.nth(2).params["text"] == "OK, no check-in is set."
    fake.send_text(person, "is it dangerous to use on my own")
    advice = me.nth(3)
    assert advice.params["text"].startswith("Using alone is one of the biggest risks")
    last = fake.wait_for(person, me.start + 4)[-1]
    assert any(
        b["text"] == "Check on me"
        for row in last.params["reply_markup"]["inline_keyboard"]
        for b in row
    )

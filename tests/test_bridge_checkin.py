"""Check-ins and trusted contacts through the fake Telegram Bot API and a real bridge process.

Time is the test's: the bridge runs on a clock file (blether/clock.py) that the test moves on,
so twenty minutes pass in an instant. No model is needed: the set-up form's part (in Rasa) is
tested in test_bridge_checkin_setup.py; here check-ins are made by the same state machine the
bridge uses, and everything after that (timers, buttons, typing, alerts) goes through Telegram.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from blether import checkins
from blether.checkin_flow import CheckinFlow
from blether.checkins import State
from blether.clock import OffsetFileClock
from blether.content import ContentLibrary
from blether.db import make_engine, make_sessionmaker
from blether.pseudonym import pseudonym
from blether.sealing import seal
from tests.conftest import ROOT, clean_app_database
from tests.fake_telegram import Chat, FakeTelegram, button
from tests.stack import (
    KEY,
    TOKEN,
    bridge_only_env,
    free_port,
    polling_bridge,
    spawn_bridge,
    stop,
    wait_until,
)

pytestmark = pytest.mark.integration
SAM, JO, ALI = 778000001, 778000002, 778000003
ALWAYS = (
    '{mon: "00:00-24:00", tue: "00:00-24:00", wed: "00:00-24:00", thu: "00:00-24:00", '
    'fri: "00:00-24:00", sat: "00:00-24:00", sun: "00:00-24:00"}'
)
NEVER = "{mon: null}"
ASK = "Are you OK?"
REMIND = "⚠️ Are you OK?"


@dataclass
class Setup:
    fake: FakeTelegram
    workdir: Path
    content: Path
    database: str
    clock_file: Path
    process: object = None

    def env(self, **extra: str) -> dict[str, str]:
        # Rasa is not running: the bridge's own paths (safety net, buttons, timers) answer.
        return bridge_only_env(
            self.fake,
            self.workdir,
            self.content,
            self.database,
            BLETHER_ENV="development",
            BLETHER_TEST_CLOCK_FILE=str(self.clock_file),
            BLETHER_WORKER_SAM_CHAT=str(SAM),
            BLETHER_WORKER_JO_CHAT=str(JO),
            BLETHER_WORKER_ALI_CHAT=str(ALI),
            **extra,
        )

    def start_bridge(self) -> None:
        self.process = polling_bridge(self.fake, self.env(), self.workdir / "bridge.log")

    def restart_bridge(self) -> None:
        stop(self.process)  # type: ignore[arg-type]
        self.start_bridge()

    def advance(self, minutes: float) -> None:
        """Move the bridge's clock on."""
        now = float(self.clock_file.read_text() or 0)
        self.clock_file.write_text(str(now + minutes * 60))

    def sessions(self):  # type: ignore[no-untyped-def]
        return make_sessionmaker(make_engine(self.database))

    def flow(self) -> CheckinFlow:
        library = ContentLibrary(self.content)
        workers = {w.id: w for w in library.services().workers}
        import datetime as dt

        return CheckinFlow(
            library.checkin(),
            workers,
            KEY.encode(),
            dt.timedelta(minutes=2),
            dt.timedelta(minutes=5),
            dt.timedelta(hours=12),
        )

    def check_in(self, user: int, notify: str = "worker", minutes: int = 20) -> int:
        """A check-in as the set-up form leaves it (the bridge's own state machine)."""
        now = OffsetFileClock(self.clock_file).now()
        with self.sessions().begin() as session:
            made = self.flow().start(
                session,
                person=pseudonym(KEY.encode(), user),
                chat=seal(KEY.encode(), user),
                minutes=minutes,
                notify=notify,
                now=now,
            )
        assert made is not None
        return made

    def owed(self) -> int:
        engine = make_engine(self.database)
        with engine.connect() as connection:
            count = connection.execute(sa.text("SELECT COUNT(*) FROM outbox")).scalar()
        engine.dispose()
        return int(count or 0)

    def state(self, checkin_id: int) -> State:
        with self.sessions().begin() as session:
            found = checkins.get(session, checkin_id)
        assert found is not None
        return found.state

    def hours(self, hours: str) -> None:
        services = self.content / "services.yml"
        services.write_text(re.sub(r"hours: \{[^}]*\}", f"hours: {hours}", services.read_text()))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def setup(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    workdir = tmp_path_factory.mktemp("checkin")
    database = clean_app_database(request.param, workdir)
    content = workdir / "content"
    shutil.copytree(ROOT / "content", content)
    clock_file = workdir / "clock"
    clock_file.write_text("0")
    fake = FakeTelegram(TOKEN).start()
    made = Setup(fake, workdir, content, database, clock_file)
    made.hours(ALWAYS)
    patch = pytest.MonkeyPatch()
    try:
        # The test's own state machine (check_in) must reach the same workers as the bridge.
        for name, chat in (("SAM", SAM), ("JO", JO), ("ALI", ALI)):
            patch.setenv(f"BLETHER_WORKER_{name}_CHAT", str(chat))
        made.start_bridge()
        yield made
    finally:
        patch.undo()
        stop(made.process)  # type: ignore[arg-type]
        fake.stop()


def settle() -> None:
    """Long enough for several timer rounds (0.2 s each) to have run."""
    time.sleep(1.5)


def add_contact(setup: Setup, person: int, contact: int) -> None:
    fake = setup.fake
    mine, theirs = Chat(fake, person), Chat(fake, contact)
    fake.send_text(person, "/contact Sam")
    link = mine.nth(1).params["text"]
    code = re.search(r"https://t\.me/blether_test_bot\?start=([A-Za-z0-9_-]+)", link)
    assert code, link
    assert 'They\'ll see the name "Sam"' in link
    fake.send_text(contact, f"/start {code.group(1)}")
    terms = theirs.nth(1)
    assert terms.params["text"].startswith("Sam would like you as their trusted contact")
    assert "call 999" in terms.params["text"]
    fake.tap(contact, terms, button(terms, 0))
    assert theirs.nth(2).params["text"].startswith("Thanks. You're now Sam's trusted contact.")
    assert mine.nth(2).params["text"].startswith("Your trusted contact has agreed.")


def test_answered_in_time_by_typing(setup: Setup) -> None:
    fake, person = setup.fake, 555100001
    me = Chat(fake, person)
    checkin_id = setup.check_in(person)
    assert me.nth(1).params["text"].startswith("OK. I'll check on you at")
    assert me.nth(2).params["text"].startswith("Anything Sam (the worker on duty) should know")
    fake.send_text(person, "in the back bedroom, door open")
    assert me.nth(3).params["text"] == "Got it. I'll only pass that on if you don't answer."
    setup.advance(20)
    asked = me.nth(4)
    assert asked.params["text"].startswith(ASK)
    assert [b["text"] for row in asked.params["reply_markup"]["inline_keyboard"] for b in row] == [
        "I'm OK",
        "I need help",
        "Add 10 minutes",
    ]
    fake.send_text(person, "Aye, I'm fine!")
    assert me.nth(5).params["text"].startswith("Glad you're OK. The check-in is over")
    setup.advance(10)
    settle()
    assert len(me.texts()) == 5  # nothing more: no reminder, no alert
    assert setup.state(checkin_id) is State.OK


def test_unanswered_reminded_contact_alerted_then_acknowledged(setup: Setup) -> None:
    fake, person, contact = setup.fake, 555100002, 555100102
    add_contact(setup, person, contact)
    me, them, sam = Chat(fake, person), Chat(fake, contact), Chat(fake, SAM)
    checkin_id = setup.check_in(person, notify="contact")
    me.nth(2)
    fake.send_text(person, "flat 3/1, key under the mat, took 4 blues and a bag")
    me.nth(3)
    setup.advance(20)
    assert me.nth(4).params["text"].startswith(ASK)
    setup.advance(2)
    assert me.nth(5).params["text"].startswith(REMIND)
    setup.advance(2)
    alert = them.nth(1)
    text = alert.params["text"]
    assert text.startswith(
        "Urgent: Sam asked me to check on them, and hasn't answered for 4 minutes."
    )
    assert "Their note: flat 3/1, key under the mat, took 4 blues and a bag" in text
    assert "I can't call an ambulance" in text and "call 999" in text
    assert (
        me.nth(6)
        .params["text"]
        .startswith("I haven't heard from you, so I've told your trusted contact.")
    )
    fake.tap(contact, alert, button(alert))
    assert them.nth(2).params["text"].startswith("Thanks. I've noted that you're dealing with it")
    wait_until(lambda: setup.state(checkin_id) is State.ACKNOWLEDGED, 10, "acknowledged")
    setup.advance(10)
    settle()
    assert sam.texts() == []  # acknowledged: the worker is not told
    # The person comes back: asked if they are OK; the contact is told they answered.
    fake.send_text(person, "sorry fell asleep")
    assert me.nth(7).params["text"].startswith("You're back. I told your trusted contact")
    assert them.nth(3).params["text"].startswith("Sam has just answered me.")
    fake.tap(person, me.nth(7), button(me.nth(7), 0))
    assert them.nth(4).params["text"].startswith("Sam says they're OK.")
    assert me.nth(8).params["text"].startswith("Glad you're OK. I've let them know.")
    with setup.sessions().begin() as session:
        notes = [n for *_, n in checkins.history(session, checkin_id)]
    assert notes[-3:] == [
        "acknowledged by the contact",
        "answered after the alert",
        "said they are OK",
    ]


def test_contact_silent_then_worker_alerted(setup: Setup) -> None:
    fake, person, contact = setup.fake, 555100003, 555100103
    add_contact(setup, person, contact)
    me, them, sam = Chat(fake, person), Chat(fake, contact), Chat(fake, SAM)
    checkin_id = setup.check_in(person, notify="contact")
    me.nth(2)
    setup.advance(20)
    me.nth(3)
    setup.advance(2)
    me.nth(4)
    setup.advance(2)
    assert "I'll tell the worker on duty too" in them.nth(1).params["text"]
    setup.advance(5)
    alert = sam.nth(1)
    assert alert.params["text"].startswith(f"Check-in alert #{checkin_id}")
    assert "Their trusted contact hasn't answered." in alert.params["text"]
    fake.tap(SAM, alert, button(alert))
    assert sam.nth(2).params["text"].startswith("Thanks. I've noted that you're dealing with it")
    wait_until(lambda: setup.state(checkin_id) is State.ACKNOWLEDGED, 10, "acknowledged")


def test_a_contact_who_blocked_the_bot_means_the_worker_is_alerted(setup: Setup) -> None:
    fake, person, contact = setup.fake, 555100004, 555100104
    add_contact(setup, person, contact)
    me, sam = Chat(fake, person), Chat(fake, SAM)
    checkin_id = setup.check_in(person, notify="contact")
    me.nth(2)
    fake.block(contact)
    try:
        setup.advance(20)
        me.nth(3)
        setup.advance(2)
        me.nth(4)
        setup.advance(2)
        alert = sam.nth(1)
        assert "I couldn't reach their trusted contact." in alert.params["text"]
    finally:
        fake.unblock(contact)
    fake.tap(SAM, alert, button(alert))
    wait_until(lambda: setup.state(checkin_id) is State.ACKNOWLEDGED, 10, "acknowledged")


def test_out_of_hours_the_alert_says_so(setup: Setup) -> None:
    fake, person, contact = setup.fake, 555100005, 555100105
    add_contact(setup, person, contact)
    me, them = Chat(fake, person), Chat(fake, contact)
    setup.hours(NEVER)
    try:
        checkin_id = setup.check_in(person, notify="contact")
        me.nth(2)
        setup.advance(20)
        me.nth(3)
        setup.advance(2)
        me.nth(4)
        setup.advance(2)
        alert = them.nth(1)
        assert "No worker is on duty now, so nobody else will be told." in alert.params["text"]
        assert "call 999" in alert.params["text"]
        fake.tap(contact, alert, button(alert))
        them.nth(2)
    finally:
        setup.hours(ALWAYS)
    wait_until(lambda: setup.state(checkin_id) is State.ACKNOWLEDGED, 10, "acknowledged")


def test_cancel_and_extend_with_the_buttons_and_from_checkin(setup: Setup) -> None:
    fake, person = setup.fake, 555100006
    me = Chat(fake, person)
    checkin_id = setup.check_in(person)
    skip = me.nth(2)
    fake.tap(person, skip, button(skip))
    assert me.nth(3).params["text"].startswith("OK, no note.")
    setup.advance(20)
    asked = me.nth(4)
    fake.tap(person, asked, button(asked, 2))
    assert me.nth(5).params["text"].startswith("OK, I'll check on you at")
    setup.advance(5)
    settle()
    assert len(me.texts()) == 5  # extended: nothing asked yet
    fake.send_text(person, "/checkin")
    status = me.nth(6)
    assert status.params["text"].startswith("Your check-in is at")
    fake.tap(person, status, button(status, 3))
    assert me.nth(7).params["text"] == "Check-in cancelled. Any note is deleted."
    assert setup.state(checkin_id) is State.CANCELLED
    setup.advance(30)
    settle()
    assert len(me.texts()) == 7


def test_an_emergency_during_a_check_in_gets_the_card_and_the_check_goes_on(setup: Setup) -> None:
    fake, person = setup.fake, 555100007
    me, sam = Chat(fake, person), Chat(fake, SAM)
    checkin_id = setup.check_in(person)
    skip = me.nth(2)
    fake.tap(person, skip, button(skip))
    me.nth(3)
    setup.advance(20)
    me.nth(4)
    fake.send_text(person, "my pal's gone blue and he's no breathing")
    assert me.nth(5).params["text"].startswith("Call 999 now")
    assert setup.state(checkin_id) is State.ASKED  # danger is not "I'm OK"
    setup.advance(2)
    wait_until(lambda: any(t.startswith(REMIND) for t in me.texts()), 30, "reminder")
    fake.send_text(person, "ok")
    wait_until(lambda: setup.state(checkin_id) is State.OK, 30, "answered")
    assert sam.texts() == []


def test_a_restart_in_each_state_loses_no_step_and_sends_nothing_twice(setup: Setup) -> None:
    fake, person, contact = setup.fake, 555100008, 555100108
    add_contact(setup, person, contact)
    me, them, sam = Chat(fake, person), Chat(fake, contact), Chat(fake, SAM)
    checkin_id = setup.check_in(person, notify="contact")
    me.nth(2)
    for step, expected in (
        (20, State.ASKED),
        (2, State.REMINDED),
        (2, State.ALERTED),
        (5, State.ESCALATED),
    ):
        # Stopped once what was owed has gone (a crash mid-send can send one message twice:
        # the outbox's documented limit, not what this test is about).
        wait_until(lambda: setup.owed() == 0, 30, "outbox sent")
        stop(setup.process)  # type: ignore[arg-type]
        setup.advance(step)  # the time passes while no bridge runs
        setup.start_bridge()
        wait_until(lambda e=expected: setup.state(checkin_id) is e, 30, str(expected))
    sam.nth(1)
    settle()
    assert me.count(ASK) == 1 and me.count(REMIND) == 1
    assert them.count("Urgent: Sam asked me to check on them") == 1
    assert sam.count(f"Check-in alert #{checkin_id}") == 1
    alert = sam.nth(1)
    fake.tap(SAM, alert, button(alert))
    wait_until(lambda: setup.state(checkin_id) is State.ACKNOWLEDGED, 10, "acknowledged")


def test_a_second_bridge_on_postgresql_sends_no_second_alert(setup: Setup) -> None:
    if not setup.database.startswith("postgresql"):
        pytest.skip("SQLite is one process: there is no second bridge")
    fake, person = setup.fake, 555100009
    me, sam = Chat(fake, person), Chat(fake, SAM)
    port = free_port()
    log = setup.workdir / "bridge-second.log"
    env = setup.env(
        TELEGRAM_WEBHOOK_URL=f"https://127.0.0.1:{port}/telegram",
        TELEGRAM_WEBHOOK_SECRET="second-bridge",
        TELEGRAM_WEBHOOK_PORT=str(port),
    )
    second = spawn_bridge(env, log)
    try:
        wait_until(lambda: "start-up check" in log.read_text(), 60, "second bridge", second)
        checkin_id = setup.check_in(person)
        me.nth(2)
        for minutes in (20, 2, 2):
            setup.advance(minutes)
            settle()
        alert = sam.nth(1)
        settle()
        assert me.count(ASK) == 1 and me.count(REMIND) == 1
        assert sam.count(f"Check-in alert #{checkin_id}") == 1
        fake.tap(SAM, alert, button(alert))
        wait_until(lambda: setup.state(checkin_id) is State.ACKNOWLEDGED, 10, "acknowledged")
    finally:
        stop(second)


def test_withdraw_and_remove_a_contact(setup: Setup) -> None:
    fake, person, contact = setup.fake, 555100010, 555100110
    add_contact(setup, person, contact)
    me, them = Chat(fake, person), Chat(fake, contact)
    fake.send_text(contact, "/withdraw")
    assert them.nth(1).params["text"] == "Done. You're no longer anyone's trusted contact here."
    assert me.nth(1).params["text"].startswith("Your trusted contact has stepped down,")
    add_contact(setup, person, contact)
    me, them = Chat(fake, person), Chat(fake, contact)
    fake.send_text(person, "/contact")
    shown = me.nth(1)
    assert shown.params["text"].startswith('Your trusted contact is set. They see you as "Sam".')
    fake.tap(person, shown, button(shown))
    assert me.nth(2).params["text"] == "Done. They're no longer your trusted contact."
    assert them.nth(1).params["text"].startswith("Sam has removed you as their trusted contact.")
    fake.send_text(contact, "/start not-a-real-invite-code-at-all")
    assert them.nth(2).params["text"].startswith("This link doesn't work any more.")


def test_forget_erases_check_ins_and_contacts(setup: Setup) -> None:
    fake, person, contact = setup.fake, 555100011, 555100111
    add_contact(setup, person, contact)
    me = Chat(fake, person)
    setup.check_in(person, notify="contact")
    me.nth(2)
    fake.send_text(person, "/forget")
    confirm = me.nth(3)
    fake.tap(person, confirm, button(confirm, 0))
    me.nth(4)
    who = pseudonym(KEY.encode(), person)
    engine = make_engine(setup.database)
    with engine.connect() as connection:
        for table in ("checkins", "trusted_contacts"):
            rows = connection.execute(
                sa.text(f"SELECT COUNT(*) FROM {table} WHERE person = :p"),
                {"p": who},  # noqa: S608
            ).scalar()
            assert rows == 0, table
    engine.dispose()
    setup.advance(30)
    settle()
    assert not any(t.startswith(ASK) for t in me.texts())


def test_i_need_help_gets_the_card_first_and_tells_the_worker_at_once(setup: Setup) -> None:
    fake, person = setup.fake, 555100012
    me, sam = Chat(fake, person), Chat(fake, SAM)
    checkin_id = setup.check_in(person)
    skip = me.nth(2)
    fake.tap(person, skip, button(skip))
    me.nth(3)
    setup.advance(20)
    asked = me.nth(4)
    fake.tap(person, asked, button(asked, 1))  # I need help
    assert me.nth(5).params["text"].startswith("Call 999 now")
    fake.wait_for_text(person, "I've told Sam (the worker on duty) that you need help.")
    alert = sam.nth(1)
    assert alert.params["text"].startswith(
        f"Check-in alert #{checkin_id}: the person asked for help."
    )
    fake.tap(SAM, alert, button(alert))
    wait_until(lambda: setup.state(checkin_id) is State.ACKNOWLEDGED, 10, "acknowledged")


def test_stop_at_the_note_prompt_means_no_note_and_typed_help_is_the_button(setup: Setup) -> None:
    fake, person = setup.fake, 555100013
    me, sam = Chat(fake, person), Chat(fake, SAM)
    checkin_id = setup.check_in(person)
    me.nth(2)
    fake.send_text(person, "stop")
    assert me.nth(3).params["text"].startswith("OK, no note.")
    setup.advance(20)
    me.nth(4)
    fake.send_text(person, "help me")
    assert me.nth(5).params["text"].startswith("Call 999 now")
    alert = sam.nth(1)
    assert "the person asked for help" in alert.params["text"]
    assert "They left no note." in alert.params["text"]
    fake.tap(SAM, alert, button(alert))
    wait_until(lambda: setup.state(checkin_id) is State.ACKNOWLEDGED, 10, "acknowledged")

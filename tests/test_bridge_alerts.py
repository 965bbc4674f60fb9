"""Drug alerts through the fake Telegram Bot API and real bridge processes (no model needed).

Subscribing and stopping with the /alerts buttons; `blether alerts publish` queuing a
broadcast that the bridge sends under the rate limit to every subscriber once, through a
restart in the middle, past a subscriber who blocked the bot; a second publish sends nothing.
"""

from __future__ import annotations

import bisect
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from blether import broadcasts
from blether.cli import main
from blether.db import make_engine, make_sessionmaker, upgrade
from blether.pseudonym import pseudonym
from blether.referrals import utc_now
from blether.sealing import seal
from tests.alert_files import write_alert
from tests.conftest import ROOT, clean_app_database
from tests.fake_telegram import FakeTelegram, Sent
from tests.stack import KEY, TOKEN, bridge_only_env, polling_bridge, stop, wait_until

pytestmark = pytest.mark.integration
HEADING = "⚠️ Serious drug alert"
FIRST_CHAT = 600_000_000


@dataclass
class Setup:
    fake: FakeTelegram
    workdir: Path
    content: Path
    database: str
    process: object = None

    def env(self) -> dict[str, str]:
        # Rasa is not running: /alerts and the broadcast are the bridge's own.
        return bridge_only_env(self.fake, self.workdir, self.content, self.database)

    def start_bridge(self) -> None:
        self.process = polling_bridge(self.fake, self.env(), self.workdir / "bridge.log")

    def publish(self, alert_id: str, monkeypatch: pytest.MonkeyPatch) -> int:
        """`blether alerts publish ID --no-wait`, as staff run it."""
        monkeypatch.setenv("DATABASE_URL", self.database)
        monkeypatch.setenv("BLETHER_CONTENT_DIR", str(self.content))
        return main(["alerts", "publish", alert_id, "--no-wait"])

    def subscribe_many(self, chats: range, area: str) -> None:
        """Subscribers as /alerts leaves them, made by the same state machine."""
        sessions = make_sessionmaker(make_engine(self.database))
        now = utc_now()
        with sessions.begin() as session:
            for chat in chats:
                person = pseudonym(KEY.encode(), chat)
                broadcasts.subscribe(session, person, seal(KEY.encode(), chat), area, now)

    def alerts_to(self, chats: range) -> Counter[int]:
        got: Counter[int] = Counter()
        for call in list(self.fake.calls):
            if call.method == "sendMessage" and str(call.params.get("text", "")).startswith(
                (HEADING, "Updated")
            ):
                chat = int(call.params["chat_id"])
                if chat in chats:
                    got[chat] += 1
        return got

    def clear(self) -> None:
        engine = make_engine(self.database)
        with engine.begin() as connection:
            for table in ("alert_deliveries", "alert_broadcasts", "alert_subscriptions"):
                connection.execute(sa.text(f"DELETE FROM {table}"))
        engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def setup(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    workdir = tmp_path_factory.mktemp("alerts")
    database = clean_app_database(request.param, workdir)
    upgrade(database)
    content = workdir / "content"
    shutil.copytree(ROOT / "content", content)
    fake = FakeTelegram(TOKEN).start()
    made = Setup(fake, workdir, content, database)
    try:
        made.start_bridge()
        yield made
    finally:
        stop(made.process)  # type: ignore[arg-type]
        fake.stop()


@pytest.fixture(autouse=True)
def own_alerts(setup: Setup) -> Iterator[None]:
    """Each test sees only the alerts it writes: the module's bridge and content are shared."""
    folder = setup.content / "alerts"
    shipped = set(folder.glob("*.md"))
    yield
    for path in set(folder.glob("*.md")) - shipped:
        path.unlink()


def buttons(sent: Sent) -> list[tuple[str, str]]:
    rows = sent.params["reply_markup"]["inline_keyboard"]
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


def last_to(fake: FakeTelegram, chat: int, count: int) -> Sent:
    return fake.wait_for(chat, count)[count - 1]


def test_subscribing_shows_current_alerts_and_stopping_works(setup: Setup) -> None:
    fake, person = setup.fake, 555200001
    write_alert(setup.content, "glasgow-now", areas="[Glasgow]", title="Green blues")
    write_alert(setup.content, "edinburgh-now", areas="[Edinburgh]", title="Bad gear")
    fake.send_text(person, "/alerts")
    menu = last_to(fake, person, 1)
    assert "You do not get alerts just now." in menu.params["text"]
    assert buttons(menu)[0] == ("Glasgow", "al:add:Glasgow")
    fake.tap(person, menu, "al:add:Glasgow")
    current = last_to(fake, person, 2)
    assert current.params["text"].startswith(HEADING) and "Green blues" in current.params["text"]
    after = last_to(fake, person, 3)
    assert after.params["text"].startswith("You will get alerts for Glasgow.")
    assert ("✓ Glasgow", "al:drop:Glasgow") in buttons(after)
    assert not any("Bad gear" in t for t in fake.texts(person))  # Edinburgh's is not for them
    # A second tap on the old menu: the menu again, not the current alerts a second time.
    fake.tap(person, menu, "al:add:Glasgow")
    again = last_to(fake, person, 4)
    assert again.params["text"].startswith("You will get alerts for Glasgow.")
    # Dropping an area they never had says nothing about it.
    fake.tap(person, again, "al:drop:Edinburgh")
    unchanged = last_to(fake, person, 5)
    assert unchanged.params["text"].startswith("Drug alerts in this chat")
    fake.tap(person, after, "al:add:Scotland")
    menu = fake.wait_for_text(person, "You will get alerts for All Scotland.")
    assert "You get alerts for: Glasgow, All Scotland." in menu.params["text"]
    fake.tap(person, menu, "al:drop:Glasgow")
    menu = fake.wait_for_text(person, "No more alerts for Glasgow.")
    fake.tap(person, menu, "al:stop")
    fake.wait_for_text(person, "You will not get any more alerts.")
    sessions = make_sessionmaker(make_engine(setup.database))
    with sessions.begin() as session:
        assert broadcasts.areas_of(session, pseudonym(KEY.encode(), person)) == []
    # A forged area is refused: the menu comes back and nothing is stored.
    count = len(fake.sent(person))
    fake.tap(person, menu, "al:add:Atlantis")
    again = last_to(fake, person, count + 1)
    assert "You do not get alerts just now." in again.params["text"]


def test_forget_erases_subscriptions(setup: Setup) -> None:
    fake, person = setup.fake, 555200002
    fake.send_text(person, "/alerts")
    fake.tap(person, last_to(fake, person, 1), "al:add:Edinburgh")
    fake.wait_for_text(person, "You will get alerts for Edinburgh.")
    fake.send_text(person, "/forget")
    confirm = fake.wait_for_text(person, "This deletes")
    fake.tap(person, confirm, "forget:yes")
    fake.wait_for_text(person, "Done")
    sessions = make_sessionmaker(make_engine(setup.database))
    with sessions.begin() as session:
        assert broadcasts.areas_of(session, pseudonym(KEY.encode(), person)) == []


def windows(times: list[float]) -> int:
    """The most messages in any one-second window."""
    times = sorted(times)
    return max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))


def test_a_broadcast_reaches_every_subscriber_once_through_a_restart(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = setup.fake
    setup.clear()
    # The embedded database carries the full 1,000; PostgreSQL the same paths with fewer.
    size = 1000 if setup.database.startswith("sqlite") else 150
    chats = range(FIRST_CHAT, FIRST_CHAT + size)
    setup.subscribe_many(chats[: size // 2], "Glasgow")
    setup.subscribe_many(chats[size // 2 :], "Scotland")
    setup.subscribe_many(range(FIRST_CHAT + size, FIRST_CHAT + size + 20), "Edinburgh")
    blocked = chats[7]
    fake.block(blocked)
    write_alert(setup.content, "broadcast", areas="[Glasgow]", title="Nitazenes in green blues")
    started = time.monotonic()
    assert setup.publish("broadcast", monkeypatch) == 0
    # A restart in the middle: the bridge stops (SIGINT, as a deploy does) and a new one
    # goes on from the delivery rows.
    wait_until(lambda: sum(setup.alerts_to(chats).values()) >= size // 3, 60, "first third")
    stop(setup.process)  # type: ignore[arg-type]
    during = sum(setup.alerts_to(chats).values())
    assert during < size - 1, "the broadcast finished before the restart"
    setup.start_bridge()
    wait_until(lambda: sum(setup.alerts_to(chats).values()) >= size - 1, 120, "every subscriber")
    time.sleep(1.0)  # anything sent twice would show now
    got = setup.alerts_to(chats)
    assert blocked not in got
    assert all(got[chat] == 1 for chat in chats if chat != blocked), [
        c for c in chats if got[c] != 1 and c != blocked
    ]
    # Edinburgh's subscribers are not in a Glasgow alert's areas.
    assert not setup.alerts_to(range(FIRST_CHAT + size, FIRST_CHAT + size + 20))
    times = [
        c.at
        for c in fake.calls
        if c.method == "sendMessage" and str(c.params.get("chat_id")).startswith("6000")
    ]
    assert windows(times) <= 30, f"{windows(times)} messages in one second"
    elapsed = time.monotonic() - started
    print(f"\n{size} alerts in {elapsed:.1f} s with a restart: {size / elapsed:.1f} a second")
    sessions = make_sessionmaker(make_engine(setup.database))
    with sessions.begin() as session:
        (report,) = broadcasts.report(session, "broadcast")
        assert report.states == {"sent": size - 1, "blocked": 1}
        # Blocked the bot: unsubscribed.
        assert broadcasts.areas_of(session, pseudonym(KEY.encode(), blocked)) == []
    # The same version again: nothing is sent.
    before = len(fake.calls)
    assert setup.publish("broadcast", monkeypatch) == 0
    time.sleep(1.0)
    assert not [c for c in fake.calls[before:] if c.method == "sendMessage"]

"""Updates stored before they are acknowledged, copies dropped, the unanswered replayed."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker
from telegram import Bot, Update

from blether import inbox
from blether.bridge.intake import Intake, kind_of
from blether.db import make_engine, make_sessionmaker
from tests.fake_telegram import STICKER, FakeTelegram
from tests.stack import TOKEN

KEY = b"test-pseudonym-key"
START = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    server = FakeTelegram(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=fake.base_url) as real_bot:
        yield real_bot


def update(bot: Bot, fake: FakeTelegram, user_id: int, text: str | None) -> Update:
    data = fake.update_json(user_id, text or "")
    if text is None:
        del data["message"]["text"]
        data["message"]["sticker"] = STICKER
    parsed = Update.de_json(data, bot)
    assert parsed is not None
    return parsed


async def test_kinds_name_the_update_never_its_text(bot: Bot, fake: FakeTelegram) -> None:
    assert kind_of(update(bot, fake, 1, "what are blues")) == "text"
    assert kind_of(update(bot, fake, 1, "/help")) == "command"
    assert kind_of(update(bot, fake, 1, None)) == "not_text"


async def test_a_copy_of_an_update_is_dropped_and_the_stop_signal_passes(
    app_sessions: sessionmaker, bot: Bot, fake: FakeTelegram
) -> None:
    intake = Intake(app_sessions, KEY, Clock(START))
    first = update(bot, fake, 555000777, "my pal is no breathing")
    await intake.queue.put(first)
    await intake.queue.put(Update.de_json(first.to_dict(), bot))
    stop_signal = object()
    await intake.queue.put(stop_signal)
    assert intake.queue.qsize() == 2
    assert intake.queue.get_nowait() is first
    assert intake.queue.get_nowait() is stop_signal
    with app_sessions.begin() as session:
        stored = inbox.pending(session)
    assert [s.update_id for s in stored] == [first.update_id]
    assert "breathing" not in stored[0].payload and "555000777" not in stored[0].payload


async def test_after_a_restart_unanswered_updates_come_back_in_order_with_one_apology(
    app_sessions: sessionmaker, bot: Bot, fake: FakeTelegram
) -> None:
    clock = Clock(START)
    before = Intake(app_sessions, KEY, clock)
    waiting = [update(bot, fake, 8, f"question {n}") for n in range(3)]
    other = update(bot, fake, 9, "what is naloxone")
    for item in [*waiting, other]:
        await before.queue.put(item)
    await before.answered(waiting[0])  # answered before the crash: not replayed

    clock.now = START + dt.timedelta(minutes=5)
    after = Intake(app_sessions, KEY, clock)  # a new process: an empty queue
    assert await after.replay_pending(bot, lambda: "Sorry for the delay") == 3
    replayed = [after.queue.get_nowait() for _ in range(after.queue.qsize())]
    assert [u.update_id for u in replayed] == [
        waiting[1].update_id,
        waiting[2].update_id,
        other.update_id,
    ]
    assert replayed[0].message is not None and replayed[0].message.text == "question 1"
    apologies = [s.params["chat_id"] for s in fake.calls if s.method == "sendMessage"]
    assert sorted(apologies) == [8, 9]  # once per person, not once per message
    # Telegram sending one of them again is still a copy.
    await after.queue.put(Update.de_json(other.to_dict(), bot))
    assert after.queue.qsize() == 0


async def test_a_short_wait_gets_no_apology(
    app_sessions: sessionmaker, bot: Bot, fake: FakeTelegram
) -> None:
    clock = Clock(START)
    intake = Intake(app_sessions, KEY, clock)
    await intake.queue.put(update(bot, fake, 10, "hiya"))
    clock.now = START + dt.timedelta(seconds=20)
    restarted = Intake(app_sessions, KEY, clock)
    assert await restarted.replay_pending(bot, lambda: "Sorry for the delay") == 1
    assert not [s for s in fake.calls if s.method == "sendMessage"]


async def test_with_the_database_down_updates_are_still_handled(
    bot: Bot, fake: FakeTelegram, tmp_path: Path
) -> None:
    unreachable = make_sessionmaker(make_engine("postgresql://postgres@127.0.0.1:1/test"))
    intake = Intake(unreachable, KEY, Clock(START))
    message = update(bot, fake, 11, "my pal is no breathing")
    await intake.queue.put(message)
    assert intake.queue.get_nowait() is message
    await intake.answered(message)  # logged, not raised


async def test_the_timer_bridge_answers_only_old_orphans_and_drops_stale_ones(
    app_sessions: sessionmaker, bot: Bot, fake: FakeTelegram
) -> None:
    clock = Clock(START)
    other_bridge = Intake(app_sessions, KEY, clock)
    orphan = update(bot, fake, 12, "what is naloxone")
    await other_bridge.queue.put(orphan)  # then that bridge stopped
    mine = Intake(app_sessions, KEY, clock)
    in_hand = update(bot, fake, 13, "hiya")
    await mine.queue.put(in_hand)
    mine.queue.get_nowait()  # being answered here now

    clock.now = START + dt.timedelta(seconds=30)
    assert await mine.replay_pending(bot, lambda: "sorry", older_than=dt.timedelta(minutes=2)) == 0
    clock.now = START + dt.timedelta(minutes=3)
    assert await mine.replay_pending(bot, lambda: "sorry", older_than=dt.timedelta(minutes=2)) == 1
    assert mine.queue.get_nowait().update_id == orphan.update_id  # not the one in hand here

    stale = update(bot, fake, 14, "aye")
    await other_bridge.queue.put(stale)
    clock.now = START + dt.timedelta(hours=2)
    late = Intake(app_sessions, KEY, clock)
    assert await late.replay_pending(bot, lambda: "sorry") == 0  # hours old: dropped
    with app_sessions.begin() as session:
        assert stale.update_id not in [s.update_id for s in inbox.pending(session)]

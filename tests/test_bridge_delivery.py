import asyncio
import time
from typing import Any, cast

from telegram import Bot

from blether.bridge.delivery import (
    callback_data,
    from_rasa,
    instructions_from,
    payload_of,
    typing,
)
from blether.replies import Button, Reply


def test_short_payloads_travel_as_they_are_long_ones_by_key() -> None:
    remembered: dict[str, str] = {}
    assert callback_data("/naloxone", remembered) == "/naloxone"
    long = '/couse_opioids{"substance": "' + "é" * 40 + '"}'
    key = callback_data(long, remembered)
    assert len(key.encode()) <= 64
    assert payload_of(key, remembered) == long
    assert payload_of("h:unknown", remembered) is None


def test_rasa_messages_become_replies() -> None:
    message = {
        "text": " Hi ",
        "buttons": [{"title": "A", "payload": "/a"}, {"title": "", "payload": "/b"}],
    }
    assert from_rasa(message) == Reply("Hi", (Button("A", "/a"),))
    assert from_rasa({"image": "x.png"}) is None


def test_instructions_from_rasa_are_custom_payloads_for_the_bridge() -> None:
    raw = [
        {"recipient_id": "x", "text": "hello"},
        {
            "recipient_id": "x",
            "custom": {"blether": {"checkin": {"minutes": 20, "notify": "worker"}}},
        },
        {"recipient_id": "x", "custom": {"something": "else"}},
        {"recipient_id": "x", "custom": {"blether": {"checkin": "not a mapping"}}},
    ]
    assert instructions_from(raw) == {"checkin": [{"minutes": 20, "notify": "worker"}]}
    assert from_rasa(raw[1]) is None  # never shown to the person


class SwallowsOneCancel:
    """Stands in for the Bot's chat action only, to reproduce agronholm/anyio#1214: a cancel
    that arrives while httpx connects is swallowed and the call returns normally. (The real
    Bot against the fake Bot API cannot be made to hit that window on demand.)"""

    def __init__(self) -> None:
        self.calls = 0
        self.swallowed = False

    async def send_chat_action(self, chat_id: int, action: Any) -> bool:
        self.calls += 1
        try:
            await asyncio.sleep(0.2)
        except asyncio.CancelledError:
            if self.swallowed:
                raise
            self.swallowed = True  # the bug: return as if nothing happened
        return True


def test_a_swallowed_cancel_of_typing_does_not_hold_the_reply() -> None:
    async def turn(bot: SwallowsOneCancel) -> float:
        started = time.monotonic()
        async with typing(cast(Bot, bot), 1):
            await asyncio.sleep(0.05)  # Rasa answers while the first chat action is sent
        took = time.monotonic() - started
        await asyncio.sleep(0.5)
        return took

    bot = SwallowsOneCancel()
    took = asyncio.run(turn(bot))
    assert bot.swallowed
    assert took < 2.0  # the reply goes on (it used to wait for good)
    assert bot.calls == 1  # and the refresher stopped instead of looping on

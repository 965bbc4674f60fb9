"""One turn at a time per person, concurrent across people, for every kind of update."""

from __future__ import annotations

import asyncio
import datetime as dt

from telegram import CallbackQuery, Chat, Message, Update, User

from blether.bridge.ordering import OnePersonAtATime, sender_of

WHEN = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)


def person(user_id: int) -> User:
    return User(user_id, "someone", is_bot=False)


def text_update(update_id: int, user_id: int, text: str | None = "hi") -> Update:
    chat = Chat(user_id, Chat.PRIVATE)
    return Update(update_id, message=Message(update_id, WHEN, chat, person(user_id), text=text))


def button_update(update_id: int, user_id: int) -> Update:
    query = CallbackQuery(str(update_id), person(user_id), "instance", data="/naloxone")
    return Update(update_id, callback_query=query)


def test_the_sender_is_the_user_then_the_chat() -> None:
    assert sender_of(text_update(1, 42)) == 42
    assert sender_of(button_update(2, 43)) == 43
    channel = Chat(-100, Chat.CHANNEL)
    post = Update(3, channel_post=Message(3, WHEN, channel, text="news"))
    assert sender_of(post) == -100
    assert sender_of("not an update") is None


async def test_one_persons_updates_run_in_order_and_never_overlap() -> None:
    processor = OnePersonAtATime(16)
    done: list[str] = []
    release_first = asyncio.Event()

    async def handle(name: str, wait: asyncio.Event | None = None) -> None:
        done.append(f"{name} start")
        if wait is not None:
            await wait.wait()
        await asyncio.sleep(0)
        done.append(f"{name} end")

    tasks = [
        asyncio.create_task(
            processor.process_update(text_update(1, 7), handle("card", release_first))
        ),
        asyncio.create_task(processor.process_update(text_update(2, 7, None), handle("sticker"))),
        asyncio.create_task(processor.process_update(button_update(3, 7), handle("button"))),
    ]
    await asyncio.sleep(0.05)
    assert done == ["card start"]  # the sticker and the button wait for the card's turn
    release_first.set()
    await asyncio.gather(*tasks)
    assert done == [
        "card start",
        "card end",
        "sticker start",
        "sticker end",
        "button start",
        "button end",
    ]


async def test_other_people_are_not_held_up_by_a_slow_turn() -> None:
    processor = OnePersonAtATime(16)
    hold = asyncio.Event()
    finished: list[int] = []

    async def handle(user_id: int, wait: asyncio.Event | None = None) -> None:
        if wait is not None:
            await wait.wait()
        finished.append(user_id)

    slow = asyncio.create_task(processor.process_update(text_update(1, 7), handle(7, hold)))
    other = asyncio.create_task(processor.process_update(text_update(2, 8), handle(8)))
    await asyncio.wait_for(other, timeout=1)
    assert finished == [8]
    hold.set()
    await slow
    assert finished == [8, 7]


async def test_a_failing_turn_does_not_block_the_next() -> None:
    processor = OnePersonAtATime(16)
    ran: list[str] = []

    async def fail() -> None:
        raise RuntimeError("handler failed")

    async def succeed() -> None:
        ran.append("next")

    first = asyncio.create_task(processor.process_update(text_update(1, 7), fail()))
    second = asyncio.create_task(processor.process_update(text_update(2, 7), succeed()))
    results = await asyncio.gather(first, second, return_exceptions=True)
    assert isinstance(results[0], RuntimeError)
    assert ran == ["next"]

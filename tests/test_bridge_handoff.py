"""The full referral and live handoff, through the fake Bot API: a person and workers as chats."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from blether.db import make_engine
from blether.pseudonym import pseudonym
from tests.conftest import ROOT, clean_app_database
from tests.fake_telegram import Chat, FakeTelegram, Sent
from tests.stack import KEY, Stack, bridge, free_port, full_stack

pytestmark = pytest.mark.model
SAM, JO, ALI, STRANGER = 777000001, 777000002, 777000003, 888000001
ALWAYS = (
    '{mon: "00:00-24:00", tue: "00:00-24:00", wed: "00:00-24:00", thu: "00:00-24:00", '
    'fri: "00:00-24:00", sat: "00:00-24:00", sun: "00:00-24:00"}'
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, model_path: Path
) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("handoff")
    database = clean_app_database(request.param, workdir)
    content = workdir / "content"
    shutil.copytree(ROOT / "content", content)
    services = content / "services.yml"
    # Workers on duty around the clock, so the test does not depend on when it runs.
    services.write_text(re.sub(r"hours: \{[^}]*\}", f"hours: {ALWAYS}", services.read_text()))
    extra = {
        "BLETHER_WORKER_SAM_CHAT": str(SAM),
        "BLETHER_WORKER_JO_CHAT": str(JO),
        "BLETHER_WORKER_ALI_CHAT": str(ALI),
        "BLETHER_OFFER_TIMEOUT": "3",
        "BLETHER_HANDOFF_POLL": "0.3",
        "DATABASE_URL": database,
    }
    with full_stack(model_path, workdir, content, flood_limit=100, extra=extra) as stack:
        yield stack


def last(fake: FakeTelegram, chat: int, count: int) -> Sent:
    return fake.wait_for(chat, count)[count - 1]


WORKERS = {"Sam": SAM, "Jo": JO}  # both cover Glasgow; round robin picks between them


def named_worker(made: str) -> tuple[str, int]:
    """Which worker the person was told about (round robin depends on earlier tests)."""
    return next((name, chat) for name, chat in WORKERS.items() if f"{name} (" in made)


def refer(stack: Stack, person: int) -> Sent:
    """Go through the referral form; returns the worker's offer."""
    fake = stack.fake
    fake.send_text(person, "can i talk to a real person")
    consent = last(fake, person, 1)
    assert consent.params["text"].endswith("Is that okay?")
    fake.tap(person, consent, "/affirm")
    assert last(fake, person, 2).params["text"] == "Which area are you in?"
    fake.send_text(person, "Glasgow")
    assert last(fake, person, 3).params["text"].startswith("What would you like help with?")
    fake.send_text(person, "coming off blues")
    assert last(fake, person, 4).params["text"].startswith("How soon")
    fake.send_text(person, "today")
    made = last(fake, person, 5).params["text"]
    assert made.startswith("Thanks. I've passed this to ")
    return made  # type: ignore[return-value]


def referral_rows(stack: Stack, person: int | None = None) -> list[tuple]:
    engine = make_engine(stack.extra["DATABASE_URL"])
    query = "SELECT id, status, worker_id, contact FROM referrals"
    params = {}
    if person is not None:
        query += " WHERE person = :person"
        params["person"] = pseudonym(KEY.encode(), person)
    with engine.connect() as connection:
        rows = connection.execute(sa.text(query + " ORDER BY id"), params).fetchall()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_referral_accept_relay_emergency_restart_end_and_resume(stack: Stack) -> None:
    fake, person = stack.fake, 555000201
    stranger = Chat(fake, STRANGER)
    chats = {name: Chat(fake, chat) for name, chat in WORKERS.items()}
    made = refer(stack, person)
    name, chat = named_worker(made)
    worker = chats[name]
    assert f"{name} (" in made and "Example Community Drug Service" in made
    offer = worker.nth(1)
    assert offer.params["text"].startswith("New referral #")
    assert (
        "Area: Glasgow" in offer.params["text"]
        and "They said: coming off blues" in offer.params["text"]
    )
    assert str(person) not in offer.params["text"]

    accept = offer.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    fake.tap(STRANGER, offer, accept)
    assert stranger.nth(1).params["text"].startswith("Sorry, only the worker")

    fake.tap(chat, offer, accept)
    assert (
        last(fake, person, 6).params["text"]
        == f"{name} is here now. Anything you type goes to them. Type /bot to go back to Blether."
    )
    joined = worker.nth(2)
    assert joined.params["text"].startswith("You're now talking with referral #")

    fake.send_text(person, "hiya are you there")
    assert re.match(r"Referral #\d+: hiya are you there", worker.nth(3).params["text"])
    fake.send_text(chat, f"Hi, I'm {name}. How are you doing?")
    assert last(fake, person, 7).params["text"] == f"{name}: Hi, I'm {name}. How are you doing?"

    # Rasa is not asked during a handoff: the bridge's rules, with the same normaliser, are.
    fake.send_text(person, "ma pal willnae wake, hes unconcious")
    assert last(fake, person, 8).params["text"].startswith("Call 999 now")
    assert worker.nth(4).params["text"].startswith("EMERGENCY from referral #")

    # A restart of the bridge in the middle of the handoff loses nothing.
    stack.restart_bridge()
    fake.send_text(person, "still there?")
    assert worker.nth(5).params["text"].endswith("still there?")

    fake.send_text(STRANGER, "/end")  # from someone not a worker, /end is /bot: no chat ends
    assert stranger.nth(2).params["text"].startswith("Here are some things I can help with")
    end_button = joined.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    fake.tap(STRANGER, joined, end_button)
    assert "only the worker" in stranger.nth(3).params["text"]
    fake.tap(chat, joined, end_button)
    assert (
        last(fake, person, 9).params["text"]
        == f"{name} has ended the chat. You're back with Blether."
    )
    assert worker.nth(6).params["text"].endswith("is closed.")
    [(_, status, _, contact)] = referral_rows(stack, person)
    assert status == "closed" and contact is None
    question = last(fake, person, 10)  # one optional question, buttons only
    assert question.params["text"] == "Did that help?"

    # Rasa answers again, whether or not the question is answered.
    fake.send_text(person, "what is naloxone")
    assert last(fake, person, 11).params["text"].startswith("Naloxone is a free medicine")
    fake.wait_for(person, 12)  # the rest of the answer
    helped = question.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    fake.tap(person, question, helped)
    assert last(fake, person, 13).params["text"].startswith("Thanks for telling us.")
    fake.send_text(chat, "/end")
    assert worker.nth(7).params["text"] == "You have no open conversation with anyone just now."


def test_decline_and_time_out_re_offer_then_nobody(stack: Stack) -> None:
    fake, person = stack.fake, 555000202
    chats = {name: Chat(fake, chat) for name, chat in WORKERS.items()}
    made = refer(stack, person)
    first, _ = named_worker(made)
    second = next(name for name in WORKERS if name != first)
    offer = chats[first].nth(1)
    fake.tap(
        WORKERS[first],
        offer,
        offer.params["reply_markup"]["inline_keyboard"][0][1]["callback_data"],
    )
    assert last(fake, person, 6).params["text"].startswith("It's taking a bit longer")
    assert chats[second].nth(1).params["text"].startswith("New referral #")  # no answer
    fake.wait_for_text(person, "Sorry, nobody could take your request", timeout=15)
    assert referral_rows(stack, person)[-1][1] == "expired"


def test_saying_no_to_consent_makes_no_referral(stack: Stack) -> None:
    fake, person = stack.fake, 555000203
    before = len(referral_rows(stack))
    fake.send_text(person, "i want to speak to a worker")
    consent = last(fake, person, 1)
    fake.tap(person, consent, "/deny")
    assert last(fake, person, 2).params["text"].startswith("Okay, I haven't passed anything on")
    assert len(referral_rows(stack)) == before


def test_forget_erases_referrals_too(stack: Stack) -> None:
    fake, person = stack.fake, 555000205
    chats = {name: Chat(fake, chat) for name, chat in WORKERS.items()}
    name, chat = named_worker(refer(stack, person))
    offer = chats[name].nth(1)
    # Accepted, so no offer timer runs on: nothing of this test reaches a worker later.
    fake.tap(chat, offer, offer.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    chats[name].nth(2)
    assert referral_rows(stack, person)
    fake.send_text(person, "/forget")
    confirm = fake.wait_for_text(person, "This deletes your whole chat")
    fake.tap(person, confirm, "forget:yes")
    fake.wait_for_text(person, "Done. I deleted")
    assert referral_rows(stack, person) == []
    assert stack.events_of(person) == 0


def test_a_worker_who_blocked_the_bot_is_not_offered_again_every_round(stack: Stack) -> None:
    fake, person = stack.fake, 555000204
    for worker in (SAM, JO, ALI):
        fake.block(worker)
    try:
        refer(stack, person)
        # Each worker in turn: one failed offer, then the timeout (3 s) passes it on.
        fake.wait_for_text(person, "Sorry, nobody could take your request", timeout=30)
        failed = sum(len(fake.sent(w, "failed:sendMessage")) for w in (SAM, JO, ALI))
        rows = referral_rows(stack, person)
        engine = make_engine(stack.extra["DATABASE_URL"])
        with engine.connect() as connection:
            offers = connection.execute(
                sa.text(
                    "SELECT COUNT(*) FROM referral_events WHERE referral_id = :id "
                    "AND status_to = 'offered'"
                ),
                {"id": rows[-1][0]},
            ).scalar()
        engine.dispose()
        # With polls every 0.3 s a rolled-back offer would be tried some 30 times.
        assert offers is not None and 1 <= offers <= 3
        assert failed == offers
        assert rows[-1][1] == "expired"
    finally:
        for worker in (SAM, JO, ALI):
            fake.unblock(worker)


def test_a_second_bridge_on_postgresql_leaves_the_offers_to_the_first(stack: Stack) -> None:
    if not stack.extra["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("SQLite is one process: there is no second bridge to keep out")
    fake, person = stack.fake, 555000206
    port = free_port()
    second_log = stack.workdir / "bridge-second.log"
    env = stack.env(
        TELEGRAM_WEBHOOK_URL=f"https://127.0.0.1:{port}/telegram",
        TELEGRAM_WEBHOOK_SECRET="second-bridge",
        TELEGRAM_WEBHOOK_PORT=str(port),
    )
    with bridge(env, second_log, lambda: "start-up check: ok" in second_log.read_text()):
        chats = {name: Chat(fake, chat) for name, chat in WORKERS.items()}
        name, chat = named_worker(refer(stack, person))
        offer = chats[name].nth(1)
        # Accepted, so no offer timer runs on once the test is over.
        fake.tap(
            chat, offer, offer.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        )
        chats[name].nth(2)
        offers = [
            s for s in fake.sent(chat)[chats[name].start :] if "New referral #" in s.params["text"]
        ]
        assert len(offers) == 1
        fake.send_text(chat, "/end")  # leave no handoff open for the next test
        assert chats[name].nth(3).params["text"].endswith("is closed.")
    assert "this bridge runs the timers" not in second_log.read_text()


def test_a_worker_can_accept_while_another_offer_is_being_sent(stack: Stack) -> None:
    fake, first_person, second_person = stack.fake, 555000207, 555000208
    chats = {name: Chat(fake, chat) for name, chat in WORKERS.items()}
    name, chat = named_worker(refer(stack, first_person))
    offer = chats[name].nth(1)
    try:
        # Telegram is slow to reach this worker: the next offer pass spends seconds sending.
        fake.slow_down(chat, 4)
        refer(stack, second_person)
        time.sleep(1)  # an offer pass is now waiting on Telegram
        started = time.monotonic()
        fake.tap(
            chat, offer, offer.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        )
        fake.wait_for_text(first_person, f"{name} is here now", timeout=30)
        assert time.monotonic() - started < 15
    finally:
        fake.slow_down(chat, 0)
    status = {row[0]: row[1] for row in referral_rows(stack, first_person)}
    assert list(status.values()) == ["accepted"]
    # Leave nothing running on: close the handoff, and let the other referral run out.
    worker_before = len(fake.sent(chat))
    fake.send_text(first_person, "/bot")
    fake.wait_for_text(first_person, "You've ended the chat", timeout=30)
    fake.wait_for(chat, worker_before + 1)  # the worker is told too, before the next test
    fake.wait_for_text(second_person, "Sorry, nobody could take your request", timeout=30)

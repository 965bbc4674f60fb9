"""The full referral and live handoff, through the fake Bot API: a person and workers as chats."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from blether.db import downgrade, make_engine
from blether.pseudonym import pseudonym
from tests.conftest import POSTGRES_URL, ROOT
from tests.fake_telegram import FakeTelegram, Sent
from tests.stack import KEY, Stack, full_stack

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
    database = f"sqlite:///{workdir}/app.db" if request.param == "sqlite" else POSTGRES_URL
    if request.param == "postgresql":
        downgrade(database)  # a clean schema in the shared test database
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
    made = refer(stack, person)
    assert "Sam (Harm reduction worker, Example Community Drug Service)" in made
    offer = fake.wait_for(SAM, 1)[0]
    assert offer.params["text"].startswith("New referral #")
    assert (
        "Area: Glasgow" in offer.params["text"]
        and "They said: coming off blues" in offer.params["text"]
    )
    assert str(person) not in offer.params["text"]

    fake.tap(
        STRANGER, offer, offer.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    )
    assert fake.wait_for(STRANGER, 1)[0].params["text"].startswith("Sorry, only the worker")

    fake.tap(SAM, offer, offer.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    assert (
        last(fake, person, 6).params["text"]
        == "Sam is here now. Anything you type goes to them. Type /bot to go back to Blether."
    )
    assert last(fake, SAM, 2).params["text"].startswith("You're now talking with referral #")

    fake.send_text(person, "hiya are you there")
    assert re.match(r"Referral #\d+: hiya are you there", last(fake, SAM, 3).params["text"])
    fake.send_text(SAM, "Hi, I'm Sam. How are you doing?")
    assert last(fake, person, 7).params["text"] == "Sam: Hi, I'm Sam. How are you doing?"

    # Rasa is not asked during a handoff: the bridge's rules, with the same normaliser, are.
    fake.send_text(person, "ma pal willnae wake, hes unconcious")
    assert last(fake, person, 8).params["text"].startswith("Call 999 now")
    assert last(fake, SAM, 4).params["text"].startswith("EMERGENCY from referral #")

    # A restart of the bridge in the middle of the handoff loses nothing.
    stack.restart_bridge()
    fake.send_text(person, "still there?")
    assert last(fake, SAM, 5).params["text"].endswith("still there?")

    fake.send_text(STRANGER, "/end")
    assert "only the worker" in last(fake, STRANGER, 2).params["text"]
    joined = fake.sent(SAM)[1]
    end_button = joined.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    fake.tap(STRANGER, joined, end_button)
    assert "only the worker" in last(fake, STRANGER, 3).params["text"]
    fake.tap(SAM, joined, end_button)
    assert (
        last(fake, person, 9).params["text"] == "Sam has ended the chat. You're back with Blether."
    )
    assert last(fake, SAM, 6).params["text"].endswith("is closed.")
    [(_, status, worker, contact)] = [r for r in referral_rows(stack) if r[2] == "example-sam"][:1]
    assert status == "closed" and contact is None

    fake.send_text(person, "what is naloxone")
    assert last(fake, person, 10).params["text"].startswith("Naloxone is a free medicine")
    fake.wait_for(person, 11)  # the rest of the answer
    fake.send_text(SAM, "/end")
    assert (
        last(fake, SAM, 7).params["text"] == "You have no open conversation with anyone just now."
    )


def test_decline_and_time_out_re_offer_then_nobody(stack: Stack) -> None:
    fake, person = stack.fake, 555000202
    jo_before, sam_before = len(fake.sent(JO)), len(fake.sent(SAM))
    made = refer(stack, person)
    assert "Jo (Recovery worker" in made  # round robin: Sam had the last one
    offer = fake.wait_for(JO, jo_before + 1)[-1]
    fake.tap(JO, offer, offer.params["reply_markup"]["inline_keyboard"][0][1]["callback_data"])
    assert last(fake, person, 6).params["text"].startswith("It's taking a bit longer")
    fake.wait_for(SAM, sam_before + 1)  # offered to Sam next; Sam does not answer
    fake.wait_for_text(person, "Sorry, nobody could take your request", timeout=15)
    assert referral_rows(stack)[-1][1] == "expired"


def test_saying_no_to_consent_makes_no_referral(stack: Stack) -> None:
    fake, person = stack.fake, 555000203
    before = len(referral_rows(stack))
    fake.send_text(person, "i want to speak to a worker")
    consent = last(fake, person, 1)
    fake.tap(person, consent, "/deny")
    assert last(fake, person, 2).params["text"].startswith("Okay, I haven't passed anything on")
    assert len(referral_rows(stack)) == before


def test_forget_erases_referrals_too(stack: Stack) -> None:
    fake, person = stack.fake, 555000201
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

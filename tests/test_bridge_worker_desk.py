"""A worker's shift through the fake Telegram Bot API and a real bridge process: several chats
at once, /list, /switch, replying to route, saved replies, the per-worker limit, a reminder
then a move, and "Did that help?" at the close.

Time is the test's (a clock file the bridge reads, blether/clock.py): five minutes pass in an
instant. Referrals are made with the same state machine Rasa's action uses; the referral form
in Rasa, and Rasa taking over again after a handoff, are tested in test_bridge_handoff.py.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from blether import referrals
from blether.clock import OffsetFileClock
from blether.db import make_engine, make_sessionmaker
from tests.conftest import ROOT, clean_app_database
from tests.fake_telegram import Chat, FakeTelegram, Sent, button
from tests.stack import TOKEN, bridge_only_env, polling_bridge, referral_for_worker, stop

pytestmark = pytest.mark.integration
SAM, JO, ALI = 779000001, 779000002, 779000003
ALWAYS = (
    '{mon: "00:00-24:00", tue: "00:00-24:00", wed: "00:00-24:00", thu: "00:00-24:00", '
    'fri: "00:00-24:00", sat: "00:00-24:00", sun: "00:00-24:00"}'
)


@dataclass
class Shift:
    fake: FakeTelegram
    workdir: Path
    content: Path
    database: str
    clock_file: Path
    process: Any = None

    def env(self) -> dict[str, str]:
        return bridge_only_env(
            self.fake,
            self.workdir,
            self.content,
            self.database,
            BLETHER_ENV="development",
            BLETHER_TEST_CLOCK_FILE=str(self.clock_file),
            BLETHER_OFFER_REMIND="300",
            BLETHER_OFFER_TIMEOUT="600",
            BLETHER_WORKER_SAM_CHAT=str(SAM),
            BLETHER_WORKER_JO_CHAT=str(JO),
            BLETHER_WORKER_ALI_CHAT=str(ALI),
        )

    def advance(self, minutes: float) -> None:
        now = float(self.clock_file.read_text() or 0)
        self.clock_file.write_text(str(now + minutes * 60))

    def refer(self, person: int, worker: str = "example-sam") -> int:
        """A referral as the referral form leaves it, for `worker`."""
        now = OffsetFileClock(self.clock_file).now()
        return referral_for_worker(self.database, person, worker, now)

    def referral(self, referral_id: int) -> referrals.Referral:
        engine = make_engine(self.database)
        with make_sessionmaker(engine).begin() as session:
            found = referrals.get(session, referral_id)
        engine.dispose()
        assert found is not None
        return found


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shift(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Shift]:
    workdir = tmp_path_factory.mktemp("shift")
    database = clean_app_database(request.param, workdir)
    content = workdir / "content"
    shutil.copytree(ROOT / "content", content)
    services = content / "services.yml"
    text = re.sub(r"hours: \{[^}]*\}", f"hours: {ALWAYS}", services.read_text())
    # Sam takes two chats at once (the first max_active in the file is Sam's).
    services.write_text(text.replace("max_active: 3", "max_active: 2", 1))
    clock_file = workdir / "clock"
    clock_file.write_text("0")
    fake = FakeTelegram(TOKEN).start()
    made = Shift(fake, workdir, content, database, clock_file)
    try:
        made.process = polling_bridge(fake, made.env(), workdir / "bridge.log")
        yield made
    finally:
        stop(made.process)
        fake.stop()


def offer_of(chat: Chat, referral_id: int, timeout: float = 30) -> Sent:
    """The offer of this referral made since the test started (one pass or two)."""
    deadline = time.monotonic() + timeout
    while True:
        for sent in chat.fake.sent(chat.chat)[chat.start :]:
            if str(sent.params.get("text", "")).startswith(f"New referral #{referral_id}\n"):
                return sent
        assert time.monotonic() < deadline, chat.texts()
        time.sleep(0.05)


def reply_to(fake: FakeTelegram, worker: int, relayed: Sent, text: str) -> None:
    """The worker uses Telegram's Reply on a message the bot relayed to them."""
    original = {
        "message_id": relayed.params["_message_id"],
        "date": int(time.time()),
        "chat": {"id": worker, "type": "private", "first_name": "Sam"},
        "text": relayed.params["text"],
    }
    fake.send_text(worker, text, reply_to_message=original)


def test_one_worker_two_people_switching_replying_saved_replies_and_feedback(
    shift: Shift,
) -> None:
    fake, ana, ben = shift.fake, 556000301, 556000302
    sam, to_ana, to_ben = Chat(fake, SAM), Chat(fake, ana), Chat(fake, ben)
    first, second = shift.refer(ana), shift.refer(ben)
    offers = [offer_of(sam, first), offer_of(sam, second)]  # two places
    fake.tap(SAM, offers[0], button(offers[0]))
    fake.wait_for_text(SAM, f"You're now talking with referral #{first}.")
    fake.tap(SAM, offers[1], button(offers[1]))
    fake.wait_for_text(SAM, f"You're now talking with referral #{second}.")
    sam.nth(4)
    assert to_ana.text(1).startswith("Sam is here now") and to_ben.text(1).startswith("Sam is here")

    fake.send_text(ana, "hiya, it's the first one")
    assert sam.text(5) == f"Referral #{first}: hiya, it's the first one"
    fake.send_text(ben, "and this is the second")
    from_ben = sam.nth(6)
    assert from_ben.params["text"] == f"Referral #{second}: and this is the second"

    fake.send_text(SAM, "Hello, how are you doing?")  # to the chat accepted last
    assert to_ben.text(2) == "Sam: Hello, how are you doing?"
    fake.send_text(SAM, "/list")
    listing = sam.text(7).splitlines()
    assert listing[0] == "Your open chats:"
    assert listing[1].startswith(f"#{first}: Glasgow, asked to talk to someone, since ")
    assert listing[2].startswith(f"#{second}: Glasgow") and listing[2].endswith(
        "(your messages go here)"
    )

    fake.send_text(SAM, f"/switch {first}")
    assert sam.text(8) == f"Now talking with referral #{first}. What you send goes to them."
    fake.send_text(SAM, "Hi, thanks for waiting")
    assert to_ana.text(2) == "Sam: Hi, thanks for waiting"
    reply_to(fake, SAM, from_ben, "Replying to you, second person")  # routed by the reply
    assert to_ben.text(3) == "Sam: Replying to you, second person"
    fake.send_text(SAM, "/switch 99999")
    assert sam.text(9) == "You have no open chat #99999. /list shows the ones you have."

    fake.send_text(SAM, "/r hello")  # to the current chat, the first
    assert to_ana.text(3).startswith("Sam: Hi, I'm Sam. Thanks for getting in touch.")
    assert sam.text(10).startswith(f"Sent to referral #{first}:\nHi, I'm Sam.")
    fake.send_text(SAM, "/r")
    assert sam.text(11).startswith("Your saved replies.") and "/r overdose:" in sam.text(11)

    fake.send_text(SAM, "/end")  # ends the chat Sam talks in: the first
    assert sam.text(12) == f"Referral #{first} is closed."
    assert sam.text(13).startswith(f"Your messages now go to referral #{second}.")
    assert to_ana.text(4) == "Sam has ended the chat. You're back with Blether."
    question = to_ana.nth(5)
    assert question.params["text"] == "Did that help?"
    titles = [b["text"] for row in question.params["reply_markup"]["inline_keyboard"] for b in row]
    assert titles == ["Yes, it helped", "A bit", "Not really"]
    fake.tap(ana, question, button(question, 1))
    assert to_ana.text(6).startswith("Thanks for telling us.")
    assert shift.referral(first).feedback == "some"
    fake.tap(ana, question, button(question, 0))  # a second tap changes nothing
    time.sleep(1)
    assert shift.referral(first).feedback == "some"
    assert to_ana.texts().count(to_ana.text(6)) == 1

    fake.send_text(ben, "/bot")  # the person ends the other chat
    assert to_ben.text(4).startswith("You've ended the chat with Sam.")
    assert to_ben.text(5) == "Did that help?"
    assert sam.text(14) == f"Referral #{second} ended the chat. The referral is closed."
    fake.send_text(SAM, "still there?")
    assert sam.text(15) == "You have no open conversation with anyone just now."
    # Nothing that identifies either person ever reached the worker.
    assert not any(str(p) in t for t in sam.texts() for p in (ana, ben))
    assert shift.referral(first).first_reply_at is not None


def test_past_the_limit_an_offer_goes_to_the_next_worker(shift: Shift) -> None:
    fake, people = shift.fake, (556000311, 556000312, 556000313)
    sam, jo = Chat(fake, SAM), Chat(fake, JO)
    first, second = shift.refer(people[0]), shift.refer(people[1])
    for referral_id in (first, second):
        offer = offer_of(sam, referral_id)
        fake.tap(SAM, offer, button(offer))
        fake.wait_for_text(SAM, f"You're now talking with referral #{referral_id}.")
    sam.nth(4)  # both joined: Sam is at their limit of two
    third = shift.refer(people[2])  # made for Sam
    offer = jo.nth(1)
    assert offer.params["text"].startswith(f"New referral #{third}")
    assert shift.referral(third).worker_id == "example-jo"
    assert not any(f"#{third}" in t for t in sam.texts())
    fake.tap(JO, offer, button(offer, 1))  # Jo declines: nobody else has room, so it waits
    time.sleep(1)
    assert shift.referral(third).status == referrals.NEW
    fake.send_text(SAM, f"/end {first}")
    assert sam.text(5) == f"Referral #{first} is closed."
    again = sam.nth(6)  # a place came free: the waiting referral is offered to Sam
    assert again.params["text"].startswith(f"New referral #{third}")
    fake.tap(SAM, again, button(again))
    assert sam.text(7).startswith(f"You're now talking with referral #{third}")
    fake.send_text(SAM, f"/end {second}")
    fake.wait_for_text(SAM, f"Referral #{second} is closed.")
    fake.send_text(SAM, "/end")
    fake.wait_for_text(SAM, f"Referral #{third} is closed.")


def test_an_unanswered_offer_is_reminded_once_then_moves_to_one_other_worker(
    shift: Shift,
) -> None:
    fake, person = shift.fake, 556000321
    sam, jo, them = Chat(fake, SAM), Chat(fake, JO), Chat(fake, person)
    referral_id = shift.refer(person)
    offer = sam.nth(1)
    shift.advance(4.9)
    time.sleep(1)
    assert len(sam.texts()) == 1  # not yet
    shift.advance(0.2)  # five minutes since the offer
    reminder = sam.nth(2)
    assert reminder.params["text"].startswith(
        f"Reminder: referral #{referral_id} is still waiting for an answer.\n\nNew referral #"
    )
    assert [button(reminder, i) for i in (0, 1)] == [button(offer, 0), button(offer, 1)]
    shift.advance(4)
    time.sleep(1)
    assert len(sam.texts()) == 2  # once only
    shift.advance(1.1)  # ten minutes: it moves on
    assert jo.nth(1).params["text"].startswith(f"New referral #{referral_id}")
    assert them.text(1).startswith("It's taking a bit longer")
    fake.tap(SAM, reminder, button(reminder))  # Sam's late tap: Jo owns it now
    assert sam.text(3) == (
        f"Referral #{referral_id} is no longer waiting for you: it has been passed on or closed."
    )
    assert shift.referral(referral_id).worker_id == "example-jo"
    accept = jo.nth(1)
    fake.tap(JO, accept, button(accept))
    assert them.text(2).startswith("Jo is here now")
    fake.send_text(JO, "/end")
    fake.wait_for_text(JO, f"Referral #{referral_id} is closed.")
    assert shift.referral(referral_id).status == referrals.CLOSED


def test_mistakes_and_surprises_on_both_sides_are_caught(shift: Shift) -> None:
    fake, ana, ben, cal = shift.fake, 556000331, 556000332, 556000333
    sam, to_ana, to_ben, to_cal = (Chat(fake, c) for c in (SAM, ana, ben, cal))
    first, second = shift.refer(ana), shift.refer(ben)
    for referral_id in (first, second):
        offer = offer_of(sam, referral_id)
        fake.tap(SAM, offer, button(offer))
        fake.wait_for_text(SAM, f"You're now talking with referral #{referral_id}.")
    fake.send_text(ana, "thanks for this")
    from_ana = fake.wait_for_text(SAM, f"Referral #{first}: thanks for this")
    fake.send_text(SAM, f"/end {first}")
    fake.wait_for_text(SAM, f"Referral #{first} is closed.")
    # A Reply to the ended chat's message is not sent to the current chat (Ben) instead.
    reply_to(fake, SAM, from_ana, "one more thing about your pal")
    fake.wait_for_text(SAM, f"Referral #{first} is no longer open, so that message was not sent")
    # An edit of Sam's is never passed on (it could reach whoever Sam talks with now).
    fake.send_text(SAM, "you take 1 tab", edited=True)
    fake.wait_for_text(SAM, "Edits aren't passed on.")
    fake.send_sticker(SAM)
    fake.wait_for_text(SAM, "Only typed messages are passed on.")
    assert not any("1 tab" in t for t in to_ben.texts())
    sam.say_and_wait("/end soon", "Send /end to end the chat you're in")
    sam.say_and_wait("/end 99999", "You have no open chat #99999.")
    assert not any("one more thing" in t for t in to_ben.texts())
    assert shift.referral(second).status == referrals.ACCEPTED  # "/end soon" ended nothing

    # Ben: a crisis is flagged to Sam, a sticker and a button are not relayed as words.
    fake.send_text(ben, "i want to end it all tonight")
    fake.wait_for_text(SAM, f"CRISIS from referral #{second}: i want to end it all tonight")
    fake.send_sticker(ben)
    fake.wait_for_text(ben, "I can only pass typed messages on to Sam.")
    fake.wait_for_text(SAM, f"Referral #{second} sent something that isn't text.")
    joined = fake.wait_for_text(ben, "Sam is here now")
    fake.tap(ben, joined, "/request_human")
    fake.wait_for_text(ben, "You're talking with Sam now.")
    assert not any("request_human" in t for t in sam.texts())
    fake.send_text(ben, "/end")  # a person's /end leaves the worker, as /bot does
    fake.wait_for_text(ben, "You've ended the chat with Sam.")
    fake.wait_for_text(SAM, f"Referral #{second} ended the chat.")

    # Cal erases everything mid-chat: Sam is told, Cal is not asked "Did that help?".
    third = shift.refer(cal)
    offer = offer_of(sam, third)
    reply_to(fake, SAM, offer, "hello?")  # a Reply to an offer not accepted: nothing sent
    fake.wait_for_text(SAM, f"Referral #{third} is waiting for you to tap Accept.")
    fake.tap(SAM, offer, button(offer))
    fake.wait_for_text(cal, "Sam is here now")
    fake.send_text(cal, "/forget")
    confirm = fake.wait_for_text(cal, "This deletes your whole chat")
    fake.tap(cal, confirm, "forget:yes")
    fake.wait_for_text(cal, "Done. I deleted")
    fake.wait_for_text(SAM, f"Referral #{third} ended the chat.")
    assert "Did that help?" not in to_cal.texts()
    assert not any(t.startswith("You've ended the chat") for t in to_cal.texts())
    sam.say_and_wait("are you still there?", "You have no open conversation with anyone")

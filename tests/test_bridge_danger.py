"""The danger model where Rasa does not read the message: Rasa down, and a worker chatting.

A real bridge process, the fake Bot API, no Rasa behind it (nothing listens on its port), and
a small danger model (tests/conftest.py) whose readings of its own training lines are known:
"ive saved up my pills for the weekend" is a crisis to it, and no rule matches it.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, clean_app_database
from tests.fake_telegram import Chat, FakeTelegram
from tests.stack import TOKEN, bridge_only_env, polling_bridge, referral_for_worker, stop

pytestmark = pytest.mark.integration
SAM = 779100001  # the example worker's chat
PERSON, OTHER_PERSON = 779100101, 779100102
NO_RULE_CRISIS = "ive saved up my pills for the weekend"
CRISIS_CARD = "I'm really glad you told me"  # the crisis card's first words
UNAVAILABLE = "Sorry, I can't answer just now"  # the bridge's own line with Rasa down


@dataclass
class Bridge:
    fake: FakeTelegram
    database: str
    process: Any


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory, small_danger_model: Path) -> Iterator[Bridge]:
    workdir = tmp_path_factory.mktemp("danger-bridge")
    database = clean_app_database("sqlite", workdir)
    content = workdir / "content"
    shutil.copytree(ROOT / "content", content)
    fake = FakeTelegram(TOKEN).start()
    env = bridge_only_env(
        fake,
        workdir,
        content,
        database,
        BLETHER_ENV="development",
        BLETHER_DANGER_MODEL=str(small_danger_model),
        BLETHER_DANGER_ABOVE="0.5",
        BLETHER_WORKER_SAM_CHAT=str(SAM),
    )
    process = polling_bridge(fake, env, workdir / "bridge.log")
    try:
        yield Bridge(fake, database, process)
    finally:
        stop(process)
        fake.stop()


def _in_a_chat_with_sam(database: str, person: int) -> int:
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return referral_for_worker(database, person, "example-sam", now, accepted=True)


def test_with_rasa_down_the_danger_model_still_gets_the_crisis_card(bridge: Bridge) -> None:
    chat = Chat(bridge.fake, PERSON)
    chat.say_and_wait(NO_RULE_CRISIS, CRISIS_CARD)
    assert "999" in chat.texts()[0] and "116 123" in chat.texts()[0]
    # A harmless message, still with Rasa down: the bridge's own apology, no card.
    chat.say_and_wait("what are blues", UNAVAILABLE)
    assert chat.count(CRISIS_CARD) == 1


def test_in_a_live_chat_the_danger_model_cards_the_person_and_flags_the_worker(
    bridge: Bridge,
) -> None:
    referral = _in_a_chat_with_sam(bridge.database, OTHER_PERSON)
    person, worker = Chat(bridge.fake, OTHER_PERSON), Chat(bridge.fake, SAM)
    person.say_and_wait(NO_RULE_CRISIS, CRISIS_CARD)
    flagged = bridge.fake.wait_for_text(SAM, f"CRISIS from referral #{referral}")
    assert NO_RULE_CRISIS in flagged.params["text"]
    # An ordinary message in the same chat reaches the worker unflagged, and no card.
    bridge.fake.send_text(OTHER_PERSON, "what are blues")
    plain = bridge.fake.wait_for_text(SAM, f"Referral #{referral}: what are blues")
    assert plain is not None
    assert person.count(CRISIS_CARD) == 1
    assert worker.count("CRISIS") == 1

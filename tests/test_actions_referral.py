"""The referral form's actions, run for real against a content folder and an app database."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import sessionmaker

from actions.referral import (
    ActionAskReferralArea,
    ActionAskReferralConsent,
    ActionSubmitReferral,
    ValidateReferralForm,
)
from blether import referrals
from blether.content import ContentLibrary
from blether.db import make_engine, make_sessionmaker, upgrade
from blether.sealing import seal, unseal


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker:
    url = f"sqlite:///{tmp_path}/app.db"
    upgrade(url)
    return make_sessionmaker(make_engine(url))


def tracker(
    slots: dict[str, Any], text: str = "", metadata: dict[str, Any] | None = None
) -> Tracker:
    events = [
        {
            "event": "user",
            "text": "can i talk to a person",
            "metadata": metadata or {},
            "parse_data": {"intent": {"name": "request_human"}},
        }
    ]
    latest = {"intent": {"name": "affirm"}, "entities": [], "text": text}
    return Tracker(
        "tg-someone", slots, latest, events, False, None, {"name": "referral_form"}, "action_listen"
    )


def test_questions_offer_buttons(library: ContentLibrary) -> None:
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAskReferralConsent(library).run(dispatcher, tracker({}), {}))
    asyncio.run(ActionAskReferralArea(library).run(dispatcher, tracker({}), {}))
    consent, area = dispatcher.messages
    assert [b["payload"] for b in consent["buttons"]] == ["/affirm", "/deny"]
    assert [b["title"] for b in area["buttons"]] == ["Glasgow", "Edinburgh", "Lothian"]


def test_validation_matches_areas_and_stops_on_request(library: ContentLibrary) -> None:
    form = ValidateReferralForm(library)
    dispatcher = CollectingDispatcher()
    assert form.validate_referral_area("glasgow please", dispatcher, tracker({}), {}) == {
        "referral_area": "Glasgow"
    }
    assert form.validate_referral_area("Oban", dispatcher, tracker({}), {}) == {
        "referral_area": None
    }
    assert dispatcher.messages[-1]["text"].startswith("Sorry, I don't have a worker for that area")
    stopped = form.validate_referral_help("stop", dispatcher, tracker({}), {})
    assert stopped["referral_consent"] is False
    assert form.validate_referral_help("Skip", dispatcher, tracker({}), {}) == {
        "referral_help": "-"
    }
    assert form.validate_referral_urgency("this week", dispatcher, tracker({}), {}) == {
        "referral_urgency": "this_week"
    }
    slots = asyncio.run(
        form.required_slots(
            ["referral_consent", "referral_area"],
            dispatcher,
            tracker({"referral_consent": False}),
            {},
        )
    )
    assert slots == ["referral_consent"]


CHAT = 987654321


def test_submit_stores_the_referral_with_the_sealed_contact(
    library: ContentLibrary, sessions: sessionmaker
) -> None:
    key = b"k"
    slots = {
        "referral_consent": True,
        "referral_area": "Glasgow",
        "referral_help": "detox",
        "referral_urgency": "today",
    }
    dispatcher = CollectingDispatcher()
    events = asyncio.run(
        ActionSubmitReferral(library, sessions).run(
            dispatcher, tracker(slots, metadata={"contact": seal(key, CHAT)}), {}
        )
    )
    assert dispatcher.messages[0]["text"].startswith("Thanks. I've passed this to ")
    assert {e["name"] for e in events} == set(slots)
    with sessions.begin() as session:
        [row] = referrals.all_referrals(session)
    assert row.person == "tg-someone" and row.help_text == "detox" and row.topic == "request_human"
    # A long chat id: a short one ("42") can turn up by chance in the random token.
    assert row.contact is not None and unseal(key, row.contact) == CHAT
    assert str(CHAT) not in row.contact


def test_no_consent_no_referral(library: ContentLibrary, sessions: sessionmaker) -> None:
    dispatcher = CollectingDispatcher()
    asyncio.run(
        ActionSubmitReferral(library, sessions).run(
            dispatcher, tracker({"referral_consent": False}), {}
        )
    )
    assert dispatcher.messages[0]["text"].startswith("Okay, I haven't passed anything on")
    assert any("116 123" in m["text"] for m in dispatcher.messages)
    with sessions.begin() as session:
        assert referrals.all_referrals(session) == []

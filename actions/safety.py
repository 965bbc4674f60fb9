"""The emergency card and crisis support, or first a check when only the classifier is unsure.

What is a check and what answers a "No" is decided in `blether.safety_check`; these actions
turn it into messages and slots. `safety_check` (featurised, so that rules can tell a check
from a card) holds the topic asked about until the person answers; `safety_check_instead` the
second guess to answer on "No".
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import sessionmaker

from actions.common import ContentAction, deliver
from actions.couse import mentions_from_entities
from blether.content import ContentError, ContentLibrary
from blether.replies import Answer, topic_answer
from blether.safety_check import (
    DEFAULT_CHECK_BELOW,
    STARTS_REFERRAL,
    Check,
    check_answer,
    check_for,
    instead_answer,
    instead_topic,
)
from blether.settings import Settings, SettingsError

logger = logging.getLogger(__name__)
CHECK_SLOT = "safety_check"
INSTEAD_SLOT = "safety_check_instead"
REFERRAL_FORM = "referral_form"


def clear_check() -> list[dict[str, Any]]:
    return [SlotSet(CHECK_SLOT, None), SlotSet(INSTEAD_SLOT, None)]


class _SafetyCard(ContentAction):
    """The full card for `topic`, unless the message that led here is an unsure classifier guess."""

    topic = ""

    def __init__(
        self,
        library: ContentLibrary | None = None,
        sessions: sessionmaker | None = None,
        check_below: float | None = None,
    ) -> None:
        super().__init__(library, sessions)
        self._check_below = check_below

    @abstractmethod
    def name(self) -> str: ...

    @property
    def check_below(self) -> float:
        if self._check_below is not None:
            return self._check_below
        try:
            return Settings.from_env().safety_check_below
        except SettingsError as error:  # a bad setting must not stop the card
            logger.error("%s; using %s", error, DEFAULT_CHECK_BELOW)
            return DEFAULT_CHECK_BELOW

    def answer(self, tracker: Tracker) -> Answer:
        return topic_answer(self.library, self.topic)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        check = check_for(
            tracker.latest_message, self.check_below, in_form=bool(tracker.active_loop_name)
        )
        if check is not None and check.topic == self.topic:
            asked = self._ask(dispatcher, check)
            if asked is not None:
                return asked
        # Anything else that leads here (a rule match, a button, "yes" to the check) is the card.
        return await super().run(dispatcher, tracker, domain) + clear_check()

    def _ask(self, dispatcher: CollectingDispatcher, check: Check) -> list[dict[str, Any]] | None:
        try:
            answer = check_answer(self.library, check)
        except ContentError as error:
            logger.error("could not ask the danger check, giving the card: %s", error)
            return None
        logger.info("asked whether someone is in danger (%s, classifier only, unsure)", check.topic)
        return deliver(dispatcher, answer) + [
            SlotSet(CHECK_SLOT, check.topic),
            SlotSet(INSTEAD_SLOT, check.saved()),
        ]


class ActionEmergency(_SafetyCard):
    topic = "emergency_overdose"

    def name(self) -> str:
        return "action_emergency"


class ActionCrisisSupport(_SafetyCard):
    topic = "crisis_self_harm"

    def name(self) -> str:
        return "action_crisis_support"


class ActionAnswerInstead(ContentAction):
    """After "No" to the danger check: the answer to what the message seemed to ask."""

    def name(self) -> str:
        return "action_answer_instead"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if instead_topic(tracker.get_slot(INSTEAD_SLOT)) == STARTS_REFERRAL:
            return [*clear_check(), FollowupAction(REFERRAL_FORM)]
        return await super().run(dispatcher, tracker, domain) + clear_check()

    def answer(self, tracker: Tracker) -> Answer:
        saved = tracker.get_slot(INSTEAD_SLOT)
        topic = instead_topic(saved)
        entities = (saved.get("entities") or []) if isinstance(saved, dict) else []
        try:
            classes = {s.name: s.substance_class for s in self.library.substances().substances}
        except ContentError:
            classes = {}  # the answer still comes, without the person's own substances
        return instead_answer(self.library, topic, mentions_from_entities(entities, classes))

"""The referral form: consent, area, what help, how soon; then the referral is made."""

from __future__ import annotations

import datetime as dt
import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import Injected, deliver
from blether.answers import referral_declined, referral_start
from blether.content import ContentError, ContentLibrary
from blether.referral_flow import (
    STOP_WORDS,
    make_referral,
    normalise_urgency,
)
from blether.replies import CONTENT_UNAVAILABLE
from blether.workers import areas, match_area

logger = logging.getLogger(__name__)
FORM_SLOTS = ("referral_consent", "referral_area", "referral_help", "referral_urgency")


def _stopping(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower().strip(".!") in STOP_WORDS


class ValidateReferralForm(Injected, FormValidationAction):
    def name(self) -> str:
        return "validate_referral_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        # No consent, or "stop" at any point: nothing more is asked.
        if tracker.get_slot("referral_consent") is False:
            return ["referral_consent"]
        return list(domain_slots)

    def validate_referral_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is True or value is False:
            return {"referral_consent": value}
        return {"referral_consent": False if _stopping(value) else None}

    def _stop(self) -> dict[str, Any]:
        return {
            "referral_consent": False,
            "referral_area": None,
            "referral_help": None,
            "referral_urgency": None,
        }

    def validate_referral_area(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _stopping(value):
            return self._stop()
        workers = self.library.services().workers
        area = match_area(workers, str(value or ""))
        if area is None:
            texts = self.library.referral()
            dispatcher.utter_message(
                text=texts.unknown_area,
                buttons=[{"title": a, "payload": a} for a in areas(workers)],
            )
        return {"referral_area": area}

    def validate_referral_help(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _stopping(value):
            return self._stop()
        text = str(value or "").strip()[:500]
        if text.lower() == self.library.referral().skip.lower():
            text = "-"
        return {"referral_help": text or "-"}

    def validate_referral_urgency(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _stopping(value):
            return self._stop()
        return {"referral_urgency": normalise_urgency(str(value or ""))}


class _Ask(Injected, Action, ABC):
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            text, buttons = self.question(self.library)
        except ContentError:
            dispatcher.utter_message(text=CONTENT_UNAVAILABLE)
            return [ActiveLoop(None), SlotSet("requested_slot", None)]
        dispatcher.utter_message(
            text=text, buttons=[{"title": t, "payload": p} for t, p in buttons]
        )
        return []

    @abstractmethod
    def question(self, library: ContentLibrary) -> tuple[str, list[tuple[str, str]]]: ...


class ActionAskReferralConsent(_Ask):
    def name(self) -> str:
        return "action_ask_referral_consent"

    def question(self, library: ContentLibrary) -> tuple[str, list[tuple[str, str]]]:
        [reply] = referral_start(library).replies
        return reply.text, [(b.title, b.payload) for b in reply.buttons]


class ActionAskReferralArea(_Ask):
    def name(self) -> str:
        return "action_ask_referral_area"

    def question(self, library: ContentLibrary) -> tuple[str, list[tuple[str, str]]]:
        return library.referral().ask_area, [(a, a) for a in areas(library.services().workers)]


class ActionAskReferralHelp(_Ask):
    def name(self) -> str:
        return "action_ask_referral_help"

    def question(self, library: ContentLibrary) -> tuple[str, list[tuple[str, str]]]:
        t = library.referral()
        return t.ask_help, [(t.skip, t.skip)]


class ActionAskReferralUrgency(_Ask):
    def name(self) -> str:
        return "action_ask_referral_urgency"

    def question(self, library: ContentLibrary) -> tuple[str, list[tuple[str, str]]]:
        t = library.referral()
        return t.ask_urgency, [
            (t.urgency_today, "today"),
            (t.urgency_this_week, "this week"),
            (t.urgency_whenever, "whenever"),
        ]


class ActionSubmitReferral(Injected, Action):
    def name(self) -> str:
        return "action_submit_referral"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        clear = [SlotSet(slot, None) for slot in FORM_SLOTS]
        try:
            if tracker.get_slot("referral_consent") is not True:
                deliver(dispatcher, referral_declined(self.library))
                return clear
            metadata = _latest_metadata(tracker)
            with self.sessions.begin() as session:
                reply = make_referral(
                    session,
                    self.library,
                    person=tracker.sender_id,
                    contact=metadata.get("contact"),
                    area=tracker.get_slot("referral_area"),
                    help_text=tracker.get_slot("referral_help"),
                    urgency=tracker.get_slot("referral_urgency"),
                    topic=_topic_before_form(tracker),
                    now=dt.datetime.now(dt.timezone.utc),
                )
        except ContentError:
            dispatcher.utter_message(text=CONTENT_UNAVAILABLE)
            return clear
        except Exception as error:  # noqa: BLE001 - a database fault must still get an answer
            logger.error("could not store the referral (%s)", type(error).__name__)
            dispatcher.utter_message(text=CONTENT_UNAVAILABLE)
            return clear
        for message in reply:
            dispatcher.utter_message(text=message)
        return clear


def _latest_metadata(tracker: Tracker) -> dict[str, Any]:
    """What the bridge sent with the person's last message (their sealed chat)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return dict(event.get("metadata") or {})
    return {}


def _topic_before_form(tracker: Tracker) -> str:
    """The topic the person was on when they asked for a person (for the worker's context)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            name = (event.get("parse_data") or {}).get("intent", {}).get("name")
            if name in ("request_human", "crisis_self_harm", "emergency_overdose"):
                return str(name)
    return "request_human"

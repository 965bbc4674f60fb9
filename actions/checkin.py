"""The check-in set-up form: how long, and who is told. The bridge keeps the timer.

The form ends by asking the bridge (a custom payload) to start the check-in: only the bridge
can reach Telegram later, and the note the person may add next never passes through Rasa.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import ContentAction, Injected
from blether import contacts
from blether.checkin_flow import CONTACT, WORKER
from blether.checkin_setup import (
    CHECKIN_PAYLOAD,
    STOPPED,
    parse_minutes,
    parse_notify,
    stopping,
    wants_checkin,
)
from blether.content import ContentError
from blether.replies import CONTENT_UNAVAILABLE, Answer, Button, Reply, topic_answer

logger = logging.getLogger(__name__)
FORM_SLOTS = ("checkin_minutes", "checkin_notify")
_STOP = {"checkin_minutes": STOPPED, "checkin_notify": STOPPED}


class ValidateCheckinForm(Injected, FormValidationAction):
    def name(self) -> str:
        return "validate_checkin_form"

    async def extract_checkin_minutes(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """ "Check on me in 15 minutes": the time comes with the request itself."""
        if tracker.get_slot("requested_slot") or tracker.get_slot("checkin_minutes"):
            return {}
        minutes = parse_minutes(str((tracker.latest_message or {}).get("text") or ""))
        return {"checkin_minutes": str(minutes)} if minutes else {}

    def validate_checkin_minutes(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        if text == STOPPED or stopping(text):
            return dict(_STOP)
        minutes = parse_minutes(text)
        if minutes is None:
            try:
                dispatcher.utter_message(text=self.library.checkin().minutes_unclear)
            except ContentError:
                dispatcher.utter_message(text=CONTENT_UNAVAILABLE)
            return {"checkin_minutes": None}
        return {"checkin_minutes": str(minutes)}

    def validate_checkin_notify(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        if text == STOPPED or stopping(text):
            return dict(_STOP)
        notify = parse_notify(text)
        if notify == CONTACT and not _has_contact(self, tracker.sender_id):
            try:
                texts = self.library.checkin()
                dispatcher.utter_message(
                    text=texts.no_contact_yet,
                    buttons=[{"title": texts.notify_worker, "payload": WORKER}],
                )
            except ContentError:
                dispatcher.utter_message(text=CONTENT_UNAVAILABLE)
            return {"checkin_notify": None}
        return {"checkin_notify": notify}


def _has_contact(action: Injected, person: str | None) -> bool:
    try:
        with action.sessions.begin() as session:
            return contacts.active_for(session, person or "") is not None
    except Exception as error:  # noqa: BLE001 - a database fault: offer the worker instead
        logger.error("could not look up a trusted contact (%s)", type(error).__name__)
        return False


class ActionAskCheckinMinutes(Injected, Action):
    def name(self) -> str:
        return "action_ask_checkin_minutes"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            texts = self.library.checkin()
        except ContentError:
            dispatcher.utter_message(text=CONTENT_UNAVAILABLE)
            return [SlotSet(slot, STOPPED) for slot in FORM_SLOTS]
        buttons = [{"title": f"{m} minutes", "payload": str(m)} for m in (10, 20, 30)]
        dispatcher.utter_message(text=texts.ask_minutes, buttons=buttons)
        return []


class ActionAskCheckinNotify(Injected, Action):
    def name(self) -> str:
        return "action_ask_checkin_notify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            texts = self.library.checkin()
        except ContentError:
            dispatcher.utter_message(text=CONTENT_UNAVAILABLE)
            return [SlotSet(slot, STOPPED) for slot in FORM_SLOTS]
        buttons = [{"title": texts.notify_worker, "payload": WORKER}]
        if _has_contact(self, tracker.sender_id):
            buttons.insert(0, {"title": texts.notify_contact, "payload": CONTACT})
        dispatcher.utter_message(text=texts.ask_notify, buttons=buttons)
        return []


class ActionSubmitCheckin(Injected, Action):
    def name(self) -> str:
        return "action_submit_checkin"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        clear = [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("checkin_wanted", None)]
        minutes, notify = tracker.get_slot("checkin_minutes"), tracker.get_slot("checkin_notify")
        if STOPPED in (minutes, notify) or not minutes or not notify:
            try:
                dispatcher.utter_message(text=self.library.checkin().stopped)
            except ContentError:
                dispatcher.utter_message(text=CONTENT_UNAVAILABLE)
            return clear
        checkin = {"minutes": int(minutes), "notify": str(notify)}
        dispatcher.utter_message(json_message={"blether": {"checkin": checkin}})
        return clear


class ActionUsingAlone(ContentAction):
    """The using_alone advice with a "Check on me" button, or the check-in set-up if asked for."""

    def name(self) -> str:
        return "action_using_alone"

    def answer(self, tracker: Tracker) -> Answer:
        answer = topic_answer(self.library, "using_alone")
        button = Button(self.library.checkin().start_button, CHECKIN_PAYLOAD)
        *first, last = answer.replies
        replies = [*first, Reply(last.text, (button, *last.buttons))]
        return Answer(answer.topic, replies, answer.served_from)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        latest = tracker.latest_message or {}
        asked = any(e.get("entity") == "checkin" for e in latest.get("entities") or [])
        if asked or wants_checkin(str(latest.get("text") or "")):
            return [SlotSet("checkin_wanted", True)]
        return [*await super().run(dispatcher, tracker, domain), SlotSet("checkin_wanted", False)]

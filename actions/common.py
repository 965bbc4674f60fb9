"""What every content-backed action shares: the library, delivery, and a safe failure."""

from __future__ import annotations

import datetime as dt
import logging
from abc import ABC, abstractmethod
from functools import cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import sessionmaker

from blether.content import ContentError, ContentLibrary
from blether.db import make_engine, make_sessionmaker, upgrade
from blether.replies import CONTENT_UNAVAILABLE, Answer
from blether.served import record_served
from blether.settings import Settings

logger = logging.getLogger(__name__)
ANSWERED_FROM_SLOT = "answered_from"


@cache
def default_library() -> ContentLibrary:
    """The action server's one library, built on first use from the environment."""
    return ContentLibrary(Settings.from_env().content_dir)


@cache
def default_sessions() -> sessionmaker:
    """The app database, migrated to the latest schema on first use."""
    url = Settings.from_env().database_url
    upgrade(url)
    return make_sessionmaker(make_engine(url))


def deliver(dispatcher: CollectingDispatcher, answer: Answer) -> list[dict[str, Any]]:
    for reply in answer.replies:
        buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
        dispatcher.utter_message(text=reply.text, buttons=buttons or None)
    return [SlotSet(ANSWERED_FROM_SLOT, answer.provenance)]


class Injected:
    """Library and app database passed in by tests, or built from the environment on first use."""

    def __init__(
        self, library: ContentLibrary | None = None, sessions: sessionmaker | None = None
    ) -> None:
        self._library = library
        self._sessions = sessions

    @property
    def library(self) -> ContentLibrary:
        return self._library or default_library()

    @property
    def sessions(self) -> sessionmaker:
        return self._sessions or default_sessions()


class ContentAction(Injected, Action, ABC):
    """An action that answers from the content library."""

    @abstractmethod
    def answer(self, tracker: Tracker) -> Answer: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            answer = self.answer(tracker)
        except ContentError as error:
            logger.error("%s could not answer: %s", self.name(), error)
            dispatcher.utter_message(text=CONTENT_UNAVAILABLE)
            return [SlotSet(ANSWERED_FROM_SLOT, None)]
        self._record(answer)
        return deliver(dispatcher, answer)

    def _record(self, answer: Answer) -> None:
        """Which version answered (not who, not what they said); never blocks the answer."""
        if answer.topic == "menu" or not answer.served_from:
            return
        try:
            with self.sessions.begin() as session:
                record_served(session, answer.topic, answer.provenance, dt.date.today())
        except Exception as error:  # noqa: BLE001 - a database fault must not stop the reply
            logger.error("could not record the served answer (%s)", type(error).__name__)


def latest_intent(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("intent", {}).get("name") or "")

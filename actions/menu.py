"""The topic menu: after a greeting, and when Blether did not understand."""

from __future__ import annotations

import logging

from rasa_sdk import Tracker

from actions.common import ContentAction
from actions.couse import substance_mentions
from blether.content import ContentError
from blether.couse import couse_fallback
from blether.replies import Answer, menu_answer

logger = logging.getLogger(__name__)


class ActionShowMenu(ContentAction):
    def name(self) -> str:
        return "action_show_menu"

    def answer(self, tracker: Tracker) -> Answer:
        return menu_answer(self.library)


class ActionFallbackMenu(ContentAction):
    def name(self) -> str:
        return "action_fallback_menu"

    def answer(self, tracker: Tracker) -> Answer:
        # Not understood, but two kinds of drug named: the mixing risk is the answer that matters.
        entities = (tracker.latest_message or {}).get("entities") or []
        try:
            couse = couse_fallback(self.library, substance_mentions(self.library, entities))
        except ContentError as error:  # a broken mixing file must not cost the menu
            logger.error("no co-use pairs for the fallback: %s", error)
            couse = None
        return couse or menu_answer(self.library, lead=self.library.menu().fallback)

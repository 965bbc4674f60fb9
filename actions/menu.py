"""The topic menu: after a greeting, and when Blether did not understand."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.common import ContentAction
from blether.replies import Answer, menu_answer


class ActionShowMenu(ContentAction):
    def name(self) -> str:
        return "action_show_menu"

    def answer(self, tracker: Tracker) -> Answer:
        return menu_answer(self.library)


class ActionFallbackMenu(ContentAction):
    def name(self) -> str:
        return "action_fallback_menu"

    def answer(self, tracker: Tracker) -> Answer:
        return menu_answer(self.library, lead=self.library.menu().fallback)

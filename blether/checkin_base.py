"""What the check-in flows share: their settings, the words they say, and who they tell.

See blether/checkin_flow.py for the state machine as a whole.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import Enum

from sqlalchemy.orm import Session

from blether import contacts, outbox
from blether.checkins import Checkin
from blether.content.checkin_models import CheckinFile
from blether.content.models import Worker
from blether.roster import LONDON, Rota
from blether.sealing import seal, unseal_text
from blether.workers import chat_of

logger = logging.getLogger("blether.checkins")
PREFIX = "ci:"
OK, EXTEND, CANCEL, SKIP, HELP, ACK = (
    f"{PREFIX}{a}:" for a in ("ok", "more", "cancel", "skip", "help", "ack")
)
WORKER, CONTACT = "worker", "contact"
MIN_MINUTES, MAX_MINUTES = 5, 240


class Outcome(Enum):
    NOTHING = "nothing"  # no check-in waiting for this
    DONE = "done"  # handled; its messages are in the outbox
    LATE = "late"  # handled: they answered after the alert, and are asked if they are OK
    ASKED_AGAIN = "asked_again"  # typed something that is not "I'm OK": asked again, goes on
    NEEDS_HELP = "needs_help"  # handled, and the person said they need help: send the card
    REFUSED = "refused"  # not theirs to answer, or no longer possible


@dataclass(frozen=True)
class CheckinBase:
    texts: CheckinFile
    workers: dict[str, Worker]
    key: bytes
    grace: dt.timedelta
    ack_timeout: dt.timedelta
    close_after: dt.timedelta

    # ---- helpers ----------------------------------------------------------------------
    def _owe(
        self,
        session: Session,
        sealed_chat: str | None,
        text: str,
        now: dt.datetime,
        checkin_id: int,
        buttons: tuple[tuple[str, str], ...] = (),
    ) -> None:
        if sealed_chat:
            message = outbox.Message(sealed_chat, text, buttons)
            outbox.add(session, message, now, checkin_id=checkin_id)

    def _owe_worker(
        self, session: Session, worker: Worker, text: str, now: dt.datetime, checkin_id: int
    ) -> None:
        chat = chat_of(worker)
        if chat is not None:
            buttons = ((self.texts.dealing_button, f"{ACK}{checkin_id}"),)
            self._owe(session, seal(self.key, chat), text, now, checkin_id, buttons)

    def on_duty(self, at: dt.datetime, besides: str | None = None) -> Worker | None:
        """A listed worker reachable on Telegram and on duty at `at` (not `besides`)."""
        for worker in self.workers.values():
            if worker.id == besides or chat_of(worker) is None:
                continue
            if Rota.parse(worker.hours).on_duty(at):
                return worker
        return None

    def _local_time(self, at: dt.datetime) -> str:
        return at.astimezone(LONDON).strftime("%H:%M")

    def _who(self, checkin: Checkin, worker: Worker | None) -> str:
        if checkin.notify == CONTACT and checkin.contact_id is not None:
            return self.texts.who_contact
        if worker is not None:
            return self.texts.who_worker.format(worker=worker.name)
        return self.texts.who_contact if checkin.notify == CONTACT else self.texts.who_any_worker

    def _who_told(self, checkin: Checkin) -> str:
        """Everyone an alert went to, for the person who comes back late."""
        worker = self.workers.get(checkin.worker_id or "")
        contact_told = checkin.notify == CONTACT and checkin.contact_id is not None
        if contact_told and worker is not None:
            return self.texts.who_both.format(worker=worker.name)
        return self._who(checkin, worker)

    def _person_buttons(self, checkin_id: int) -> tuple[tuple[str, str], ...]:
        """Under "Are you OK?": I'm OK, I need help, more time."""
        return (
            (self.texts.ok_button, f"{OK}{checkin_id}"),
            (self.texts.need_help_button, f"{HELP}{checkin_id}"),
            (self.texts.extend_button, f"{EXTEND}{checkin_id}"),
        )

    def _ok_or_help(self, checkin_id: int) -> tuple[tuple[str, str], ...]:
        return (
            (self.texts.ok_button, f"{OK}{checkin_id}"),
            (self.texts.need_help_button, f"{HELP}{checkin_id}"),
        )

    def _note(self, checkin: Checkin) -> str:
        note = unseal_text(self.key, checkin.note) if checkin.note else None
        return self.texts.note_line.format(note=note) if note else self.texts.no_note

    def _tell_alerted(
        self, session: Session, checkin: Checkin, text_name: str, now: dt.datetime
    ) -> None:
        template: str = getattr(self.texts, text_name)
        contact = contacts.get(session, checkin.contact_id) if checkin.contact_id else None
        if contact is not None and contact.chat and checkin.notify == CONTACT:
            self._owe(
                session, contact.chat, template.format(name=contact.shown_name), now, checkin.id
            )
        worker = self.workers.get(checkin.worker_id or "")
        if worker is not None:
            name = self.texts.person_name_for_worker.format(id=checkin.id)
            chat = chat_of(worker)
            if chat is not None:
                self._owe(
                    session, seal(self.key, chat), template.format(name=name), now, checkin.id
                )

"""Trusted contacts as a flow: invite, agree or refuse, remove, withdraw. No Telegram here.

Like the check-in flow, each method is one unit of work in the caller's transaction and puts
what it owes the other side (the person or the contact) in the outbox; what the one who acted
is told comes back as text, for the bridge to answer them with directly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from blether import contacts, outbox
from blether.content.checkin_models import CheckinFile

PREFIX = "tc:"
AGREE, REFUSE, REMOVE = f"{PREFIX}yes:", f"{PREFIX}no:", f"{PREFIX}remove"


@dataclass(frozen=True)
class Said:
    """What to answer the one who acted with, and buttons (title, callback data)."""

    text: str
    buttons: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ContactFlow:
    texts: CheckinFile

    def _owe(self, session: Session, chat: str | None, text: str, now: dt.datetime) -> None:
        if chat:
            outbox.add(session, outbox.Message(chat, text), now)

    def invite(
        self,
        session: Session,
        person: str,
        person_chat: str,
        name: str,
        bot_username: str,
        now: dt.datetime,
    ) -> Said:
        name = " ".join(name.split())[:40]
        if not name:
            return self.show(session, person)
        code = contacts.invite(session, person, person_chat, name, now)
        link = f"https://t.me/{bot_username}?start={code}"
        return Said(self.texts.contact_link.format(link=link, name=name))

    def show(self, session: Session, person: str) -> Said:
        contact = contacts.active_for(session, person)
        if contact is None:
            return Said(self.texts.contact_usage)
        return Said(
            self.texts.contact_show.format(name=contact.shown_name),
            ((self.texts.remove_button, REMOVE),),
        )

    def open(self, session: Session, code: str, opener: str, now: dt.datetime) -> Said:
        """The contact opened the link: exactly what they would agree to, with two buttons."""
        contact = contacts.open_invite(session, code, opener, now)
        if contact is None:
            return Said(self.texts.invite_invalid)
        return Said(
            self.texts.contact_terms.format(name=contact.shown_name),
            (
                (self.texts.agree_button, f"{AGREE}{contact.id}"),
                (self.texts.refuse_button, f"{REFUSE}{contact.id}"),
            ),
        )

    def answer(
        self, session: Session, data: str, opener: str, sealed_chat: str, now: dt.datetime
    ) -> Said:
        """ "I agree" or "No thanks" from the contact who opened the link."""
        try:
            contact_id = int(data.rpartition(":")[2])
        except ValueError:
            return Said(self.texts.invite_invalid)
        if data.startswith(AGREE):
            agreed = contacts.accept(session, contact_id, opener, sealed_chat, now)
            if agreed is None:
                return Said(self.texts.invite_invalid)
            self._owe(
                session,
                agreed.person_chat,
                self.texts.contact_agreed_to_person,
                now,
            )
            return Said(self.texts.contact_agreed.format(name=agreed.shown_name))
        refused = contacts.decline(session, contact_id, opener)
        if refused is None:
            return Said(self.texts.invite_invalid)
        self._owe(
            session,
            refused.person_chat,
            self.texts.contact_refused_to_person,
            now,
        )
        return Said(self.texts.contact_refused)

    def remove(self, session: Session, person: str, now: dt.datetime) -> Said:
        removed = contacts.remove(session, person)
        if removed is not None:
            text = self.texts.contact_removed_to_contact.format(name=removed.shown_name)
            self._owe(session, removed.chat, text, now)
        return Said(self.texts.contact_removed)

    def withdraw(self, session: Session, contact_person: str, now: dt.datetime) -> Said:
        gone = contacts.withdraw(session, contact_person)
        if not gone:
            return Said(self.texts.not_a_contact)
        for contact in gone:
            self._owe(
                session,
                contact.person_chat,
                self.texts.withdrawn_to_person,
                now,
            )
        return Said(self.texts.withdrawn)

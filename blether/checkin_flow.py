"""Check-ins as a state machine: set-up, the check, the alert, the answer. No Telegram, no waiting.

Each method is one unit of work in the caller's `with Session.begin()`: it moves a check-in on
with a conditional update (blether.checkins.change) and records in the outbox every message the
move owes, to the person and to whoever is told. The bridge sends them after the commit, so a
restart can neither lose a step nor send an alert twice, and two bridges cannot both send one.

    SET --due--> ASKED --grace--> REMINDED --grace--> ALERTED (contact or worker) | NOBODY
    ALERTED (contact) --ack_timeout, or the contact unreachable--> ESCALATED (worker told too)
    ALERTED | ESCALATED --"I'm dealing with it"--> ACKNOWLEDGED
    any alert state --the person answers--> LATE --"I'm OK" / "I need help"--> CLOSED
    SET | ASKED | REMINDED --answer--> OK;  --cancel--> CANCELLED;  --extend--> SET
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from blether import checkins, contacts, outbox
from blether.checkin_alerts import CheckinAlerts
from blether.checkin_base import (
    ACK,
    CANCEL,
    CONTACT,
    EXTEND,
    HELP,
    MAX_MINUTES,
    MIN_MINUTES,
    OK,
    PREFIX,
    SKIP,
    WORKER,
    Outcome,
)
from blether.checkins import ALERTING, ASKING, Checkin, State
from blether.sealing import seal_text

ANSWERED_LATE = "answered after the alert"
NOTE_LIMIT = 1000  # characters kept of a note

__all__ = [
    "ACK",
    "CANCEL",
    "CONTACT",
    "EXTEND",
    "HELP",
    "MAX_MINUTES",
    "MIN_MINUTES",
    "OK",
    "PREFIX",
    "SKIP",
    "WORKER",
    "CheckinFlow",
    "Outcome",
]


class CheckinFlow(CheckinAlerts):
    """Set-up and the person's answers; the timers and alerts are CheckinAlerts'."""

    def status_of(self, checkin: Checkin) -> tuple[str, tuple[tuple[str, str], ...]]:
        """What /checkin shows while one runs: when, who is told, and what can be done."""
        worker = self.workers.get(checkin.worker_id or "") or self.on_duty(
            checkin.due_at or checkin.created_at
        )
        at = self._local_time(checkin.due_at or checkin.created_at)
        buttons = self._person_buttons(checkin.id)
        if checkin.state in ALERTING or checkin.state is State.LATE:
            return self.texts.told.format(who=self._who(checkin, worker)), buttons[:1]
        return (
            self.texts.status.format(time=at, who=self._who(checkin, worker)),
            (*buttons, (self.texts.cancel_button, f"{CANCEL}{checkin.id}")),
        )

    # ---- set-up -----------------------------------------------------------------------
    def start(
        self,
        session: Session,
        *,
        person: str,
        chat: str,
        minutes: int,
        notify: str,
        now: dt.datetime,
    ) -> int | None:
        """A check-in from the set-up form; None (the person told why) if nobody could be told."""
        minutes = max(MIN_MINUTES, min(MAX_MINUTES, minutes))
        contact = contacts.active_for(session, person) if notify == CONTACT else None
        due = now + dt.timedelta(minutes=minutes) + 2 * self.grace
        worker = self.on_duty(due)
        if contact is None and worker is None:
            self._owe_direct(session, chat, self.texts.no_worker_on_duty, now)
            return None
        checkin_id = checkins.create(
            session,
            person=person,
            chat=chat,
            notify=CONTACT if contact else WORKER,
            contact_id=contact.id if contact else None,
            minutes=minutes,
            now=now,
        )
        created = checkins.get(session, checkin_id)
        assert created is not None
        who = self._who(created, worker)
        at = self._local_time(now + dt.timedelta(minutes=minutes))
        self._owe(
            session, chat, self.texts.set.format(time=at, minutes=minutes, who=who), now, checkin_id
        )
        self._owe(
            session,
            chat,
            self.texts.ask_note.format(who=who),
            now,
            checkin_id,
            ((self.texts.skip_note, f"{SKIP}{checkin_id}"),),
        )
        return checkin_id

    def _owe_direct(self, session: Session, chat: str, text: str, now: dt.datetime) -> None:
        outbox.add(session, outbox.Message(chat, text), now)

    def take_note(self, session: Session, person: str, text: str | None, now: dt.datetime) -> bool:
        """The person's message is their note, if their check-in is waiting for one.

        None ("stop", "skip" typed at the prompt) means no note, as the Skip button.
        """
        checkin = checkins.current(session, person)
        if checkin is None or not checkin.awaiting_note:
            return False
        note = text[:NOTE_LIMIT] if text else None
        if not checkins.set_note(session, checkin.id, seal_text(self.key, note) if note else None):
            return False
        outbox.drop_unsent_for_checkin(session, checkin.id, SKIP)
        if note is None:
            said = self.texts.note_skipped
        else:
            said = self.texts.note_cut if len(text or "") > NOTE_LIMIT else self.texts.note_saved
        self._owe(session, checkin.chat, said, now, checkin.id)
        return True

    # ---- the person's answers ------------------------------------------------------------
    def answer(self, session: Session, person: str, says_ok: bool, now: dt.datetime) -> Outcome:
        """The person typed while a check waits.

        In time: "I'm OK" ends it; anything else is asked again and the check goes on, its
        timer unchanged ("feel weird" must never end it or put it off). After an alert: asked
        whether they are OK, whoever was told hears they answered, and escalation goes on.
        """
        checkin = checkins.current(session, person)
        if checkin is None or checkin.state is State.SET:
            return Outcome.NOTHING
        if says_ok and checkin.state in ALERTING | {State.LATE}:
            return self._after_alert(session, checkin, now)
        if checkin.state is State.LATE:
            return Outcome.NOTHING
        if checkin.state in ALERTING:
            return self._late(session, checkin, now)
        if says_ok:
            return self._answered(session, checkin, now)
        # Not an "I'm OK": asked again, and the timer runs on unchanged, so that no amount of
        # typing can put the alert off.
        checkins.remark(session, checkin.id, now, "answered, not with OK")
        unclear = self.texts.answered_unclear
        self._owe(session, checkin.chat, unclear, now, checkin.id, self._ok_or_help(checkin.id))
        return Outcome.ASKED_AGAIN

    def typed_help(self, session: Session, person: str, now: dt.datetime) -> Outcome:
        """ "help", "not ok", "naw" typed while a check waits or after an alert: as the button."""
        checkin = checkins.current(session, person)
        if checkin is None or checkin.state is State.SET:
            return Outcome.NOTHING
        if checkin.state in ASKING:
            self.asked_for_help(session, checkin, now)
        else:
            self._help_after_alert(session, checkin, now)
        return Outcome.NEEDS_HELP

    def tap(self, session: Session, person: str, data: str, now: dt.datetime) -> Outcome:
        """A button on a message to the person: I'm OK, I need help, more time, cancel, skip."""
        action, _, raw_id = data.rpartition(":")
        try:
            checkin = checkins.get(session, int(raw_id))
        except ValueError:
            return Outcome.REFUSED
        if checkin is None or checkin.person != person:
            return Outcome.REFUSED
        action += ":"
        before_alert = checkin.state in ASKING | {State.SET}
        after_alert = checkin.state in ALERTING | {State.LATE}
        if action == SKIP:
            if checkins.set_note(session, checkin.id, None):
                self._owe(session, checkin.chat, self.texts.note_skipped, now, checkin.id)
            return Outcome.DONE
        if action == OK and after_alert:
            return self._after_alert(session, checkin, now)
        if action == HELP and after_alert:
            self._help_after_alert(session, checkin, now)
            return Outcome.NEEDS_HELP
        if action == OK and before_alert:
            return self._answered(session, checkin, now)
        if action == HELP and before_alert:
            self.asked_for_help(session, checkin, now)
            return Outcome.NEEDS_HELP
        if after_alert:
            return self._late(session, checkin, now)  # too late to cancel or extend
        if action == EXTEND:
            return self._extend(session, checkin, now)
        if action == CANCEL and before_alert:
            moved = checkins.change(
                session, checkin.id, State.CANCELLED, now, note="cancelled", expect=checkin.state
            )
            if moved is None:
                return Outcome.REFUSED
            self._owe(session, checkin.chat, self.texts.cancelled, now, checkin.id)
            return Outcome.DONE
        return Outcome.REFUSED

    def _extend(self, session: Session, checkin: Checkin, now: dt.datetime) -> Outcome:
        if checkin.state not in ASKING | {State.SET}:
            return Outcome.REFUSED
        extra = dt.timedelta(minutes=self.texts.extend_minutes)
        base = checkin.due_at if checkin.state is State.SET and checkin.due_at else now
        # Never further off than the longest check-in the set-up allows.
        base = min(base, now + dt.timedelta(minutes=MAX_MINUTES) - extra)
        moved = checkins.change(
            session,
            checkin.id,
            State.SET,
            now,
            note="extended",
            expect=checkin.state,
            due_at=base + extra,
        )
        if moved is None:
            return Outcome.REFUSED
        outbox.drop_unsent_for_checkin(session, checkin.id, OK)
        text = self.texts.extended.format(time=self._local_time(base + extra))
        self._owe(session, checkin.chat, text, now, checkin.id)
        return Outcome.DONE

    def _answered(self, session: Session, checkin: Checkin, now: dt.datetime) -> Outcome:
        """ "I'm OK" in time: the check-in is over."""
        moved = checkins.change(
            session, checkin.id, State.OK, now, note="answered in time", expect=checkin.state
        )
        if moved is None:
            return Outcome.REFUSED
        outbox.drop_unsent_for_checkin(session, checkin.id, OK)
        self._owe(session, checkin.chat, self.texts.ok_thanks, now, checkin.id)
        return Outcome.DONE

    def _late(self, session: Session, checkin: Checkin, now: dt.datetime) -> Outcome:
        """Words after the alert: asked whether they are OK; whoever was told hears it once.

        The escalation goes on unless someone already acknowledged: a person who typed
        "feel weird" may still need the worker.
        """
        if checkin.state is State.NOBODY:
            moved = checkins.change(
                session, checkin.id, State.CLOSED, now, note="answered; nobody had been told",
                expect=State.NOBODY,
            )  # fmt: skip
            if moved is not None:
                self._owe(session, checkin.chat, self.texts.nobody_late, now, checkin.id)
            return Outcome.LATE
        if checkin.state is State.LATE:
            return Outcome.NOTHING
        first = not checkins.remarked(session, checkin.id, ANSWERED_LATE)
        if checkin.state is State.ACKNOWLEDGED:
            moved = checkins.change(
                session, checkin.id, State.LATE, now, note=ANSWERED_LATE,
                expect=checkin.state, due_at=now + self.close_after,
            )  # fmt: skip
            if moved is None:
                return Outcome.REFUSED
        elif first:
            checkins.remark(session, checkin.id, now, ANSWERED_LATE)
        question = self.texts.late_question.format(who=self._who_told(checkin))
        self._owe(session, checkin.chat, question, now, checkin.id, self._ok_or_help(checkin.id))
        if first:
            self._tell_alerted(session, checkin, "late_to_alerted", now)
        return Outcome.LATE

    def _help_after_alert(self, session: Session, checkin: Checkin, now: dt.datetime) -> None:
        """ "I need help" once someone was told: they hear it; nothing closes or stops."""
        checkins.remark(session, checkin.id, now, "said they need help")
        if checkin.state is not State.NOBODY:
            self._tell_alerted(session, checkin, "late_help_to_alerted", now)

    def _after_alert(self, session: Session, checkin: Checkin, now: dt.datetime) -> Outcome:
        """ "I'm OK" once someone was told: it closes, and they are told."""
        moved = checkins.change(
            session, checkin.id, State.CLOSED, now, note="said they are OK", expect=checkin.state
        )
        if moved is None:
            return Outcome.REFUSED
        outbox.drop_unsent_for_checkin(session, checkin.id, OK)
        if checkin.state is not State.NOBODY:
            self._tell_alerted(session, checkin, "late_ok_to_alerted", now)
        thanks = self.texts.late_ok if checkin.state is not State.NOBODY else self.texts.ok_thanks
        self._owe(session, checkin.chat, thanks, now, checkin.id)
        return Outcome.DONE

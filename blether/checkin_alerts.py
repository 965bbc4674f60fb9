"""The check-in timers and alerts: asked, reminded, alerted, escalated, acknowledged.

One step per call, in the caller's transaction; see blether/checkin_flow.py for the whole.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from blether import checkins, contacts, outbox
from blether.checkin_base import ACK, CONTACT, OK, SKIP, WORKER, CheckinBase, Outcome, logger
from blether.checkins import Checkin, State
from blether.content.models import Worker


class CheckinAlerts(CheckinBase):
    # ---- the alerted person's answer ----------------------------------------------------
    def acknowledge(
        self,
        session: Session,
        data: str,
        by_person: str,
        by_worker: Worker | None,
        now: dt.datetime,
    ) -> tuple[Outcome, str | None]:
        """ "I'm dealing with it" from whoever was told; the text to answer them with."""
        try:
            checkin = checkins.get(session, int(data.rpartition(":")[2]))
        except ValueError:
            return Outcome.REFUSED, None
        if checkin is None:
            return Outcome.REFUSED, self.texts.already_handled
        contact = contacts.get(session, checkin.contact_id) if checkin.contact_id else None
        is_contact = contact is not None and contact.contact_person == by_person
        is_worker = by_worker is not None and by_worker.id == checkin.worker_id
        if not (is_contact or is_worker):
            return Outcome.REFUSED, None
        if checkin.state not in (State.ALERTED, State.ESCALATED):
            return Outcome.DONE, self.texts.already_handled
        by = CONTACT if is_contact else WORKER
        moved = checkins.change(
            session,
            checkin.id,
            State.ACKNOWLEDGED,
            now,
            note=f"acknowledged by the {by}",
            expect=checkin.state,
            due_at=now + self.close_after,
            acknowledged_at=now,
            acknowledged_by=by,
        )
        if moved is None:
            return Outcome.DONE, self.texts.already_handled
        outbox.drop_unsent_for_checkin(session, checkin.id, ACK)
        return Outcome.DONE, self.texts.acknowledged

    # ---- the timers ---------------------------------------------------------------------
    def tick(self, session: Session, now: dt.datetime) -> int:
        """Every check-in whose time has come, one step on; the number of steps made."""
        moves = 0
        for checkin in checkins.due(session, now):
            moves += self._step(session, checkin, now)
        return moves

    def _step(self, session: Session, checkin: Checkin, now: dt.datetime) -> int:
        if checkin.state is State.SET:
            if checkin.awaiting_note:
                checkins.set_note(session, checkin.id, None)
                outbox.drop_unsent_for_checkin(session, checkin.id, SKIP)
            moved = checkins.change(
                session,
                checkin.id,
                State.ASKED,
                now,
                note="asked",
                expect=State.SET,
                due_at=now + self.grace,
            )
            if moved:
                self._owe(
                    session,
                    checkin.chat,
                    self.texts.ask,
                    now,
                    checkin.id,
                    self._person_buttons(checkin.id),
                )
            return int(moved is not None)
        if checkin.state is State.ASKED:
            moved = checkins.change(
                session,
                checkin.id,
                State.REMINDED,
                now,
                note="reminded",
                expect=State.ASKED,
                due_at=now + self.grace,
            )
            if moved:
                worker = self.on_duty(now + self.grace)
                minutes = max(1, round(self.grace.total_seconds() / 60))
                text = self.texts.remind.format(minutes=minutes, who=self._who(checkin, worker))
                self._owe(
                    session, checkin.chat, text, now, checkin.id, self._person_buttons(checkin.id)
                )
            return int(moved is not None)
        if checkin.state is State.REMINDED:
            return self._alert(session, checkin, now)
        if (
            checkin.state is State.ALERTED
            and checkin.worker_id is None
            and checkin.alerted_at
            and now - checkin.alerted_at < self.close_after
        ):
            return self._escalate(
                session, checkin, now, self.texts.why_contact_silent, unreachable=False
            )
        moved = checkins.change(
            session,
            checkin.id,
            State.CLOSED,
            now,
            note="closed after the alert",
            expect=checkin.state,
        )
        return int(moved is not None)

    def _alert(
        self, session: Session, checkin: Checkin, now: dt.datetime, asked_help: bool = False
    ) -> int:
        """No answer after the reminder (or "I need help" tapped): tell whoever they chose."""
        contact = contacts.get(session, checkin.contact_id) if checkin.contact_id else None
        worker = self.on_duty(now)
        waited = max(1, round(2 * self.grace.total_seconds() / 60))
        note = self._note(checkin)
        back = self._ok_or_help(checkin.id)
        if contact is not None and contact.chat and contact.status == contacts.ACTIVE:
            due = now + (self.ack_timeout if worker else self.close_after)
            moved = checkins.change(
                session, checkin.id, State.ALERTED, now,
                note="contact alerted" + (" (asked for help)" if asked_help else ""),
                expect=checkin.state, due_at=due, alerted_at=now,
            )  # fmt: skip
            if moved is None:
                return 0
            ack_minutes = max(1, round(self.ack_timeout.total_seconds() / 60))
            after = self.texts.next_worker.format(minutes=ack_minutes) if worker else None
            template = self.texts.contact_help_alert if asked_help else self.texts.contact_alert
            text = template.format(
                name=contact.shown_name, waited=waited, note=note,
                next=after or self.texts.next_nobody,
            )  # fmt: skip
            dealing = ((self.texts.dealing_button, f"{ACK}{checkin.id}"),)
            self._owe(session, contact.chat, text, now, checkin.id, dealing)
            who = self.texts.who_contact
        elif worker is not None:
            moved = checkins.change(
                session, checkin.id, State.ALERTED, now,
                note=f"worker {worker.id} alerted" + (" (asked for help)" if asked_help else ""),
                expect=checkin.state, due_at=now + self.close_after, alerted_at=now,
                worker_id=worker.id,
            )  # fmt: skip
            if moved is None:
                return 0
            why = self.texts.why_asked_for_help if asked_help else self.texts.why_first
            text = self.texts.worker_alert.format(id=checkin.id, waited=waited, note=note, why=why)
            if asked_help:
                text = self.texts.worker_help_alert.format(id=checkin.id, note=note)
            self._owe_worker(session, worker, text, now, checkin.id)
            who = self.texts.who_worker.format(worker=worker.name)
        else:
            moved = checkins.change(
                session, checkin.id, State.NOBODY, now, note="nobody could be told",
                expect=checkin.state, due_at=now + self.close_after, alerted_at=now,
            )  # fmt: skip
            if moved is not None and not asked_help:
                self._owe(session, checkin.chat, self.texts.nobody_told, now, checkin.id, back)
            return int(moved is not None)
        told = (self.texts.help_told if asked_help else self.texts.told).format(who=who)
        self._owe(session, checkin.chat, told, now, checkin.id, () if asked_help else back)
        return 1

    def asked_for_help(self, session: Session, checkin: Checkin, now: dt.datetime) -> None:
        """ "I need help" before anyone was told: whoever they chose is told at once."""
        outbox.drop_unsent_for_checkin(session, checkin.id, OK)
        self._alert(session, checkin, now, asked_help=True)

    def _escalate(
        self,
        session: Session,
        checkin: Checkin,
        now: dt.datetime,
        why: str,
        unreachable: bool,
        asked_help: bool = False,
    ) -> int:
        """The contact did not acknowledge in time, or could not be reached: the worker too."""
        worker = self.on_duty(now, besides=checkin.worker_id)
        if worker is None:
            # Nobody else to tell; the alert stands until it closes.
            closes = (checkin.alerted_at or now) + self.close_after
            moved = checkins.change(
                session, checkin.id, State.ESCALATED, now, note="no worker on duty to tell",
                expect=checkin.state, due_at=closes,
            )  # fmt: skip
            if moved is not None and unreachable:
                back = self._ok_or_help(checkin.id)
                self._owe(session, checkin.chat, self.texts.nobody_told, now, checkin.id, back)
            return int(moved is not None)
        moved = checkins.change(
            session, checkin.id, State.ESCALATED, now, note=f"worker {worker.id} alerted",
            expect=checkin.state, due_at=now + self.close_after, worker_id=worker.id,
        )  # fmt: skip
        if moved is None:
            return 0
        text = self.texts.worker_alert.format(
            id=checkin.id,
            waited=self._waited_since_alert(checkin, now),
            note=self._note(checkin),
            why=why,
        )
        if asked_help:
            text = self.texts.worker_help_alert.format(id=checkin.id, note=self._note(checkin))
        self._owe_worker(session, worker, text, now, checkin.id)
        if unreachable:
            # The person was told their contact knows; say who really does.
            who = self.texts.who_worker.format(worker=worker.name)
            told = self.texts.told_instead.format(who=who)
            self._owe(session, checkin.chat, told, now, checkin.id, self._ok_or_help(checkin.id))
        return 1

    def _waited_since_alert(self, checkin: Checkin, now: dt.datetime) -> int:
        start = (checkin.alerted_at or now) - 2 * self.grace
        return max(1, round((now - start).total_seconds() / 60))

    def undeliverable(self, session: Session, checkin_id: int, chat: str, now: dt.datetime) -> int:
        """An alert could not reach whoever it was for (the bot blocked): tell someone else."""
        checkin = checkins.get(session, checkin_id)
        if checkin is None or checkin.state not in (State.ALERTED, State.ESCALATED):
            return 0
        contact = contacts.get(session, checkin.contact_id) if checkin.contact_id else None
        asked_help = any(
            "asked for help" in note for *_, note in checkins.history(session, checkin_id)
        )
        if contact is not None and contact.chat == chat:
            logger.warning("a check-in alert could not reach the contact; telling a worker")
            if checkin.state is not State.ALERTED:
                return 0  # the worker was told already
            return self._escalate(
                session, checkin, now, self.texts.why_contact_unreachable, unreachable=True,
                asked_help=asked_help,
            )  # fmt: skip
        # A worker's alert: the next worker on duty, if there is one.
        logger.warning("a check-in alert could not reach a worker; trying another")
        checkins.remark(
            session, checkin_id, now, f"alert to worker {checkin.worker_id} not delivered"
        )
        worker = self.on_duty(now, besides=checkin.worker_id)
        back = self._ok_or_help(checkin.id)
        if worker is None:
            checkins.remark(session, checkin_id, now, "no other worker on duty")
            if checkin.notify != CONTACT:
                self._owe(session, checkin.chat, self.texts.nobody_told, now, checkin.id, back)
            return 0
        checkins.set_worker(session, checkin_id, worker.id)
        checkins.remark(session, checkin_id, now, f"worker {worker.id} alerted instead")
        note = self._note(checkin)
        if asked_help:
            text = self.texts.worker_help_alert.format(id=checkin.id, note=note)
        else:
            text = self.texts.worker_alert.format(
                id=checkin.id, waited=self._waited_since_alert(checkin, now), note=note,
                why=self.texts.why_worker_unreachable,
            )  # fmt: skip
        self._owe_worker(session, worker, text, now, checkin.id)
        who = self.texts.who_worker.format(worker=worker.name)
        told = self.texts.told_other_worker.format(who=who)
        self._owe(session, checkin.chat, told, now, checkin.id, back)
        return 1

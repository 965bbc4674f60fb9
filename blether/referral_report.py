"""`blether referrals report`: how the handoff is doing, by worker and week. No identities.

Read from the audit trail (referral_events) and the referral rows, never from people's words:
- an offer is one "offered" row: it was accepted, declined, left unanswered until it moved on
  ("lapsed"), passed on because the worker was at their limit, or is still open;
- time to accept runs from the offer to that worker to their Accept;
- time to first reply runs from Accept to the worker's first message in the chat;
- feedback is the person's button answer to "Did that help?" after the chat ended.
A referral counts in the ISO week its offer was made (Europe/London), under that worker.
Retention (`blether purge`) and /forget remove referrals, so the report covers what is kept.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from blether import referrals
from blether.roster import LONDON

OUTCOMES = {
    referrals.ACCEPTED.value: "accepted",
    "declined": "declined",
    "no answer in time": "lapsed",
    "worker at their limit": "passed_on",
}


@dataclass
class Row:
    offers: int = 0
    accepted: int = 0
    declined: int = 0
    lapsed: int = 0
    passed_on: int = 0
    reminded: int = 0
    to_accept: list[float] = field(default_factory=list)  # seconds
    to_first_reply: list[float] = field(default_factory=list)
    feedback: dict[str, int] = field(default_factory=lambda: dict.fromkeys(referrals.FEEDBACK, 0))

    def add(self, other: Row) -> None:
        for name in ("offers", "accepted", "declined", "lapsed", "passed_on", "reminded"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.to_accept += other.to_accept
        self.to_first_reply += other.to_first_reply
        for answer, count in other.feedback.items():
            self.feedback[answer] += count


def week_of(at: dt.datetime) -> str:
    year, week, _ = at.astimezone(LONDON).isocalendar()
    return f"{year}-W{week:02d}"


def p90(values: list[float]) -> float:
    """Nearest-rank 90th percentile: a value that happened, not an interpolation."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def build(session: Session, since: dt.datetime) -> dict[tuple[str, str], Row]:
    """Rows keyed by (week, worker id) for referrals made since `since`."""
    rows: dict[tuple[str, str], Row] = defaultdict(Row)
    made = {r.id: r for r in referrals.made_since(session, since)}
    by_referral: dict[int, list[tuple[dt.datetime, str, str | None, str | None]]] = defaultdict(
        list
    )
    for referral_id, at, status_to, worker, note in referrals.events_since(session, since):
        by_referral[referral_id].append((at, status_to, worker, note))
    for referral_id, events in by_referral.items():
        offer: tuple[dt.datetime, str] | None = None  # when, to whom: the open offer
        for at, status_to, worker, note in events:
            if status_to == referrals.OFFERED.value and note == referrals.REMINDED:
                if offer is not None:
                    rows[(week_of(offer[0]), offer[1])].reminded += 1
                continue
            if status_to == referrals.OFFERED.value and worker:
                offer = (at, worker)
                rows[(week_of(at), worker)].offers += 1
                continue
            if offer is None:
                continue
            row = rows[(week_of(offer[0]), offer[1])]
            outcome = OUTCOMES.get(status_to) or OUTCOMES.get(note or "")
            if outcome is not None:
                setattr(row, outcome, getattr(row, outcome) + 1)
            if outcome == "accepted":
                row.to_accept.append((at - offer[0]).total_seconds())
                referral = made.get(referral_id)
                if referral is not None and referral.first_reply_at is not None:
                    row.to_first_reply.append((referral.first_reply_at - at).total_seconds())
                if referral is not None and referral.feedback in row.feedback:
                    row.feedback[referral.feedback] += 1
            offer = None
    return dict(rows)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def _spread(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{_duration(statistics.median(values))} / {_duration(p90(values))}"


HEADER = (
    f"{'week':<9} {'worker':<18} {'offers':>6} {'accept':>6} {'declin':>6} {'lapsed':>6} "
    f"{'passed':>6} {'remind':>6}  {'to accept med/p90':<19} {'first reply med/p90':<19} "
    "helped/a bit/not really"
)


def render(rows: dict[tuple[str, str], Row]) -> list[str]:
    """The table: one line per worker and week, then the week's total ("all")."""
    lines = [HEADER]
    weeks: dict[str, Row] = defaultdict(Row)
    for (week, worker), row in sorted(rows.items()):
        weeks[week].add(row)
        lines.append(_line(week, worker, row))
    if weeks:
        lines.append("")
    for week, row in sorted(weeks.items()):
        lines.append(_line(week, "all", row))
    if len(rows) == 0:
        lines.append("no referrals in this period")
    return lines


def _line(week: str, worker: str, row: Row) -> str:
    feedback = "/".join(str(row.feedback[a]) for a in referrals.FEEDBACK)
    return (
        f"{week:<9} {worker:<18} {row.offers:>6} {row.accepted:>6} {row.declined:>6} "
        f"{row.lapsed:>6} {row.passed_on:>6} {row.reminded:>6}  {_spread(row.to_accept):<19} "
        f"{_spread(row.to_first_reply):<19} {feedback}"
    )

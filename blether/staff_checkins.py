"""Staff commands for check-ins: `blether checkins list|show`. No notes, no people, no chats."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from blether import checkins
from blether.checkins import Checkin
from blether.db import staff_sessions
from blether.settings import Settings


def _minutes(start: dt.datetime | None, end: dt.datetime | None) -> str:
    if start is None or end is None:
        return "-"
    return f"{(end - start).total_seconds() / 60:.1f} min"


def _line(c: Checkin) -> str:
    alerted = f"{c.alerted_at:%H:%M}" if c.alerted_at else "-"
    return (
        f"#{c.id:<5} {c.state:<12} {c.notify:<8} {c.minutes:>4} min  "
        f"{c.created_at:%Y-%m-%d %H:%M}  {alerted:<7} {_minutes(c.alerted_at, c.acknowledged_at)}"
    )


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    """Counts by state, then each check-in: state, who is told, length, when alerted, and how
    long until someone said they were dealing with it."""
    with staff_sessions(settings.database_url).begin() as session:
        counts = checkins.counts(session)
        rows = checkins.all_checkins(session)
    if args.state:
        rows = [r for r in rows if r.state.value in args.state]
    print("by state: " + (", ".join(f"{s} {n}" for s, n in sorted(counts.items())) or "none"))
    print(
        f"{'id':<6} {'state':<12} {'notify':<8} {'time':>8}  {'set at':<16}  "
        f"{'alerted':<7} acknowledged after"
    )
    for row in rows:
        print(_line(row))
    print(f"{len(rows)} check-in{'s' if len(rows) != 1 else ''}")
    return 0


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    """One check-in's audit trail: every move, when, and who was alerted or answered."""
    with staff_sessions(settings.database_url).begin() as session:
        found = checkins.get(session, args.id)
        if found is None:
            print(f"blether: no check-in #{args.id}", file=sys.stderr)
            return 1
        events = checkins.history(session, args.id)
    print(_line(found))
    for at, before, after, note in events:
        print(f"  {at:%Y-%m-%d %H:%M:%S} {before or '-':>12} -> {after:<12} {note}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("checkins", help="check-ins while using alone").add_subparsers(
        dest="checkins_command", required=True
    )
    listing = group.add_parser("list", help="counts by state and every check-in (no notes)")
    listing.add_argument("--state", nargs="*", choices=[s.value for s in checkins.State])
    listing.set_defaults(run=cmd_list)
    show = group.add_parser("show", help="one check-in's audit trail")
    show.add_argument("id", type=int)
    show.set_defaults(run=cmd_show)

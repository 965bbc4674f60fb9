"""Staff commands: `blether referrals list|show|close|reassign|report` and `blether purge`."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from blether import broadcasts, checkins, contacts, inbox, referral_report, referrals
from blether.content import ContentLibrary
from blether.db import staff_sessions
from blether.erasure import purge_events_before, tracker_sessionmaker
from blether.settings import Settings


def _line(r: referrals.Referral) -> str:
    return (
        f"#{r.id:<5} {r.status:<9} {r.urgency:<10} {r.area:<12} {r.worker_id or '-':<16} "
        f"{r.topic:<18} {r.created_at:%Y-%m-%d %H:%M}"
    )


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    with staff_sessions(settings.database_url).begin() as session:
        rows = (
            referrals.with_status(session, *args.status)
            if args.status
            else referrals.all_referrals(session)
        )
    print(f"{'id':<6} {'status':<9} {'urgency':<10} {'area':<12} {'worker':<16} {'topic':<18} made")
    for row in rows:
        print(_line(row))
    print(f"{len(rows)} referral{'s' if len(rows) != 1 else ''}")
    return 0


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    with staff_sessions(settings.database_url).begin() as session:
        referral = referrals.get(session, args.id)
        if referral is None:
            print(f"blether: no referral #{args.id}", file=sys.stderr)
            return 1
        events = referrals.history(session, args.id)
    print(_line(referral))
    print(f"help asked for: {referral.help_text or '-'}")
    for at, before, after, worker, note in events:
        print(
            f"  {at:%Y-%m-%d %H:%M:%S} {before or '-':>9} -> {after:<9} "
            f"{worker or '-':<16} {note or ''}"
        )
    return 0


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    since = referrals.utc_now() - dt.timedelta(weeks=args.weeks)
    with staff_sessions(settings.database_url).begin() as session:
        rows = referral_report.build(session, since)
    print(f"referrals made in the last {args.weeks} weeks, by worker and week (Europe/London)")
    for line in referral_report.render(rows):
        print(line)
    print(
        "to accept: from the offer to that worker; first reply: from Accept to the worker's "
        "first message; med = median, p90 = 90th percentile (nearest rank)"
    )
    return 0


def _change_open(
    settings: Settings, referral_id: int, status: str, note: str, worker_id: str | None = None
) -> bool:
    with staff_sessions(settings.database_url).begin() as session:
        referral = referrals.get(session, referral_id)
        if referral is None or referral.status in referrals.FINISHED:
            print(f"blether: no open referral #{referral_id}", file=sys.stderr)
            return False
        referrals.change(
            session, referral_id, status, referrals.utc_now(), worker_id=worker_id, note=note
        )
    return True


def cmd_close(args: argparse.Namespace, settings: Settings) -> int:
    if not _change_open(settings, args.id, referrals.CLOSED, "closed by staff"):
        return 1
    print(f"referral #{args.id} closed")
    return 0


def cmd_reassign(args: argparse.Namespace, settings: Settings) -> int:
    workers = {w.id for w in ContentLibrary(settings.content_dir).services().workers}
    if args.worker not in workers:
        print(f"blether: '{args.worker}' is not a worker in services.yml", file=sys.stderr)
        return 1
    if not _change_open(settings, args.id, referrals.NEW, "reassigned by staff", args.worker):
        return 1
    print(f"referral #{args.id} will be offered to {args.worker}")
    return 0


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    if args.older_than < 1:
        print("blether: --older-than must be at least 1 day", file=sys.stderr)
        return 2
    cutoff = referrals.utc_now() - dt.timedelta(days=args.older_than)
    with staff_sessions(settings.database_url).begin() as session:
        referral_rows = referrals.purge_finished(session, cutoff)
        checkin_rows = checkins.purge_ended(session, cutoff)
        # Alert deliveries keep their area and outcome (the report), not who or where.
        delivery_rows = broadcasts.purge_delivered(session, cutoff)
        # Ids of answered updates are kept a day only, and invite links never answered go
        # when they expire, whatever --older-than says.
        inbox.purge_answered(session, referrals.utc_now())
        contacts.purge_expired(session, referrals.utc_now())
    with tracker_sessionmaker(settings.tracker_url).begin() as session:
        event_rows = purge_events_before(session, cutoff.timestamp())
    print(
        f"purged {referral_rows} referral and audit rows, {checkin_rows} check-in and audit "
        f"rows, {event_rows} conversation events and the people of {delivery_rows} alert "
        f"deliveries, older than {args.older_than} days"
    )
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    refs = sub.add_parser("referrals", help="referrals to workers").add_subparsers(
        dest="referrals_command", required=True
    )
    listing = refs.add_parser("list", help="all referrals, or those with a status")
    listing.add_argument("--status", nargs="*", choices=referrals.OPEN + referrals.FINISHED)
    listing.set_defaults(run=cmd_list)
    show = refs.add_parser("show", help="one referral and its audit trail")
    show.add_argument("id", type=int)
    show.set_defaults(run=cmd_show)
    close = refs.add_parser("close", help="close an open referral")
    close.add_argument("id", type=int)
    close.set_defaults(run=cmd_close)
    reassign = refs.add_parser("reassign", help="offer an open referral to another worker")
    reassign.add_argument("id", type=int)
    reassign.add_argument("worker")
    reassign.set_defaults(run=cmd_reassign)
    report = refs.add_parser(
        "report", help="offers, accepts, times to accept and first reply, feedback, by week"
    )
    report.add_argument("--weeks", type=int, default=8, help="how far back (default 8)")
    report.set_defaults(run=cmd_report)
    purge = sub.add_parser(
        "purge",
        help="retention: erase finished referrals, check-ins, alert recipients, old conversations",
    )
    purge.add_argument("--older-than", type=int, required=True, metavar="DAYS")
    purge.set_defaults(run=cmd_purge)

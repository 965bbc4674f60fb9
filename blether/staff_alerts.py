"""Staff commands for drug alerts: `blether alerts list|publish|report`. Nobody is named.

`publish` queues one delivery per subscriber in the app database and the running Telegram
bridge sends them, at the broadcast rate, alongside its conversations; the command follows
the sending and prints the counts. Stopping the command does not stop the sending.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from blether import alerts, broadcasts
from blether.content import ContentError, ContentLibrary
from blether.content.alert_models import Alert
from blether.db import staff_sessions
from blether.referrals import utc_now
from blether.settings import Settings

# With nothing sent for this long, the bridge is probably not running.
STALLED_AFTER = 60.0


def _state(alert: Alert, today: dt.date) -> str:
    if alert.meta.status != "approved":
        return "draft"
    return "expired" if alert.meta.valid_until < today else "current"


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    library = ContentLibrary(settings.content_dir)
    today = dt.date.today()
    sessions = staff_sessions(settings.database_url)
    found = library.alerts()
    with sessions.begin() as session:
        versions = {a.meta.id: broadcasts.published_versions(session, a.meta.id) for a in found}
        subscribers = broadcasts.subscriber_counts(session)
        waiting = broadcasts.waiting(session)
    print(f"{'id':<32} {'state':<8} {'severity':<8} {'until':<10} {'published':<14} areas")
    for alert in alerts.ordered(found):
        meta, sent = alert.meta, versions.get(alert.meta.id, [])
        published = "this version" if alert.version in sent else "older version" if sent else "no"
        print(
            f"{meta.id:<32} {_state(alert, today):<8} {meta.severity:<8} "
            f"{meta.valid_until.isoformat():<10} {published:<14} {', '.join(meta.areas)}"
        )
    people = ", ".join(f"{area} {count}" for area, count in sorted(subscribers.items()))
    print(f"subscriptions by area: {people or 'none'}")
    print(f"deliveries waiting to be sent: {waiting}")
    return 0


def _find(library: ContentLibrary, alert_id: str) -> Alert | None:
    return next((a for a in library.alerts() if a.meta.id == alert_id), None)


class NotPublishable(Exception):
    """Why an alert cannot be published, in words for staff."""


def _publishable(library: ContentLibrary, alert_id: str, today: dt.date) -> Alert:
    alert = _find(library, alert_id)
    if alert is None:
        raise NotPublishable(
            f"no alert '{alert_id}' loads from content/alerts (run `blether content check`)"
        )
    if alert.meta.status != "approved":
        raise NotPublishable(
            f"'{alert_id}' is a draft: it needs status approved, approved_by and approved_on"
        )
    if alert.meta.valid_until < today:
        raise NotPublishable(f"'{alert_id}' expired on {alert.meta.valid_until.isoformat()}")
    if alert.meta.issued > today:
        raise NotPublishable(
            f"'{alert_id}' is issued on {alert.meta.issued.isoformat()}, after today"
        )
    # Between files: an area nobody can subscribe to would reach nobody, without a word.
    for problem in library.alert_problems():
        if problem.path == Path(alert.path):
            raise NotPublishable(f"'{alert_id}': {problem.field}: {problem.message}")
    return alert


def cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    library = ContentLibrary(settings.content_dir)
    try:
        alert = _publishable(library, args.id, dt.date.today())
        texts = library.alert_texts()
    except NotPublishable as error:
        print(f"blether: {error}", file=sys.stderr)
        return 1
    except ContentError as error:
        print(f"blether: content/alerts.yml cannot be loaded: {error}", file=sys.stderr)
        return 1
    sessions = staff_sessions(settings.database_url)
    with sessions.begin() as session:
        published = broadcasts.publish(
            session,
            alert.meta.id,
            alert.version,
            alert.meta.areas,
            lambda updated: alerts.for_subscribers(alert, texts, updated=updated),
            utc_now(),
        )
    if published.already:
        print(f"this version of '{args.id}' was published before: nothing new is sent")
        _print_reports(settings, args.id)
        return 0
    kind = "updated alert" if published.updated else "alert"
    print(f"{kind} '{args.id}' queued for {published.queued} subscribers")
    if args.no_wait or not published.queued:
        return 0
    return _follow(sessions, args.id, published.broadcast_id)


def _progress(sessions, alert_id: str, broadcast_id: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with sessions.begin() as session:
        for found in broadcasts.report(session, alert_id):
            if found.broadcast_id == broadcast_id:
                return found.states
    return {}


def _follow(sessions, alert_id: str, broadcast_id: int) -> int:  # type: ignore[no-untyped-def]
    """Print progress until every delivery is final; the bridge does the sending."""
    print("the Telegram bridge is sending (Ctrl-C stops following, not sending)")
    last, last_change, shown = None, time.monotonic(), 0.0
    while True:
        states = _progress(sessions, alert_id, broadcast_id)
        left = states.get(broadcasts.QUEUED, 0) + states.get(broadcasts.SENDING, 0)
        if states != last:
            last, last_change = states, time.monotonic()
        if not left:
            print(_counts(states))
            return 0
        if time.monotonic() - shown >= 5:
            print(f"  {_counts(states)}, {left} to go")
            shown = time.monotonic()
        if time.monotonic() - last_change > STALLED_AFTER:
            print(
                f"nothing sent for {STALLED_AFTER:.0f} s: is the Telegram bridge running? "
                "(`blether doctor`). The deliveries stay queued and go when it runs.",
                file=sys.stderr,
            )
            return 3
        time.sleep(0.5)


def _counts(states: dict[str, int]) -> str:
    return ", ".join(
        f"{states.get(state, 0)} {state}"
        for state in (broadcasts.SENT, broadcasts.FAILED, broadcasts.BLOCKED)
    )


def _print_reports(settings: Settings, alert_id: str) -> bool:
    with staff_sessions(settings.database_url).begin() as session:
        found = broadcasts.report(session, alert_id)
    for number, item in enumerate(found, 1):
        kind = "update" if item.updated else "first"
        total = sum(item.states.values())
        print(
            f"version {number} ({kind}, {item.version}) published "
            f"{item.created_at:%Y-%m-%d %H:%M}: {total} subscribers: {_counts(item.states)}"
            f", {item.states.get(broadcasts.QUEUED, 0) + item.states.get(broadcasts.SENDING, 0)}"
            " waiting"
        )
        for area, states in sorted(item.by_area.items()):
            print(f"  {area:<16} {_counts(states)}")
    return bool(found)


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    if not _print_reports(settings, args.id):
        print(f"blether: '{args.id}' has not been published", file=sys.stderr)
        return 1
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("alerts", help="drug alerts: list, publish, report").add_subparsers(
        dest="alerts_command", required=True
    )
    group.add_parser(
        "list", help="every alert file, its state, and subscriptions by area"
    ).set_defaults(run=cmd_list)
    publish = group.add_parser(
        "publish", help="send an approved, current alert to its areas' subscribers, once"
    )
    publish.add_argument("id")
    publish.add_argument(
        "--no-wait", action="store_true", help="queue it and return; the bridge still sends it"
    )
    publish.set_defaults(run=cmd_publish)
    report = group.add_parser("report", help="delivered, failed and blocked, by area")
    report.add_argument("id")
    report.set_defaults(run=cmd_report)

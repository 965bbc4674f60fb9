"""Which drug alerts a person sees, and how an alert reads. No Telegram, no Rasa, no database.

Only approved alerts that have not expired are shown, most severe first, newest first within
a severity. A person who named substances sees the alerts about them; one who named an area
sees that area's alerts and those for all Scotland.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from blether.content.alert_models import ALL_SCOTLAND, SEVERITIES, Alert, AlertTexts
from blether.content.models import fill

# Shown before the answer itself when a person names a substance: the rest are counted.
IN_ANSWER = 2
# Shown when a person asks what is going about.
ON_REQUEST = 3


def ordered(alerts: Iterable[Alert]) -> list[Alert]:
    """Most severe first, then the newest."""
    return sorted(
        alerts,
        key=lambda a: (SEVERITIES.index(a.meta.severity), -a.meta.issued.toordinal(), a.meta.id),
    )


def covers(alert: Alert, area: str) -> bool:
    """An alert for all Scotland covers every area; "Scotland" as the area asked for means
    every alert."""
    wanted = area.lower()
    areas = {a.lower() for a in alert.meta.areas}
    return wanted == ALL_SCOTLAND.lower() or wanted in areas or ALL_SCOTLAND.lower() in areas


def about(alert: Alert, substances: Iterable[str]) -> bool:
    names = {s.lower() for s in alert.meta.substances}
    return any(s.lower() in names for s in substances)


def current(
    alerts: Iterable[Alert],
    today: dt.date,
    substances: Iterable[str] = (),
    area: str | None = None,
) -> list[Alert]:
    """The alerts to show: current ones, for those substances and that area when given."""
    named = list(substances)
    shown = [a for a in alerts if a.current(today)]
    if named:
        shown = [a for a in shown if about(a, named)]
    if area:
        shown = [a for a in shown if covers(a, area)]
    return ordered(shown)


def area_in(text: str, areas: Iterable[str]) -> str | None:
    """An area named in a message ("any alerts in glasgow"), longest name first."""
    lowered = text.lower()
    for area in sorted({*areas, ALL_SCOTLAND}, key=len, reverse=True):
        if re.search(rf"\b{re.escape(area.lower())}\b", lowered):
            return area
    return None


def areas_text(areas: Iterable[str], texts: AlertTexts) -> str:
    return ", ".join(texts.all_scotland if a == ALL_SCOTLAND else a for a in areas)


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def render(alert: Alert, texts: AlertTexts, *, updated: bool = False) -> str:
    """One message: heading, title, body, then dates, source and what to do in an emergency."""
    meta = alert.meta
    heading = fill(
        texts.heading,
        severity=texts.severity_labels[meta.severity],
        areas=areas_text(meta.areas, texts),
    )
    if updated:
        heading = f"{texts.updated}: {heading}"
    footer = fill(
        texts.footer,
        valid_until=long_date(meta.valid_until),
        source=meta.source.title,
        url=meta.source.url,
    )
    # No blank lines: Rasa's REST channel cuts a reply at every one, and an alert is read as
    # one message (the footer's 999 must never arrive apart from it).
    body = re.sub(r"\n\s*\n", "\n", alert.body)
    return f"{heading}\n{meta.title}\n{body}\n{footer}"


def for_subscribers(alert: Alert, texts: AlertTexts, *, updated: bool = False) -> str:
    """As sent to subscribers: the alert, then why they get it and how to stop."""
    return f"{render(alert, texts, updated=updated)}\n{texts.sent_footer}"

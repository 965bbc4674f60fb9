"""Recording which advice version answered, and reporting it for review sign-off."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from blether.tables import served_answers


def record_served(session: Session, topic: str, version: str, day: dt.date) -> None:
    """Add one to today's count for this topic and version (the version names every file used)."""
    table = served_answers
    key = (table.c.served_on == day) & (table.c.topic == topic) & (table.c.version == version)
    updated = session.execute(sa.update(table).where(key).values(count=table.c.count + 1))
    if updated.rowcount == 0:
        session.execute(
            sa.insert(table).values(served_on=day, topic=topic, version=version, count=1)
        )


@dataclass(frozen=True)
class ServedCount:
    topic: str
    version: str
    count: int
    first: dt.date
    last: dt.date


def served_since(session: Session, since: dt.date) -> list[ServedCount]:
    table = served_answers
    query = (
        sa.select(
            table.c.topic,
            table.c.version,
            sa.func.sum(table.c.count),
            sa.func.min(table.c.served_on),
            sa.func.max(table.c.served_on),
        )
        .where(table.c.served_on >= since)
        .group_by(table.c.topic, table.c.version)
        .order_by(table.c.topic, sa.func.min(table.c.served_on))
    )
    return [
        ServedCount(t, v, int(n), first, last) for t, v, n, first, last in session.execute(query)
    ]


def render_served(rows: list[ServedCount], since: dt.date) -> str:
    if not rows:
        return f"no answers served since {since.isoformat()}"
    lines = [f"answers served since {since.isoformat()}:"]
    totals: dict[str, int] = {}
    for row in rows:
        totals[row.topic] = totals.get(row.topic, 0) + row.count
    for topic in sorted(totals):
        lines.append(f"{topic}: {totals[topic]}")
        for row in (r for r in rows if r.topic == topic):
            lines.append(f"  {row.version}: {row.count} ({row.first} to {row.last})")
    return "\n".join(lines)

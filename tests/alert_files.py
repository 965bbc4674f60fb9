"""Writing drug alert files into a test's content folder, the way an editor would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path


def write_alert(
    content: Path,
    alert_id: str,
    *,
    areas: str = "[Glasgow]",
    substances: str = "[street benzos, nitazenes]",
    severity: str = "high",
    issued: dt.date = dt.date(2026, 11, 1),
    valid_until: dt.date | None = None,
    approved: bool = True,
    title: str = "Strong blues with nitazenes",
    body: str = "Blues tested this week held nitazenes. Try a small bit first.",
) -> Path:
    until = valid_until or dt.date.today() + dt.timedelta(days=30)
    governance = (
        "status: approved\napproved_by: Dr Test Reviewer\napproved_on: 2026-11-01"
        if approved
        else "status: draft\napproved_by: null\napproved_on: null"
    )
    path = content / "alerts" / f"{alert_id}.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        f"---\nid: {alert_id}\ntitle: {title}\nareas: {areas}\nsubstances: {substances}\n"
        f"severity: {severity}\nissued: {issued.isoformat()}\nvalid_until: {until.isoformat()}\n"
        "source:\n  title: 'Public Health Scotland: RADAR alert'\n"
        "  url: https://www.publichealthscotland.scot/radar\n"
        f"{governance}\n---\n{body}\n"
    )
    return path

"""Drug alerts as content: `content/alerts/<id>.md` and the words around them, `alerts.yml`.

An alert is front matter (what, where, which substances, how serious, from when until when,
the source, who approved it) and a short Markdown body. Only approved alerts that have not
expired are ever shown or sent; the version (a hash of the file) tells a first publish from
an update.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, Field, root_validator, validator

from blether.content.models import ServicesFile, Source, Strict

Severity = Literal["high", "medium", "low"]
# Most severe first: the order alerts are shown in.
SEVERITIES: tuple[Severity, ...] = ("high", "medium", "low")
# Areas an alert or a subscription may name besides the local ones in services.yml.
ALL_SCOTLAND = "Scotland"
BODY_LIMIT = 1200


class AlertFile(Strict):
    id: str = Field(..., regex=r"^[a-z0-9][a-z0-9-]{1,60}$")
    title: str = Field(..., min_length=1, max_length=100)
    # Local areas from services.yml, or "Scotland" for everyone (checked between files).
    areas: list[str] = Field(..., min_items=1)
    # Names (the `name` field) from substances.yml; checked between files.
    substances: list[str] = []
    severity: Severity
    issued: dt.date
    valid_until: dt.date
    source: Source
    status: Literal["draft", "approved"]
    approved_by: str | None = None
    approved_on: dt.date | None = None

    @root_validator(skip_on_failure=True)
    def _governance(cls, values: dict) -> dict:  # noqa: N805 - pydantic validators take cls
        if values["valid_until"] < values["issued"]:
            raise ValueError("valid_until is before issued")
        if values["status"] == "approved" and not (
            values.get("approved_by") and values.get("approved_on")
        ):
            raise ValueError("status approved needs approved_by and approved_on")
        return values


class Alert(BaseModel):
    """A validated alert file."""

    meta: AlertFile
    body: str
    path: str
    version: str

    class Config:
        allow_mutation = False

    def current(self, today: dt.date) -> bool:
        """Approved and not past its date: the only alerts people see."""
        return self.meta.status == "approved" and today <= self.meta.valid_until


class AlertTexts(Strict):
    """What Blether says around alerts. Placeholders in {braces} are filled in."""

    severity_labels: dict[Severity, str]
    # First line of every alert: {severity} and {areas}.
    heading: str
    # Put before the heading of an alert sent again after an edit.
    updated: str = Field(..., max_length=30)
    # Last lines of every alert: {valid_until}, {source}, {url}. Must carry 999.
    footer: str
    # For "anything going about": when no current alert matches ({where} says for what).
    none_current: str
    more: str
    anywhere: str
    # /alerts: the subscription menu.
    menu: str
    subscribed_to: str
    not_subscribed: str
    all_scotland: str = Field(..., max_length=30)
    stop_all: str = Field(..., max_length=30)
    done: str = Field(..., max_length=30)
    subscribed: str
    unsubscribed: str
    stopped_all: str
    subscribe_button: str = Field(..., max_length=30)
    # Under an alert sent to subscribers.
    sent_footer: str

    @validator("severity_labels")
    def _every_severity(cls, labels: dict[str, str]) -> dict[str, str]:  # noqa: N805
        missing = [s for s in SEVERITIES if s not in labels]
        if missing:
            raise ValueError(f"no label for {', '.join(missing)}")
        return labels

    @validator("footer")
    def _emergency_number(cls, text: str) -> str:  # noqa: N805
        if "999" not in text:
            raise ValueError("must contain 999: an alert may be the only message someone reads")
        return text

    @root_validator(skip_on_failure=True)
    def _placeholders(cls, values: dict) -> dict:  # noqa: N805
        for field, text in values.items():
            allowed = PLACEHOLDERS.get(field, set())
            for piece in text.values() if isinstance(text, dict) else [text]:
                unknown = set(re.findall(r"\{([^}]*)\}", piece)) - allowed
                if unknown:
                    known = ", ".join(f"{{{name}}}" for name in sorted(allowed)) or "none"
                    raise ValueError(
                        f"{field}: unknown placeholder {{{sorted(unknown)[0]}}} (here: {known})"
                    )
        return values


# The placeholders each text of alerts.yml may use; any other is an error.
PLACEHOLDERS: dict[str, set[str]] = {
    "heading": {"severity", "areas"},
    "footer": {"valid_until", "source", "url"},
    "none_current": {"where"},
    "more": {"count"},
    "subscribed_to": {"areas"},
    "subscribed": {"area"},
    "unsubscribed": {"area"},
}


def local_areas(services: ServicesFile) -> list[str]:
    """The areas people may pick for alerts: those of local services and of workers, in file
    order, without "Scotland" (offered on its own as "all Scotland")."""
    seen: dict[str, str] = {}
    for service in services.services:
        if service.scope == "local":
            seen.setdefault(service.area.lower(), service.area)
    for worker in services.workers:
        for area in worker.areas:
            seen.setdefault(area.lower(), area)
    seen.pop(ALL_SCOTLAND.lower(), None)
    return list(seen.values())

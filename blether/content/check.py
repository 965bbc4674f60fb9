"""`blether content check`: every problem in the content folder, with file, line and field."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import textstat

from blether.content.errors import ContentError, Problem
from blether.content.library import ContentLibrary
from blether.content.locate import line_of
from blether.content.models import Source
from blether.preview import render_topic
from blether.topics import ADVICE_TOPICS

REVIEW_WARNING_DAYS = 30
MAX_READING_GRADE = 6.0
TELEGRAM_BUTTON_BYTES = 64
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Words telling a reader that someone checked the advice: untrue while the file is a draft.
REVIEW_CLAIM = re.compile(
    r"\b(?:checked|reviewed|approved|signed[- ]off|vetted|verified|written)\s+by\b"
    r"|\b(?:clinically|medically|professionally)\s+(?:checked|reviewed|approved)\b"
    r"|\b(?:clinician|doctor|expert)[- ](?:checked|reviewed|approved)\b",
    re.IGNORECASE,
)
# US spellings an editor may slip into; UK English is the house style.
US_SPELLINGS = {
    "color": "colour",
    "behavior": "behaviour",
    "center": "centre",
    "counseling": "counselling",
    "organize": "organise",
    "realize": "realise",
    "recognize": "recognise",
    "apologize": "apologise",
    "favor": "favour",
    "favorite": "favourite",
    "neighbor": "neighbour",
    "license": "licence",
    "labor": "labour",
    "anemia": "anaemia",
    "anesthetic": "anaesthetic",
    "pediatric": "paediatric",
    "analyze": "analyse",
    "emphasize": "emphasise",
    "gray": "grey",
    "fiber": "fibre",
    "mom": "mum",
}


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" or "warning"
    path: Path
    line: int | None
    field: str
    message: str

    def render(self, root: Path) -> str:
        try:
            name = self.path.relative_to(root.parent)
        except ValueError:
            name = self.path
        where = f"{name}:{self.line}" if self.line else str(name)
        field = f" [{self.field}]" if self.field else ""
        return f"{self.severity}: {where}{field}: {self.message}"


def _line(path: Path, field: str) -> int | None:
    if field.startswith("line "):
        return int(field.split()[1])
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return None
    return line_of(text, field) if field else None


def _errors(problems: list[Problem]) -> list[Finding]:
    def where(problem: Problem) -> str:
        # A missing field has no line of its own: point at the entry that lacks it.
        if problem.message == "field required":
            return problem.field.rpartition(".")[0]
        return problem.field

    return [Finding("error", p.path, _line(p.path, where(p)), p.field, p.message) for p in problems]


def _telegram_problems(library: ContentLibrary, topic_id: str, path: Path) -> list[Finding]:
    found: list[Finding] = []
    try:
        messages = render_topic(library, topic_id)
    except ContentError:
        return found  # a data file it needs is broken, and that is reported on its own
    for number, message in enumerate(messages, 1):
        if not message.text.strip():
            found.append(Finding("error", path, None, "body", f"message {number} would be empty"))
        if _CONTROL.search(message.text):
            found.append(
                Finding(
                    "error",
                    path,
                    None,
                    "body",
                    f"message {number} has a control character Telegram rejects",
                )
            )
        for button in message.buttons:
            if len(button.payload.encode()) > TELEGRAM_BUTTON_BYTES:
                found.append(
                    Finding(
                        "error",
                        path,
                        None,
                        "follow_ups",
                        f"button '{button.title}' is over 64 bytes",
                    )
                )
    return found


def _spelling(path: Path, text: str) -> list[Finding]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for word in re.findall(r"[A-Za-z']+", line):
            uk = US_SPELLINGS.get(word.lower())
            if uk:
                found.append(
                    Finding("warning", path, number, "", f"US spelling '{word}': use '{uk}'")
                )
    return found


def _expired_sources(
    path: Path, sources: list[tuple[str, Source]], today: dt.date
) -> list[Finding]:
    """A time-limited source (a drug alert, say) past its date may no longer hold.

    `sources` pairs each source with its field path ("sources.0", "services.3.source").
    """
    found = []
    for where, source in sources:
        if source.valid_until is not None and source.valid_until < today:
            field = f"{where}.valid_until"
            found.append(
                Finding(
                    "warning",
                    path,
                    _line(path, field),
                    field,
                    f"source '{source.title}' was valid until {source.valid_until.isoformat()}:"
                    " check it still holds, or replace it",
                )
            )
    return found


def _numbered(sources: list[Source]) -> list[tuple[str, Source]]:
    return [(f"sources.{number}", source) for number, source in enumerate(sources)]


def _review_claims(path: Path, status: str, readable: str) -> list[Finding]:
    """A draft must not tell people it was checked: that is for approved files only."""
    if status != "draft":
        return []
    found = []
    lines = path.read_text(errors="replace").splitlines()
    for claim in sorted({m.group(0) for m in REVIEW_CLAIM.finditer(readable)}):
        line = next((n for n, text in enumerate(lines, 1) if claim in text), None)
        found.append(
            Finding(
                "warning",
                path,
                line,
                "status",
                f"says '{claim}' but the file is not approved by a named reviewer yet",
            )
        )
    return found


def _data_file_warnings(library: ContentLibrary, today: dt.date) -> list[Finding]:
    """Sources and review claims in the data files people read: mixing notes and services."""
    found: list[Finding] = []
    try:
        combos = library.combinations()
    except ContentError:
        pass  # reported as an error already
    else:
        path = library.root / "combinations.yml"
        readable = "\n".join([combos.unknown_note, *(p.note for p in combos.pairs)])
        found += _expired_sources(path, _numbered(combos.sources), today)
        found += _review_claims(path, combos.status, readable)
    found += _worker_reply_warnings(library, today)
    try:
        services = library.services().services
    except ContentError:
        return found
    cited = [(f"services.{n}.source", s.source) for n, s in enumerate(services) if s.source]
    return found + _expired_sources(library.root / "services.yml", cited, today)


def _worker_reply_warnings(library: ContentLibrary, today: dt.date) -> list[Finding]:
    """Saved replies reach people in a worker's name: held to the advice files' standard."""
    try:
        replies = library.worker_replies()
    except ContentError:
        return []  # reported as an error already
    path = library.root / "worker_replies.yml"
    found = []
    if replies.status == "draft":
        found.append(_warning(path, "status", "draft: not yet approved by a named reviewer"))
    readable = "\n".join(r.text for r in replies.replies)
    cited = [
        (f"replies.{n}.sources.{m}", source)
        for n, reply in enumerate(replies.replies)
        for m, source in enumerate(reply.sources)
    ]
    found += _expired_sources(path, cited, today)
    found += _review_claims(path, replies.status, readable)
    lines = path.read_text(errors="replace").splitlines()
    for reply in replies.replies:
        grade = textstat.flesch_kincaid_grade(reply.text)
        if grade > MAX_READING_GRADE:
            line = next((n for n, t in enumerate(lines, 1) if f"name: {reply.name}" in t), None)
            message = f"'{reply.name}': reading grade {grade:.1f} is above {MAX_READING_GRADE:.0f}"
            found.append(Finding("warning", path, line, "replies", message))
    return found


def _warning(path: Path, field: str, message: str) -> Finding:
    """A warning about one field, pointing at its line."""
    return Finding("warning", path, _line(path, field), field, message)


def _topic_warnings(library: ContentLibrary, topic_id: str, today: dt.date) -> list[Finding]:
    topic = library.topic(topic_id)
    path = Path(topic.path)
    meta = topic.meta
    found = []
    if meta.status == "draft":
        found.append(_warning(path, "status", "draft: not yet approved by a named reviewer"))
    days = (meta.review_due - today).days
    due = (
        f"review was due {-days} days ago"
        if days < 0
        else f"review due in {days} days"
        if days <= REVIEW_WARNING_DAYS
        else None
    )
    if due:
        found.append(Finding("warning", path, _line(path, "review_due"), "review_due", due))
    grade = textstat.flesch_kincaid_grade(f"{meta.summary}\n{topic.body}")
    if grade > MAX_READING_GRADE:
        found.append(
            Finding(
                "warning",
                path,
                None,
                "body",
                f"reading grade {grade:.1f} is above {MAX_READING_GRADE:.0f}",
            )
        )
    found += _expired_sources(path, _numbered(meta.sources), today)
    found += _review_claims(path, meta.status, f"{meta.summary}\n{topic.body}")
    found += _spelling(path, path.read_text(errors="replace"))
    return found


def _alert_warnings(library: ContentLibrary, today: dt.date) -> list[Finding]:
    """Drafts are never shown and expired alerts no longer are: say so, so nobody waits."""
    found = []
    for alert in library.alerts():
        path, meta = Path(alert.path), alert.meta
        if meta.status == "draft":
            found.append(
                _warning(
                    path, "status", "draft: not shown or sent until approved by a named person"
                )
            )
        if meta.valid_until < today:
            found.append(
                _warning(
                    path,
                    "valid_until",
                    f"expired on {meta.valid_until.isoformat()}: no longer shown or sent; "
                    "delete the file or give a new valid_until",
                )
            )
        found += _review_claims(path, meta.status, alert.body)
        found += _spelling(path, path.read_text(errors="replace"))
    return found


def check_folder(root: Path, today: dt.date | None = None) -> list[Finding]:
    """Errors (file cannot be served as it is) and warnings (governance and style)."""
    today = today or dt.date.today()
    library = ContentLibrary(root)
    findings = _errors(library.check())
    broken = {f.path for f in findings}
    for topic_id in ADVICE_TOPICS:
        path = library.topic_path(topic_id)
        if path in broken:
            continue
        findings += _telegram_problems(library, topic_id, path)
        findings += _topic_warnings(library, topic_id, today)
    return findings + _data_file_warnings(library, today) + _alert_warnings(library, today)


def render_report(findings: list[Finding], root: Path) -> str:
    order = sorted(findings, key=lambda f: (f.severity != "error", str(f.path), f.line or 0))
    lines = [f.render(root) for f in order]
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    lines.append(
        f"{errors} error{'s' if errors != 1 else ''}, "
        f"{warnings} warning{'s' if warnings != 1 else ''} in {root}"
    )
    return "\n".join(lines)

"""`blether content diff`: which topics' served text changed since a git revision."""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from blether.content.errors import ContentError
from blether.content.library import ContentLibrary
from blether.preview import render_text, render_topic
from blether.topics import ADVICE_TOPICS

DATA_FILES = (
    "substances.yml",
    "safety.yml",
    "combinations.yml",
    "services.yml",
    "menu.yml",
    "bridge.yml",
)


class RevisionError(Exception):
    pass


@dataclass(frozen=True)
class TopicChange:
    topic: str
    before: str
    after: str


def _served(library: ContentLibrary, topic_id: str) -> str:
    try:
        return render_text(render_topic(library, topic_id))
    except ContentError as error:
        return f"(cannot be served: {error})"


def content_at(content_dir: Path, revision: str, target: Path) -> Path:
    """Extract the content folder as it was at `revision` into `target`."""
    content_dir = content_dir.resolve()
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=content_dir,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        relative = content_dir.relative_to(Path(top).resolve())
        archive = subprocess.run(
            ["git", "archive", "--format=tar", revision, str(relative)],
            cwd=top,
            check=True,
            capture_output=True,
        ).stdout
    except (subprocess.CalledProcessError, ValueError, FileNotFoundError) as error:
        raise RevisionError(f"cannot read {content_dir} at {revision!r} from git") from error
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target)  # noqa: S202 - our own repository's archive
    return target / relative


def changed_topics(before: ContentLibrary, after: ContentLibrary) -> list[TopicChange]:
    changes = []
    for topic_id in ADVICE_TOPICS:
        old, new = _served(before, topic_id), _served(after, topic_id)
        if old != new:
            changes.append(TopicChange(topic_id, old, new))
    return changes


def changed_data_files(before: Path, after: Path) -> list[str]:
    def read(path: Path) -> bytes | None:
        return path.read_bytes() if path.exists() else None

    return [name for name in DATA_FILES if read(before / name) != read(after / name)]


def diff_since(content_dir: Path, revision: str) -> tuple[list[TopicChange], list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        then = content_at(content_dir, revision, Path(tmp))
        topics = changed_topics(ContentLibrary(then), ContentLibrary(content_dir))
        return topics, changed_data_files(then, content_dir)


def render_diff(
    topics: list[TopicChange], files: list[str], revision: str, show_text: bool = False
) -> str:
    import difflib

    if not topics and not files:
        return f"no served text changed since {revision}"
    lines = [f"changed since {revision}:"]
    for change in topics:
        lines.append(f"  topic {change.topic}")
        if show_text:
            for line in difflib.unified_diff(
                change.before.splitlines(),
                change.after.splitlines(),
                "before",
                "after",
                lineterm="",
            ):
                lines.append(f"    {line}")
    lines += [f"  file {name}" for name in files]
    return "\n".join(lines)

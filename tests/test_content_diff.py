"""`blether content diff` against a real git repository under tmp_path."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from blether.cli import main
from blether.content.diff import RevisionError, diff_since
from tests.conftest import ROOT, rewrite


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "content", tmp_path / "content")
    git(tmp_path, "init", "-q")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "content")
    return tmp_path


def test_no_change(repo: Path) -> None:
    assert diff_since(repo / "content", "HEAD") == ([], [])


def test_changed_topics_and_files_are_listed(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    content = repo / "content"
    rewrite(
        content / "topics" / "naloxone.md", "Anyone can carry it", "Anyone can carry and use it"
    )
    rewrite(content / "topics" / "privacy.md", "title: Your privacy", "title: Privacy")
    rewrite(
        content / "services.yml", "Free, confidential drug information", "Free drug information"
    )
    topics, files = diff_since(content, "HEAD")
    # privacy's new title changes the buttons of every topic that offers it as a follow-up,
    # request_human included: its file is what a person who declines a referral reads
    changed = {t.topic for t in topics}
    assert {"naloxone", "request_human", "find_service", "bot_challenge"} <= changed
    assert "privacy" not in changed  # its own text is the same; only buttons elsewhere changed
    assert files == ["services.yml"]
    monkeypatch.setenv("BLETHER_CONTENT_DIR", str(content))
    assert main(["content", "diff", "HEAD", "--text"]) == 0
    out = capsys.readouterr().out
    assert "  topic naloxone" in out and "  file services.yml" in out
    assert "Anyone can carry and use it" in out.split("  topic naloxone")[1]


def test_unknown_revision(repo: Path) -> None:
    with pytest.raises(RevisionError):
        diff_since(repo / "content", "no-such-revision")

from __future__ import annotations

from pathlib import Path

import pytest

from blether.cli import main
from blether.content import ContentLibrary
from blether.preview import render_text, render_topic


def test_preview_shows_messages_buttons_and_named_substances(
    content_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BLETHER_CONTENT_DIR", str(content_dir))
    assert main(["content", "preview", "couse_opioids", "--substances", "blues,methadone"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("--- message 1 (")
    assert "Dangerous mix: blues (street benzos) + methadone." in out
    assert "[Naloxone]  [Staying safer]  [Getting treatment]" in out


def test_preview_splits_and_escapes_like_the_bridge(content_dir: Path) -> None:
    path = content_dir / "topics" / "naloxone.md"
    path.write_text(
        path.read_text() + "\n" + "\n\n".join(["<b>Tom & Jerry</b> said hi. " * 30] * 12)
    )
    messages = render_topic(ContentLibrary(content_dir), "naloxone")
    assert len(messages) > 3 and all(len(m.text) <= 4096 for m in messages)
    assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in messages[-1].html
    assert messages[-1].buttons and not messages[-2].buttons
    assert "message 3" in render_text(messages)


def test_preview_of_an_unknown_topic(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["content", "preview", "cooking"]) == 2
    assert "not an advice topic" in capsys.readouterr().err


def test_preview_of_asking_for_a_person_shows_what_a_decline_reads(
    content_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BLETHER_CONTENT_DIR", str(content_dir))
    assert main(["content", "preview", "request_human"]) == 0
    out = capsys.readouterr().out
    consent, declined = out.split("=== if they say no to being contacted:")
    assert "[Yes, pass it on]  [No thanks]" in consent
    assert "Drug services in Scotland should be able to see you the same day" in declined
    assert "[Privacy]" not in declined and "[Your privacy]" in declined

"""The content library on a real folder: valid files, broken files, and hot reload."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from blether.content import ContentError, ContentLibrary
from blether.topics import ADVICE_TOPICS
from tests.conftest import ROOT, rewrite


def touch_later(path: Path) -> None:
    # Some file systems keep coarse timestamps; make the change unmistakable.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_the_shipped_content_has_no_problems() -> None:
    assert ContentLibrary(ROOT / "content").check() == []


def test_every_advice_topic_has_a_file_with_sources(library: ContentLibrary) -> None:
    for topic_id in ADVICE_TOPICS:
        topic = library.topic(topic_id)
        assert topic.meta.id == topic_id
        assert topic.meta.sources and all(s.url.startswith("https://") for s in topic.meta.sources)
        assert len(topic.meta.summary) <= 300
        assert topic.meta.status == "draft" or topic.meta.reviewed_by


def test_emergency_and_crisis_cards_carry_the_numbers(library: ContentLibrary) -> None:
    card = library.topic("emergency_overdose")
    text = f"{card.meta.summary} {card.body}"
    assert card.meta.single_message
    for needed in (
        "999",
        "ambulance",
        "recovery position",
        "CPR",
        "naloxone",
        "does not reverse benzos",
    ):
        assert needed in text
    crisis = library.topic("crisis_self_harm")
    text = f"{crisis.meta.summary} {crisis.body}"
    for number in ("999", "116 123", "0800 83 85 87", "111"):
        assert number in text


def test_version_is_a_hash_of_the_file(library: ContentLibrary, content_dir: Path) -> None:
    before = library.topic("withdrawal").version
    rewrite(content_dir / "topics" / "withdrawal.md", "Common withdrawal signs", "Signs")
    touch_later(content_dir / "topics" / "withdrawal.md")
    assert library.topic("withdrawal").version != before


def test_an_edit_is_served_without_restart(library: ContentLibrary, content_dir: Path) -> None:
    assert "fits" in library.topic("withdrawal").meta.summary
    path = content_dir / "topics" / "withdrawal.md"
    rewrite(path, "It can cause fits (seizures).", "It can cause fits (seizures). Edited.")
    touch_later(path)
    assert "Edited." in library.topic("withdrawal").meta.summary


def test_a_broken_edit_keeps_the_last_good_version(
    library: ContentLibrary, content_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = library.topic("withdrawal")
    path = content_dir / "topics" / "withdrawal.md"
    rewrite(path, "status: draft", "status: finished")
    touch_later(path)
    with caplog.at_level(logging.ERROR):
        served = library.topic("withdrawal")
    assert served == good
    assert any("withdrawal.md: status" in r.getMessage() for r in caplog.records)


def test_a_file_that_never_loaded_raises_with_path_and_field(content_dir: Path) -> None:
    path = content_dir / "topics" / "naloxone.md"
    rewrite(path, "title: Naloxone", "titel: Naloxone")
    with pytest.raises(ContentError) as raised:
        ContentLibrary(content_dir).topic("naloxone")
    fields = {(p.path.name, p.field) for p in raised.value.problems}
    assert ("naloxone.md", "title") in fields and ("naloxone.md", "titel") in fields


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("summary: >-", "summary: >-\n  " + "x" * 301 + "\n ", "summary"),
        ("url: https://www.nhs.uk/medicines/diazepam/", "url: http://nhs.uk", "sources.1.url"),
        ("follow_ups: [reduce_stop", "follow_ups: [cooking", "follow_ups.0"),
        ("id: withdrawal", "id: naloxone", "id"),
        ("status: draft", "status: approved", ""),
        ("review_due: 2027-05-23", "review_due: someday", "review_due"),
    ],
)
def test_invalid_topic_fields_are_named(content_dir: Path, old: str, new: str, field: str) -> None:
    path = content_dir / "topics" / "withdrawal.md"
    rewrite(path, old, new)
    problems = ContentLibrary(content_dir).check()
    assert any(p.path == path and p.field == field for p in problems), problems


def test_yaml_syntax_errors_give_a_line(content_dir: Path) -> None:
    path = content_dir / "topics" / "withdrawal.md"
    rewrite(
        path,
        "follow_ups: [reduce_stop, seizures, get_treatment, request_human]",
        "follow_ups: [oops",
    )
    problems = ContentLibrary(content_dir).check()
    assert any(p.path == path and p.field.startswith("line ") for p in problems), problems


def test_missing_front_matter_and_empty_body(content_dir: Path) -> None:
    (content_dir / "topics" / "naloxone.md").write_text("Just some text\n")
    (content_dir / "topics" / "privacy.md").write_text(
        (content_dir / "topics" / "privacy.md").read_text().split("---\n", 2)[0]
        + "---\n"
        + (content_dir / "topics" / "privacy.md").read_text().split("---\n")[1]
        + "---\n"
    )
    problems = {(p.path.name, p.field) for p in ContentLibrary(content_dir).check()}
    assert ("naloxone.md", "front matter") in problems
    assert ("privacy.md", "body") in problems


def test_a_missing_advice_file_and_its_dangling_follow_ups_are_reported(content_dir: Path) -> None:
    (content_dir / "topics" / "naloxone.md").unlink()
    problems = ContentLibrary(content_dir).check()
    messages = [str(p) for p in problems]
    assert any("naloxone.md" in m and "cannot be read" in m for m in messages)
    assert any("follow_ups" in m and "'naloxone'" in m for m in messages)
    assert any("menu.yml" in m and "'naloxone'" in m for m in messages)


def test_a_street_name_on_two_substances_is_an_error(content_dir: Path) -> None:
    rewrite(content_dir / "substances.yml", "names: [ativan,", "names: [ativan, vallies,")
    problems = ContentLibrary(content_dir).check()
    assert any("vallies" in p.message and p.field == "substances" for p in problems), problems


def test_same_class_pairs_cannot_be_unknown(content_dir: Path) -> None:
    rewrite(
        content_dir / "combinations.yml",
        "  - classes: [opioid, opioid]\n    risk: dangerous",
        "  - classes: [opioid, opioid]\n    risk: unknown",
    )
    problems = ContentLibrary(content_dir).check()
    assert any("cannot be 'unknown'" in p.message for p in problems), problems


def test_unknown_placeholder_in_a_note(content_dir: Path) -> None:
    rewrite(
        content_dir / "combinations.yml",
        "{first} and {second} add up. Two benzos",
        "{frist} and {second} add up. Two benzos",
    )
    assert any("{frist}" in p.message for p in ContentLibrary(content_dir).check())


def test_a_national_service_must_be_real_and_reachable(content_dir: Path) -> None:
    rewrite(
        content_dir / "services.yml",
        "    scope: national\n    area: Scotland\n    what: Free, confidential",
        "    scope: national\n    example: true\n    area: Scotland\n    what: Free, confidential",
    )
    assert any(
        "national services must be real" in p.message for p in ContentLibrary(content_dir).check()
    )


def test_a_file_that_is_not_utf8(content_dir: Path) -> None:
    (content_dir / "menu.yml").write_bytes(b"prompt: \xff\xfe")
    assert any("not UTF-8" in p.message for p in ContentLibrary(content_dir).check())

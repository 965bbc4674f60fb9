"""`blether content check` on real folders under tmp_path: errors with file, line and field."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from blether.cli import main
from blether.content.check import MAX_READING_GRADE, Finding, check_folder, render_report
from blether.topics import ADVICE_TOPICS
from tests.conftest import ROOT, rewrite

TODAY = dt.date(2026, 11, 23)


def errors(root: Path) -> list[Finding]:
    return [f for f in check_folder(root, TODAY) if f.severity == "error"]


def test_the_shipped_content_has_no_errors() -> None:
    assert errors(ROOT / "content") == []


def test_cli_exit_codes(
    content_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BLETHER_CONTENT_DIR", str(content_dir))
    assert main(["content", "check"]) == 0
    assert "0 errors," in capsys.readouterr().out
    rewrite(content_dir / "topics" / "naloxone.md", "title: Naloxone", "titel: Naloxone")
    assert main(["content", "check"]) == 1
    out = capsys.readouterr().out
    assert "error: content/topics/naloxone.md:3 [titel]: extra fields not permitted" in out
    assert "error: content/menu.yml:" in out and "'naloxone' has no working advice file" in out
    error_lines = [line for line in out.splitlines() if line.startswith("error:")]
    assert out.strip().splitlines()[-1].startswith(f"{len(error_lines)} errors,")


@pytest.mark.parametrize(
    ("file", "old", "new", "line", "field", "words"),
    [
        (
            "topics/withdrawal.md",
            "follow_ups: [reduce_stop",
            "follow_ups: [reduce_stop, cooking",
            7,
            "follow_ups.1",
            "not a topic id",
        ),
        (
            "topics/withdrawal.md",
            "    url: https://www.nhs.uk/medicines/diazepam/",
            "    url: www.nhs.uk",
            12,
            "sources.1.url",
            "https://",
        ),
        (
            "topics/withdrawal.md",
            "  - title: 'NHS: diazepam'",
            "  - title: ''",
            11,
            "sources.1.title",
            "at least 1",
        ),
        (
            "services.yml",
            "    hours: Monday to Saturday, 10am to 4pm\n",
            "",
            20,
            "services.1.hours",
            "field required",
        ),
        (
            "safety.yml",
            "examples: [im suicidal, im thinking about suicide]",
            "examples: [im suicidal, i feel fine]",
            None,
            "crisis_self_harm.patterns.1",
            "does not match its own example 'i feel fine'",
        ),
        (
            "substances.yml",
            "names: [ativan,",
            "names: [ativan, xanax,",
            33,
            "substances",
            "'xanax' is on both",
        ),
    ],
)
def test_errors_name_file_line_and_field(
    content_dir: Path, file: str, old: str, new: str, line: int | None, field: str, words: str
) -> None:
    rewrite(content_dir / file, old, new)
    found = [f for f in errors(content_dir) if f.path.name == Path(file).name]
    assert any(f.field == field and words in f.message for f in found), found
    if line is not None:
        assert any(f.field == field and f.line == line for f in found), found


def test_a_yaml_syntax_error_gives_its_line(content_dir: Path) -> None:
    rewrite(content_dir / "menu.yml", "topics:\n", "topics: [\n")
    [finding] = [f for f in errors(content_dir) if f.path.name == "menu.yml"]
    assert finding.line is not None and finding.line > 1 and "YAML syntax" in finding.message


def test_a_missing_advice_file_and_a_long_summary(content_dir: Path) -> None:
    (content_dir / "topics" / "drug_checking.md").unlink()
    rewrite(
        content_dir / "topics" / "naloxone.md",
        "summary: >-\n",
        "summary: >-\n  " + "word " * 70 + "\n",
    )
    found = errors(content_dir)
    assert any(f.path.name == "drug_checking.md" and "cannot be read" in f.message for f in found)
    assert any(f.path.name == "naloxone.md" and f.field == "summary" and f.line == 4 for f in found)


def test_a_message_telegram_could_not_send(content_dir: Path) -> None:
    rewrite(
        content_dir / "topics" / "naloxone.md", "Always call 999 as well.", "Always call\x07 999."
    )
    found = errors(content_dir)
    assert any(f.path.name == "naloxone.md" and "control character" in f.message for f in found)


def test_warnings_for_draft_review_dates_reading_grade_and_spelling(content_dir: Path) -> None:
    path = content_dir / "topics" / "naloxone.md"
    rewrite(path, "review_due: 2027-05-23", "review_due: 2026-12-01")
    rewrite(
        path, "It works on opioids", "Its color and behavior notwithstanding, it works on opioids"
    )
    rewrite(
        content_dir / "topics" / "privacy.md", "review_due: 2027-05-23", "review_due: 2026-01-01"
    )
    rewrite(
        content_dir / "topics" / "withdrawal.md",
        "Common withdrawal signs:",
        "Notwithstanding pharmacological considerations, discontinuation-associated "
        "neurophysiological hyperexcitability manifestations necessitate individualised "
        "multidisciplinary evaluation.",
    )
    warnings = [f for f in check_folder(content_dir, TODAY) if f.severity == "warning"]
    text = render_report(warnings, content_dir)
    assert "content/topics/naloxone.md:18 [review_due]: review due in 8 days" in text
    assert "content/topics/privacy.md:14 [review_due]: review was due 326 days ago" in text
    assert "US spelling 'color': use 'colour'" in text and "'behavior'" in text
    assert any(f.path.name == "withdrawal.md" and "reading grade" in f.message for f in warnings)
    advice_drafts = [f for f in warnings if "draft" in f.message and f.path.parent.name == "topics"]
    assert len(advice_drafts) == len(ADVICE_TOPICS)


def test_pinned_dangerous_pairs_cannot_be_lowered_without_sign_off(content_dir: Path) -> None:
    path = content_dir / "combinations.yml"
    lowered = "  - classes: [benzodiazepine, opioid]\n    risk: caution"
    rewrite(path, "  - classes: [benzodiazepine, opioid]\n    risk: dangerous", lowered)
    found = errors(content_dir)
    assert any(
        "pinned as dangerous" in f.message and f.path.name == "combinations.yml" for f in found
    )
    rewrite(
        path,
        lowered,
        lowered + "\n    risk_change:\n      reviewed_by: Dr A Reviewer\n"
        "      reviewed_on: 2026-11-20\n      reason: New evidence reviewed by the clinical lead.",
    )
    assert errors(content_dir) == []


def test_a_pinned_pair_cannot_be_deleted(content_dir: Path) -> None:
    path = content_dir / "combinations.yml"
    text = path.read_text()
    start = text.index("  - classes: [benzodiazepine, alcohol]")
    end = text.index("  - classes: [benzodiazepine, gabapentinoid]")
    path.write_text(text[:start] + text[end:])
    assert any("must be listed" in f.message for f in errors(content_dir))


def test_the_file_read_only_after_declining_a_referral_is_checked(content_dir: Path) -> None:
    rewrite(
        content_dir / "topics" / "request_human.md",
        "You don't need a GP letter.",
        "You don't need\x07 a GP letter.",
    )
    found = errors(content_dir)
    assert any(
        f.path.name == "request_human.md" and "control character" in f.message for f in found
    )


def _insert_after_first(path: Path, prefix: str, new_line: str) -> int:
    """Insert `new_line` after the first line starting with `prefix`; its 1-based line number."""
    lines = path.read_text().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith(prefix)) + 1
    path.write_text("".join(lines[:index] + [new_line + "\n"] + lines[index:]))
    return index + 1


def test_a_source_past_its_valid_until_date_is_warned(content_dir: Path) -> None:
    topic = content_dir / "topics" / "naloxone.md"
    line = _insert_after_first(topic, "    url: ", "    valid_until: 2026-11-22")
    combos = content_dir / "combinations.yml"
    combos_line = _insert_after_first(combos, "    url: ", "    valid_until: 2025-01-31")
    _insert_after_first(
        content_dir / "topics" / "withdrawal.md", "    url: ", "    valid_until: 2026-11-23"
    )
    services = content_dir / "services.yml"
    services_line = _insert_after_first(services, "      url: ", "      valid_until: 2026-06-30")
    warnings = [f for f in check_folder(content_dir, TODAY) if "was valid until" in f.message]
    assert sorted((f.path.name, f.line, f.field.split(".")[-1]) for f in warnings) == [
        ("combinations.yml", combos_line, "valid_until"),
        ("naloxone.md", line, "valid_until"),
        ("services.yml", services_line, "valid_until"),
    ]
    fields = {f.path.name: f.field for f in warnings}
    assert fields["naloxone.md"] == fields["combinations.yml"] == "sources.0.valid_until"
    assert re.fullmatch(r"services\.\d+\.source\.valid_until", fields["services.yml"])
    warnings.sort(key=lambda f: f.path.name != "naloxone.md")
    assert "was valid until 2026-11-22: check it still holds" in warnings[0].message
    assert errors(content_dir) == []


def test_a_draft_must_not_claim_it_was_reviewed(content_dir: Path) -> None:
    topic = content_dir / "topics" / "naloxone.md"
    topic.write_text(topic.read_text() + "- This advice was checked by drug workers.\n")
    line = len(topic.read_text().splitlines())
    _insert_after_first(
        content_dir / "combinations.yml", "unknown_note: ", "  Approved by clinicians."
    )
    claims = [f for f in check_folder(content_dir, TODAY) if "not approved by a named" in f.message]
    assert [(f.path.name, f.line) for f in claims][0] == ("naloxone.md", line)
    assert "'checked by'" in claims[0].message
    assert [f.path.name for f in claims] == ["naloxone.md", "combinations.yml"]
    assert "'Approved by'" in claims[1].message


def test_an_approved_file_may_say_who_reviewed_it(content_dir: Path) -> None:
    topic = content_dir / "topics" / "naloxone.md"
    text = topic.read_text().replace(
        "status: draft\nreviewed_by: null\nreviewed_on: null\n",
        "status: approved\nreviewed_by: Dr A Reviewer\nreviewed_on: 2026-11-20\n",
    )
    topic.write_text(text + "- Reviewed by Dr A Reviewer, November 2026.\n")
    assert not [
        f for f in check_folder(content_dir, TODAY) if "not approved by a named" in f.message
    ]


def test_reading_grade_above_six_is_warned() -> None:
    assert MAX_READING_GRADE == 6


def test_a_form_that_hides_a_street_name_is_an_error(content_dir: Path) -> None:
    # The lexicon reads normalised text: a form that rewrites a street name hides the drug.
    rewrite(content_dir / "language.yml", "  aw: all\n", "  aw: all\n  vallies: valleys\n")
    found = [f for f in errors(content_dir) if "'vallies'" in f.message]
    assert found and "read as 'valleys'" in found[0].message


def test_alert_files_are_checked_like_advice_and_against_the_other_files(
    content_dir: Path,
) -> None:
    from tests.alert_files import write_alert

    write_alert(content_dir, "fine")
    unapproved = write_alert(content_dir, "no-approver")
    rewrite(unapproved, "approved_by: Dr Test Reviewer", "approved_by: null")
    write_alert(content_dir, "nowhere", areas="[Atlantis]", substances="[unobtainium]")
    write_alert(content_dir, "past", valid_until=dt.date(2026, 1, 31), issued=dt.date(2026, 1, 1))
    wrong_name = write_alert(content_dir, "wrong-name")
    rewrite(wrong_name, "id: wrong-name", "id: another-name")
    found = check_folder(content_dir)
    by_file: dict[str, list[Finding]] = {}
    for finding in found:
        by_file.setdefault(finding.path.name, []).append(finding)
    assert not [f for f in by_file.get("fine.md", []) if f.severity == "error"]
    assert any("approved_by" in f.message for f in by_file["no-approver.md"])
    messages = [f.message for f in by_file["nowhere.md"] if f.severity == "error"]
    assert any("'Atlantis' is not an area" in m for m in messages)
    assert any("'unobtainium' is not a name in substances.yml" in m for m in messages)
    expired = [f for f in by_file["past.md"] if f.field == "valid_until"]
    assert (
        expired
        and expired[0].severity == "warning"
        and "expired on 2026-01-31" in expired[0].message
    )
    assert expired[0].line is not None
    assert any(f.field == "id" and f.severity == "error" for f in by_file["wrong-name.md"])


def test_alert_texts_take_only_their_own_placeholders_and_keep_999(content_dir: Path) -> None:
    texts = content_dir / "alerts.yml"
    original = texts.read_text()
    rewrite(texts, 'subscribed_to: "You get alerts for: {areas}."', 'subscribed_to: "{url}"')
    found = [f.message for f in check_folder(content_dir) if f.path.name == "alerts.yml"]
    assert "subscribed_to: unknown placeholder {url} (here: {areas})" in found
    texts.write_text(original.replace("999", "an ambulance"))
    found = [f.message for f in check_folder(content_dir) if f.path.name == "alerts.yml"]
    assert any("must contain 999" in message for message in found), found


def test_saved_worker_replies_are_checked(content_dir: Path) -> None:
    replies = content_dir / "worker_replies.yml"
    original = replies.read_text()

    def found() -> list[str]:
        return [f.message for f in errors(content_dir) if f.path.name == "worker_replies.yml"]

    assert found() == []
    rewrite(replies, "- name: safe-now", "- name: hello")
    assert any("the name 'hello' is used twice" in m for m in found()), found()
    replies.write_text(original.replace("Hi, I'm {name}.", "Hi, I'm {worker}."))
    assert any("unknown placeholder {worker}" in m for m in found()), found()
    replies.write_text(original.replace("call 999 now and put", "ring for help and put"))
    assert any("must give 999" in m for m in found()), found()
    replies.write_text(original.replace("Samaritans 116 123, any time.", "the helplines.", 1))
    assert any("must give the helplines" in m for m in found()), found()
    replies.write_text(original.replace("- name: call-back", "- name: Call Back"))
    assert any("string does not match regex" in m for m in found()), found()


def test_relayed_messages_must_carry_the_referral_number(content_dir: Path) -> None:
    rewrite(
        content_dir / "referral.yml", 'to_worker: "Referral #{id}: {text}"', 'to_worker: "{text}"'
    )
    messages = [f.message for f in errors(content_dir) if f.path.name == "referral.yml"]
    assert any("to_worker: must contain #{id}" in m for m in messages), messages

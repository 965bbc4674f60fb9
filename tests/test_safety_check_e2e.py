"""End to end: the danger check through fake Telegram, the bridge, Rasa and the action server.

To get a classifier-only, unsure safety guess whatever the safety rules and the trained model's
exact confidences are:

- BLETHER_SAFETY_CHECK_BELOW is 1.01, so every safety guess of the classifier alone is "unsure";
- the stack's safety.yml is unreadable, so only the built-in floor of plain patterns (not
  breathing, won't wake, overdosing, suicidal, ...) matches. The messages below match none of
  those, and the model reads them as a safety topic. If that changes, the first assertion of
  each test says so.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from actions.couse import mentions_from_entities
from blether.answers import referral_start
from blether.content import ContentLibrary
from blether.pseudonym import pseudonym
from blether.replies import Answer, topic_answer
from blether.safety_check import STARTS_REFERRAL, check_for, instead_answer
from blether.splitting import split_message, to_html
from tests.conftest import ROOT
from tests.fake_telegram import Sent
from tests.stack import KEY, Stack, full_stack

pytestmark = pytest.mark.model
BELOW = "1.01"
UNSURE_OVERDOSE = "hes slumped over and wont answer me"
UNSURE_OVERDOSE_WITH_DRUGS = "he's gone all floppy after methadone and blues"
UNSURE_CRISIS = "whats the point anymore"
FLOOR_RULE_MATCHED = "she is not breathing"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("check-stack")
    content = workdir / "content"
    shutil.copytree(ROOT / "content", content)
    (content / "safety.yml").write_text("emergency_overdose: [\n")  # never loads: the floor
    extra = {"BLETHER_SAFETY_CHECK_BELOW": BELOW}
    with full_stack(model_path, workdir, content, flood_limit=30, extra=extra) as stack:
        yield stack


@pytest.fixture(scope="module")
def library(stack: Stack) -> ContentLibrary:
    return ContentLibrary(stack.content)


def as_sent(answer: Answer) -> list[str]:
    """An answer's messages as the bridge sends them: split and escaped."""
    return [to_html(piece) for reply in answer.replies for piece in split_message(reply.text)]


def ask(stack: Stack, library: ContentLibrary, user: int, text: str) -> Sent:
    """Send `text`; it must get the danger check, and nothing else."""
    stack.fake.send_text(user, text)
    reply = stack.fake.wait_for(user, 1)[0]
    texts = library.bridge()
    checks = (to_html(texts.danger_check), to_html(texts.danger_check_crisis))
    assert reply.params["text"] in checks, (
        f"{text!r} no longer gets the danger check (a floor safety rule matches it, or the model "
        f"no longer reads it as a safety topic): got {reply.params['text'][:80]!r}"
    )
    assert "999" in reply.params["text"]
    return reply


def buttons(sent: Sent) -> list[tuple[str, str]]:
    rows = sent.params["reply_markup"]["inline_keyboard"]
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


def sent_after(stack: Stack, user: int, start: int, count: int) -> list[str]:
    return [s.params["text"] for s in stack.fake.wait_for(user, start + count)[start:]]


def parse_data(stack: Stack, user: int, text: str) -> dict[str, Any]:
    """What Rasa understood of `text`, as the tracker store kept it."""
    with sqlite3.connect(stack.tracker_db) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user'",
            (pseudonym(KEY.encode(), user),),
        ).fetchall()
    for (data,) in rows:
        event = json.loads(data)
        if event.get("text") == text:
            return dict(event["parse_data"])
    raise AssertionError(f"{text!r} is not in the tracker")


def expected_no(stack: Stack, library: ContentLibrary, user: int, text: str) -> list[str]:
    """What "No" must answer: the same message's best other topic, as blether decides it."""
    parse = parse_data(stack, user, text)
    assert "safety_net" not in parse
    check = check_for(parse, float(BELOW))
    assert check is not None
    if check.instead == STARTS_REFERRAL:
        return as_sent(referral_start(library))
    classes = {s.name: s.substance_class for s in library.substances().substances}
    return as_sent(
        instead_answer(library, check.instead, mentions_from_entities(check.entities, classes))
    )


def test_yes_button_gives_the_card_then_yes_starts_a_referral(
    stack: Stack, library: ContentLibrary
) -> None:
    user = 555000201
    check = ask(stack, library, user, UNSURE_OVERDOSE)
    texts = library.bridge()
    assert buttons(check) == [
        (texts.danger_check_yes, "/emergency_overdose"),
        (texts.danger_check_no, "/deny"),
    ]
    stack.fake.tap(user, check, "/emergency_overdose")
    card = as_sent(topic_answer(library, "emergency_overdose"))
    assert sent_after(stack, user, 1, len(card)) == card
    stack.fake.send_text(user, "yes")
    [consent] = sent_after(stack, user, 1 + len(card), 1)
    assert consent == to_html(library.referral().ask_consent)


def test_typed_aye_after_the_check_gives_the_card(stack: Stack, library: ContentLibrary) -> None:
    user = 555000202
    ask(stack, library, user, UNSURE_OVERDOSE)
    stack.fake.send_text(user, "aye")
    card = as_sent(topic_answer(library, "emergency_overdose"))
    assert sent_after(stack, user, 1, len(card)) == card


def test_no_button_answers_what_was_asked(stack: Stack, library: ContentLibrary) -> None:
    user = 555000203
    check = ask(stack, library, user, UNSURE_OVERDOSE_WITH_DRUGS)
    expected = expected_no(stack, library, user, UNSURE_OVERDOSE_WITH_DRUGS)
    stack.fake.tap(user, check, "/deny")
    got = sent_after(stack, user, 1, len(expected))
    assert got == expected
    assert not any("999" in t and "recovery position" in t for t in got)


def test_typed_naw_after_the_check_answers_what_was_asked(
    stack: Stack, library: ContentLibrary
) -> None:
    user = 555000204
    ask(stack, library, user, UNSURE_OVERDOSE_WITH_DRUGS)
    expected = expected_no(stack, library, user, UNSURE_OVERDOSE_WITH_DRUGS)
    stack.fake.send_text(user, "naw")
    assert sent_after(stack, user, 1, len(expected)) == expected


def test_an_unsure_crisis_guess_is_checked_and_yes_gives_crisis_support(
    stack: Stack, library: ContentLibrary
) -> None:
    user = 555000205
    check = ask(stack, library, user, UNSURE_CRISIS)
    assert buttons(check)[0][1] == "/crisis_self_harm"
    stack.fake.tap(user, check, "/crisis_self_harm")
    support = as_sent(topic_answer(library, "crisis_self_harm"))
    assert sent_after(stack, user, 1, len(support)) == support
    stack.fake.send_text(user, "naw")
    [no_worker] = sent_after(stack, user, 1 + len(support), 1)
    assert "116 123" in no_worker  # utter_no_worker_now, as after crisis support always


def test_a_rule_match_gets_the_full_card_at_once(stack: Stack, library: ContentLibrary) -> None:
    user = 555000206
    stack.fake.send_text(user, FLOOR_RULE_MATCHED)
    card = as_sent(topic_answer(library, "emergency_overdose"))
    assert sent_after(stack, user, 0, len(card)) == card

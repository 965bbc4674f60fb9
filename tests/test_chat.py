"""`blether chat`: the pure parts fast, then the real thing through a pseudo-terminal."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pexpect
import pytest
import yaml

from blether.chat import BRIDGE_BUTTONS, Console, chat_endpoints
from blether.chat_turn import Conversation, Turn
from blether.chat_view import (
    DIM,
    Choice,
    buttons_of,
    choose,
    dimmed,
    render_replies,
    wants_colour,
)
from blether.chat_working import render_working, working_from
from blether.content import ContentLibrary
from blether.rasa_client import RasaClient
from blether.replies import Button, Reply, topic_answer
from blether.safety import SafetyMatch
from tests.conftest import ROOT
from tests.stack import pid_on_port

YES, NO = Button("Yes", "/affirm"), Button("No", "/deny")

# --- choosing what goes to Rasa -----------------------------------------------------------


def test_a_number_of_a_shown_button_sends_its_payload() -> None:
    assert choose("2", [YES, NO]) == Choice("/deny", NO)
    assert choose(" 1 ", [YES, NO]) == Choice("/affirm", YES)


def test_a_title_in_any_case_sends_its_payload() -> None:
    assert choose("yes", [YES, NO]) == Choice("/affirm", YES)
    assert choose("  NO ", [YES, NO]) == Choice("/deny", NO)


def test_anything_else_goes_as_typed() -> None:
    # Free typing always works: a question, a number no button has, or no buttons at all.
    assert choose("is it safe wae methadone", [YES, NO]) == Choice("is it safe wae methadone")
    assert choose("45", [Button("10 minutes", "/x"), Button("20 minutes", "/y")]) == Choice("45")
    assert choose("0", [YES]) == Choice("0")
    assert choose("1", []) == Choice("1")
    assert choose("yes please", [YES, NO]) == Choice("yes please")


def test_buttons_are_numbered_across_a_turns_messages() -> None:
    replies = [Reply("a", (YES,)), Reply("b"), Reply("c", (NO, Button("Maybe", "/m")))]
    assert [b.title for b in buttons_of(replies)] == ["Yes", "No", "Maybe"]
    lines = render_replies(replies)
    assert lines[1].endswith("[1] Yes")
    assert lines[-1].endswith("[2] No  [3] Maybe")


# --- showing a reply as Telegram would ----------------------------------------------------


def test_reply_shows_text_then_numbered_choices() -> None:
    lines = render_replies([Reply("Are you OK?\n\nSecond paragraph.", (YES, NO))])
    assert [line.strip() for line in lines] == [
        "\u2502 Are you OK?",
        "\u2502",
        "\u2502 Second paragraph.",
        "\u2502 [1] Yes  [2] No",
    ]


def test_messages_are_set_apart_and_long_ones_split_as_the_bridge_splits() -> None:
    long = "\n\n".join(["word " * 700] * 2)  # two paragraphs of 3,500 characters
    lines = render_replies([Reply("first"), Reply(long)])
    assert lines[:2] == ["  \u2502 first", ""]
    assert lines.count("") == 2  # three Telegram messages: "first" and the two pieces


def test_many_buttons_wrap_without_breaking_a_title() -> None:
    buttons = tuple(Button(f"Topic number {n}", f"/t{n}") for n in range(1, 11))
    rows = render_replies([Reply("Pick one", buttons)], width=60)[1:]
    assert len(rows) > 1 and all(len(row) <= 60 for row in rows)
    choice = r"\[\d+\] Topic number \d+"
    assert all(re.fullmatch(rf"  \u2502 {choice}(  {choice})*", row) for row in rows), rows


def test_working_is_dimmed_only_on_a_terminal_without_no_color() -> None:
    assert dimmed(["topic: x"], colour=False) == ["  topic: x"]
    assert dimmed(["topic: x"], colour=True)[0].startswith(DIM)
    assert "topic: x" in dimmed(["topic: x"], colour=True)[0]

    class Stream:
        def __init__(self, tty: bool) -> None:
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

    assert wants_colour(Stream(True), {}) is True  # type: ignore[arg-type]
    assert wants_colour(Stream(True), {"NO_COLOR": "1"}) is False  # type: ignore[arg-type]
    assert wants_colour(Stream(False), {}) is False  # type: ignore[arg-type]


# --- the working, from Rasa's tracker -----------------------------------------------------


def tracker(
    latest: dict[str, Any], turn: list[dict[str, Any]], before: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Rasa's tracker JSON as GET /conversations/{id}/tracker gives it, cut to what is read."""
    user = {"event": "user", "text": latest.get("text"), "parse_data": latest}
    events = [*(before or []), user, *turn]
    return {"latest_message": latest, "events": events, "active_loop": {}}


ADVICE_TURN = [
    {"event": "action", "name": "action_answer_topic", "policy": "RulePolicy", "confidence": 1.0},
    {"event": "bot", "text": "...", "metadata": {}},
    {"event": "slot", "name": "answered_from", "value": "topics/naloxone.md@8485ecc5 menu.yml@77"},
    {"event": "action", "name": "action_listen", "policy": "RulePolicy"},
]


def test_working_of_an_advice_answer() -> None:
    parsed = {
        "text": "is it safe wae methadone",
        "intent": {"name": "couse_opioids", "confidence": 0.8712},
        "entities": [
            {"value": "methadone", "additional_info": {"said": "methadone", "class": "opioid"}}
        ],
    }
    lines = render_working(working_from(tracker(parsed, ADVICE_TURN)))
    assert lines[0] == "topic: couse_opioids (confidence 0.87, classifier)"
    assert "read as: is it safe wae methadone" in lines
    assert "safety: no rule matched" in lines
    assert "entities: methadone -> methadone (opioid)" in lines
    assert "answered by: action_answer_topic (RulePolicy)" in lines
    assert "advice: topics/naloxone.md@8485ecc5, menu.yml@77" in lines


def test_an_advice_file_from_an_earlier_turn_is_not_this_turns() -> None:
    parsed = {"text": "hello", "intent": {"name": "greet", "confidence": 0.96}}
    turn = [
        {"event": "action", "name": "utter_greet", "policy": "RulePolicy"},
        {"event": "bot", "text": "Hiya", "metadata": {"utter_action": "utter_greet"}},
    ]
    lines = render_working(working_from(tracker(parsed, turn, before=ADVICE_TURN)))
    assert "answered by: utter_greet (domain.yml, RulePolicy)" in lines
    assert "advice: none this turn (not an advice answer)" in lines


def test_a_domain_response_sent_by_a_form_is_named() -> None:
    parsed = {"text": "aye", "intent": {"name": "affirm", "confidence": 0.99}}
    turn = [
        {"event": "action", "name": "referral_form", "policy": "RulePolicy"},
        {"event": "bot", "text": "Where?", "metadata": {"utter_action": "utter_ask_area"}},
    ]
    working = working_from({**tracker(parsed, turn), "active_loop": {"name": "referral_form"}})
    lines = render_working(working)
    assert "answered by: referral_form (RulePolicy), utter_ask_area (domain.yml)" in lines
    assert "form: referral_form (active)" in lines


def test_safety_from_a_rule_in_rasa_from_the_console_and_from_the_classifier() -> None:
    ruled = {
        "text": "he isnae breathing",
        "intent": {"name": "emergency_overdose", "confidence": 1.0},
        "safety_net": {"topic": "emergency_overdose", "pattern": "{negation} {breathe}"},
    }
    lines = render_working(working_from(tracker(ruled, [])))
    assert (
        'safety: rule "{negation} {breathe}" -> emergency_overdose (SafetyNetClassifier)' in lines
    )

    payload = {
        "text": "/emergency_overdose",
        "intent": {"name": "emergency_overdose", "confidence": 1.0},
    }
    match = SafetyMatch("emergency_overdose", "{negation} {breathe}")
    lines = render_working(working_from(tracker(payload, []), match))
    assert lines[0] == "topic: emergency_overdose (confidence 1.00, safety net)"
    assert (
        'safety: rule "{negation} {breathe}" -> emergency_overdose (safety net, before Rasa)'
        in lines
    )
    assert not any(line.startswith("read as:") for line in lines)

    guessed = {"text": "i feel awful", "intent": {"name": "crisis_self_harm", "confidence": 0.6}}
    lines = render_working(working_from(tracker(guessed, [])))
    assert "safety: classifier only (no rule matched)" in lines

    gave_way = {**guessed, "intent": {"name": "mental_health", "confidence": 0.5}}
    gave_way["safety_gave_way"] = {"topic": "crisis_self_harm"}
    lines = render_working(working_from(tracker(gave_way, [])))
    assert "safety: classifier guessed crisis_self_harm; the rules read it as harmless" in lines


def test_a_button_payload_is_named_as_one() -> None:
    parsed = {"text": "/naloxone", "intent": {"name": "naloxone", "confidence": 1.0}}
    lines = render_working(working_from(tracker(parsed, ADVICE_TURN)))
    assert lines[0] == "topic: naloxone (confidence 1.00, button payload)"


# --- one turn, the bridge's way, against a fake Rasa ----------------------------------------


class FakeRasa:
    def __init__(self, replies: list[dict[str, Any]] | None, status: int = 200) -> None:
        self.replies = replies
        self.status = status
        self.sent: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/tracker"):
            latest = {"text": "x", "intent": {"name": "greet", "confidence": 0.9}}
            return httpx.Response(200, json=tracker(latest, []))
        self.sent.append(json.loads(request.content))
        return httpx.Response(self.status, json=self.replies)


async def take(
    library: ContentLibrary, fake: FakeRasa, text: str, max_chars: int = 2000
) -> tuple[Conversation, Turn]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake)) as http:
        rasa = RasaClient(http, "http://rasa/webhooks/rest/webhook")
        conversation = Conversation(rasa, http, "http://rasa", library, max_chars)
        return conversation, await conversation.take(text)


async def test_danger_gets_the_card_first_and_rasa_the_topic(library: ContentLibrary) -> None:
    card = [{"text": r.text} for r in topic_answer(library, "emergency_overdose").replies]
    fake = FakeRasa([*card, {"text": "Do you want me to find a person?"}])
    conversation, turn = await take(library, fake, "my pal is not breathing")
    assert fake.sent[0]["message"] == "/emergency_overdose"
    assert fake.sent[0]["sender"] == conversation.sender
    texts = [r.text for r in turn.replies]
    assert texts[: len(card)] == [c["text"] for c in card]  # the card first, once
    assert texts[len(card) :] == ["Do you want me to find a person?"]
    assert turn.working is not None and turn.working.source == "safety net"


async def test_plain_text_goes_as_typed_and_a_long_one_is_cut(library: ContentLibrary) -> None:
    fake = FakeRasa([{"text": "Hiya", "buttons": [{"title": "Yes", "payload": "/affirm"}]}])
    _, turn = await take(library, fake, "hello there")
    assert fake.sent[0]["message"] == "hello there"
    assert turn.replies == [Reply("Hiya", (YES,))]
    _, turn = await take(library, fake, "a" * 30, max_chars=10)
    assert fake.sent[1]["message"] == "a" * 10
    assert turn.replies[0].text == library.bridge().too_long


async def test_rasa_down_gets_the_bridges_apology(library: ContentLibrary) -> None:
    _, turn = await take(library, FakeRasa(None, status=500), "hello")
    assert [r.text for r in turn.replies] == [library.bridge().unavailable]
    assert any("Rasa did not answer" in note for note in turn.notes)


async def test_a_checkin_request_is_named_not_done(library: ContentLibrary) -> None:
    fake = FakeRasa([{"text": "OK"}, {"custom": {"blether": {"checkin": {"minutes": 20}}}}])
    _, turn = await take(library, fake, "check on me")
    assert any("checkin: minutes 20" in note for note in turn.notes)


def test_chat_endpoints_keep_the_tracker_store_and_point_at_this_action_server(
    tmp_path: Path,
) -> None:
    written = yaml.safe_load(chat_endpoints(40123, tmp_path / "e.yml").read_text())
    assert written["action_endpoint"] == {"url": "http://127.0.0.1:40123/webhook"}
    assert written["tracker_store"]["type"] == "blether.tracker_store.BletherTrackerStore"


# --- the console loop, with a stand-in conversation ----------------------------------------


class StandIn:
    """Records what the console sends; answers with a menu of a topic, a form and a check-in
    button."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bool]] = []
        self.restarts = 0

    def restart(self) -> None:
        self.restarts += 1

    async def take(self, text: str, with_working: bool = True) -> Turn:
        self.sent.append((text, with_working))
        buttons = (Button("Naloxone", "/naloxone"), Button("Worker on duty", "worker"))
        working = working_from(tracker({"text": text, "intent": {"name": "greet"}}, []))
        return Turn([Reply("Pick one", (*buttons, Button("I'm OK", "ci:ok:7")))], [], working)


def console_run(lines: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[StandIn, str, int]:
    typed = iter(lines)

    def fake_input(prompt: str = "") -> str:
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr("builtins.input", fake_input)
    stand_in, out = StandIn(), io.StringIO()
    code = asyncio.run(Console(stand_in, out).loop())  # type: ignore[arg-type]
    return stand_in, out.getvalue(), code


def test_console_sends_buttons_and_free_text_and_quits(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = ["hello", "1", "2", "naloxone please", "worker on duty", "/quit", "never read"]
    stand_in, out, code = console_run(lines, monkeypatch)
    assert code == 0
    assert [t for t, _ in stand_in.sent] == [
        "hello",
        "/naloxone",
        "worker",  # a form's button is plain text for Rasa
        "naloxone please",
        "worker",
    ]
    assert "tapped: Naloxone" in out and DIM not in out  # no colour codes off a terminal
    assert "topic: greet" in out


def test_console_leaves_the_bridges_own_buttons_to_the_bridge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stand_in, out, code = console_run(["hello", "3"], monkeypatch)
    assert code == 0  # Ctrl-D
    assert [t for t, _ in stand_in.sent] == ["hello"]
    assert "a button the Telegram bridge handles itself" in out


def test_bridge_buttons_cover_the_bridges_prefixes() -> None:
    from blether.bridge.handlers import FORGET_NO, FORGET_YES
    from blether.checkin_base import ACK, OK

    for payload in (FORGET_YES, FORGET_NO, OK, ACK, "al:menu", "ref:accept:3", "tc:remove"):
        assert payload.startswith(BRIDGE_BUTTONS), payload
    assert not "/naloxone".startswith(BRIDGE_BUTTONS) and not "20".startswith(BRIDGE_BUTTONS)


def test_console_restart_and_as_person(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = ["hello", "/restart", "1", "/as-person", "hello", "/as-person", "hello"]
    stand_in, out, _ = console_run(lines, monkeypatch)
    assert stand_in.restarts == 1
    # After /restart the old buttons are gone: "1" is a message, not Naloxone.
    assert stand_in.sent[1] == ("1", True)
    assert stand_in.sent[2:] == [("hello", False), ("hello", True)]
    assert "working hidden (as a person)" in out and "working shown" in out
    assert out.count("topic: greet") == 3


# --- the real thing, through a pseudo-terminal ----------------------------------------------

PROMPT = "you> "
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")


class Chat:
    """A `blether chat` process in a pseudo-terminal, read up to each prompt."""

    def __init__(self, model: Path, env: dict[str, str]) -> None:
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "blether.cli", "chat", "--model", str(model)],
            cwd=str(ROOT),
            env=env,
            encoding="utf-8",
            timeout=240,
            dimensions=(50, 200),
        )
        self.child.expect_exact(PROMPT)
        self.hidden = False
        self.startup = str(self.child.before)
        self.action_port = int(re.search(r"action server ready \(port (\d+)\)", self.startup)[1])  # type: ignore[index]
        self.rasa_port = int(re.search(r"Rasa ready \(.*port (\d+)\)", self.startup)[1])  # type: ignore[index]

    def say(self, line: str) -> str:
        """What is printed after a line is typed, up to the next prompt, without colour codes."""
        self.child.sendline(line)
        self.child.expect_exact(PROMPT, timeout=60)
        out = ANSI.sub("", str(self.child.before))
        if "working hidden" in out or "working shown" in out:
            self.hidden = "working hidden" in out
        return out

    def quit(self) -> int:
        self.child.sendline("/quit")
        self.child.expect(pexpect.EOF, timeout=60)
        self.child.close()
        return int(self.child.exitstatus if self.child.exitstatus is not None else -1)


class Sessions:
    """One chat process shared by the tests in this module (Rasa takes a while to start).

    pytest-randomly shuffles the tests, so a test that ends the process takes it for itself
    and the next test that needs one starts another.
    """

    def __init__(self, model: Path, env: dict[str, str]) -> None:
        self.model, self.env = model, env
        self.current: Chat | None = None

    def live(self) -> Chat:
        if self.current is None or not self.current.child.isalive():
            self.current = Chat(self.model, self.env)
        return self.current

    def take(self) -> Chat:
        chat, self.current = self.live(), None
        return chat


def no_process_on(port: int) -> bool:
    try:
        pid_on_port(port)
    except RuntimeError:
        return True
    return False


@pytest.fixture(scope="module")
def sessions(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sessions]:
    tmp = tmp_path_factory.mktemp("chat")
    env = {
        **os.environ,
        "BLETHER_TRACKER_URL": f"sqlite:///{tmp}/tracker.db",
        "DATABASE_URL": f"sqlite:///{tmp}/app.db",
        # Every warning shown, were it to reach the screen: start-up must still print none.
        "PYTHONWARNINGS": "default",
        "TERM": "xterm",
    }
    env.pop("NO_COLOR", None)
    held = Sessions(model_path, env)
    yield held
    if held.current is not None and held.current.child.isalive():
        held.current.quit()


@pytest.fixture
def chat(sessions: Sessions) -> Chat:
    """The shared chat in a new conversation, with the working shown."""
    chat = sessions.live()
    assert "new conversation" in chat.say("/restart")
    if chat.hidden:  # a test that failed half-way left it hidden
        chat.say("/as-person")
    return chat


@pytest.mark.model
def test_start_up_is_one_line_per_part_and_no_warnings(sessions: Sessions) -> None:
    startup = ANSI.sub("", sessions.live().startup)
    for word in ("Warning", "warning", "DeprecationWarning", "UserWarning", "Traceback"):
        assert word not in startup, startup
    lines = [line.strip() for line in startup.splitlines() if line.strip()]
    assert lines[0].startswith("starting the action server and Rasa")
    assert lines[1].startswith("action server ready (port ")
    assert lines[2].startswith("Rasa ready (model blether.tar.gz ")
    assert len(lines) == 4, lines  # and the one line of help


@pytest.mark.model
def test_free_text_after_a_menu_goes_to_rasa(chat: Chat) -> None:
    menu = chat.say("hello")
    assert "[1] " in menu and "[2] " in menu
    answer = chat.say("what about naloxone")
    assert "tapped" not in answer
    assert "topic: naloxone (confidence" in answer and ", classifier)" in answer
    assert "Naloxone is a free medicine" in answer


@pytest.mark.model
def test_a_number_or_a_title_picks_a_button(chat: Chat) -> None:
    menu = chat.say("hello")
    number = re.search(r"\[(\d+)\] Naloxone", menu)
    assert number is not None, menu
    answer = chat.say(number[1])
    assert "tapped: Naloxone" in answer
    assert "topic: naloxone (confidence 1.00, button payload)" in answer
    title = re.search(r"\[\d+\] (Spotting an overdose)", answer)
    assert title is not None, answer
    answer = chat.say("spotting an overdose")
    assert "tapped: Spotting an overdose" in answer
    assert "topic: overdose_signs (confidence 1.00, button payload)" in answer


@pytest.mark.model
def test_the_working_is_shown_and_as_person_hides_it(chat: Chat) -> None:
    answer = chat.say("is it safe to take blues wae methadone")
    assert re.search(r"topic: couse_opioids \(confidence \d\.\d\d, classifier\)", answer)
    assert "safety: no rule matched" in answer
    assert "entities: blues -> street benzos (benzodiazepine)" in answer
    assert re.search(r"advice: topics/couse_opioids\.md@[0-9a-f]+, combinations\.yml@", answer)
    assert "working hidden" in chat.say("/as-person")
    hidden = chat.say("is it safe to take blues wae methadone")
    assert "Dangerous mix" in hidden
    assert "topic:" not in hidden and "advice:" not in hidden
    assert "working shown" in chat.say("/as-person")


@pytest.mark.model
def test_danger_gets_the_card_once_from_the_safety_net(chat: Chat) -> None:
    answer = chat.say("my mate is blue and not breathing")
    assert answer.count("Call 999 now") == 1
    assert "topic: emergency_overdose (confidence 1.00, safety net)" in answer
    assert "(safety net, before Rasa)" in answer
    assert "advice: topics/emergency_overdose.md@" in answer


@pytest.mark.model
def test_quit_exits_cleanly_and_stops_both_servers(sessions: Sessions) -> None:
    chat = sessions.take()
    assert chat.quit() == 0
    assert no_process_on(chat.action_port) and no_process_on(chat.rasa_port)


def children_of(pid: int) -> set[int]:
    """The processes whose parent is `pid`, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The parent pid is the second field after the ")" that ends the command name.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.model
def test_ctrl_c_while_rasa_loads_stops_both_servers(model_path: Path, sessions: Sessions) -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "blether.cli", "chat", "--model", str(model_path)],
        cwd=str(ROOT),
        env=sessions.env,
        encoding="utf-8",
        timeout=120,
    )
    child.expect_exact("action server ready")
    servers = children_of(child.pid)
    assert len(servers) == 2  # rasa run, still loading its model, and the action server
    child.kill(signal.SIGINT)  # to the chat process alone: it must stop the servers itself
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert not any(running(pid) for pid in servers)
    assert "Traceback" not in str(child.before)

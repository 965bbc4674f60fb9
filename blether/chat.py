"""`blether chat`: talk to Blether in a terminal, through the real Rasa and action servers.

It starts the action server and `rasa run --enable-api` on free loopback ports (their output
in var/chat-actions.log and var/chat-rasa.log, this process's own warnings and log lines in
var/chat.log: nothing of the libraries' start-up chatter reaches the screen), then reads lines.
Each reply is printed as Telegram would show it, buttons as numbered choices; a number or a
button's title picks the button and anything else goes to Rasa as typed. Under each reply,
dimmed, what answered (blether/chat_working.py), unless `/as-person` hides it.

`rasa shell` (make rasa-shell) is still there; it reads buttons as a selection list that
takes the next line typed, which is why this exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TextIO

import httpx
import yaml

from blether.action_server import running_action_server
from blether.alert_menu import PREFIX as ALERTS_PREFIX
from blether.chat_turn import Conversation, Turn
from blether.chat_view import buttons_of, choose, dimmed, render_replies, wants_colour
from blether.chat_working import render_working
from blether.checkin_base import PREFIX as CHECKIN_PREFIX
from blether.contact_flow import PREFIX as CONTACT_PREFIX
from blether.content import ContentLibrary
from blether.handoff_flow import ACCEPT, DECLINE, END, FEEDBACK
from blether.rasa_client import RasaClient
from blether.rasa_server import QUIET_ENV, free_port, running_rasa_server
from blether.replies import Button
from blether.settings import PROJECT_ROOT, Settings

VAR = PROJECT_ROOT / "var"
PROMPT = "you> "
HELP = "type a message; a number or a button's title picks a button; /restart, /as-person, /quit"
QUIT = ("/quit", "/exit")
# Buttons the Telegram bridge answers itself (bridge/handlers.py `on_button`): check-ins,
# trusted contacts, the alerts menu, a worker's offer and feedback, /forget's confirm buttons
# (FORGET_YES and FORGET_NO there: not imported, python-telegram-bot's imports warn). Every
# other button goes to Rasa, as "/topic" or as plain text (a form's "20" or "worker").
BRIDGE_BUTTONS = (
    CHECKIN_PREFIX,
    CONTACT_PREFIX,
    ALERTS_PREFIX,
    ACCEPT,
    DECLINE,
    END,
    FEEDBACK,
    "forget:",
)


def quiet_logging(log_path: Path) -> None:
    """This process's log lines and Python warnings go to a file, never to the screen."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.FileHandler(log_path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    logging.captureWarnings(True)
    warnings.simplefilter("default")  # recorded once per place, in the file


def chat_endpoints(action_port: int, path: Path) -> Path:
    """endpoints.yml (tracker store and all) with the action server on this run's port."""
    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text()) or {}
    endpoints["action_endpoint"] = {"url": f"http://127.0.0.1:{action_port}/webhook"}
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
    return path


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP (terminal closed) unwind like /quit, so the servers are stopped."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def run_chat(settings: Settings, model: Path, out: TextIO = sys.stdout) -> int:
    if not model.exists():
        print(f"blether: no trained model at {model}; run `make model` first", file=sys.stderr)
        return 1
    quiet_logging(VAR / "chat.log")
    action_port = free_port()
    endpoints = chat_endpoints(action_port, VAR / f"chat-endpoints-{action_port}.yml")
    print("starting the action server and Rasa (logs in var/) ...", file=out, flush=True)
    try:
        with (
            _stopped_by_signals(),
            running_rasa_server(
                model,
                endpoints,
                VAR / "chat-rasa.log",
                enable_api=True,
                env={"BLETHER_TRACKER_URL": settings.tracker_url},
            ) as rasa,
            # Started while Rasa loads its model: the two come up side by side.
            running_action_server(
                action_port,
                VAR / "chat-actions.log",
                # Referrals made here stay in the console's own database: no worker is
                # offered a test referral, and the service's data is not touched.
                env={
                    **QUIET_ENV,
                    "SANIC_HOST": "127.0.0.1",
                    "DATABASE_URL": os.environ.get(
                        "BLETHER_CHAT_DATABASE_URL", f"sqlite:///{VAR / 'chat-app.db'}"
                    ),
                },
            ),
        ):
            print(f"action server ready (port {action_port})", file=out, flush=True)
            status = rasa.wait_ready()
            name = Path(str(status.get("model_file") or model)).name
            model_id = str(status.get("model_id") or "")[:12]
            print(f"Rasa ready (model {name} {model_id}, port {rasa.port})", file=out, flush=True)
            return asyncio.run(_session(settings, rasa.webhook_url, rasa.base_url, out))
    except KeyboardInterrupt:
        print(file=out)
        return 130
    finally:
        endpoints.unlink(missing_ok=True)


async def _session(settings: Settings, webhook: str, api: str, out: TextIO) -> int:
    async with httpx.AsyncClient(timeout=settings.rasa_timeout) as http:
        conversation = Conversation(
            RasaClient(http, webhook),
            http,
            api,
            ContentLibrary(settings.content_dir),
            settings.max_message_chars,
        )
        return await Console(conversation, out).loop()


class Console:
    """The read-print loop: console commands, buttons by number or title, free text."""

    def __init__(self, conversation: Conversation, out: TextIO) -> None:
        self.conversation = conversation
        self.out = out
        self.colour = wants_colour(out)
        self.show_working = True
        self.buttons: list[Button] = []

    def _print(self, lines: list[str]) -> None:
        print("\n".join(lines), file=self.out, flush=True)

    def _note(self, *lines: str) -> None:
        self._print(dimmed(list(lines), self.colour))

    async def loop(self) -> int:
        _line_editing()
        self._print([HELP])
        while True:
            try:
                # input() blocks the event loop, which has nothing else to do meanwhile.
                typed = input(PROMPT)
            except EOFError:  # Ctrl-D
                self._print([""])
                return 0
            command = typed.strip().lower()
            if command in QUIT:
                return 0
            if command == "/restart":
                self.conversation.restart()
                self.buttons = []
                self._note("new conversation")
            elif command == "/as-person":
                self.show_working = not self.show_working
                self._note("working shown" if self.show_working else "working hidden (as a person)")
            elif typed.strip():
                await self._message(typed)

    async def _message(self, typed: str) -> None:
        choice = choose(typed, self.buttons)
        if choice.button is not None:
            self._note(f"tapped: {choice.button.title}")
            if choice.send.startswith(BRIDGE_BUTTONS):
                self._note("a button the Telegram bridge handles itself; not in the console")
                return
        turn = await self.conversation.take(choice.send, self.show_working)
        self.buttons = buttons_of(turn.replies)
        self._show(turn)

    def _show(self, turn: Turn) -> None:
        lines = render_replies(turn.replies) if turn.replies else []
        self._print(lines)
        notes = list(turn.notes)
        if self.show_working and turn.working is not None:
            notes = render_working(turn.working) + notes
        if notes:
            self._note(*notes)
        self._print([""])


def _line_editing() -> None:
    """Arrow keys and history at the prompt, where Python has readline."""
    if sys.stdin.isatty():
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401 - importing it is what makes input() use it

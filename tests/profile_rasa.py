"""Where a message's time goes: py-spy samples Rasa and the action server under load.

    .venv/bin/pip install py-spy      # a profiler, not needed to run Blether
    .venv/bin/python -m tests.profile_rasa

Starts the action server and Rasa as `make run` does (SQLite tracker), sends messages from 10
people for PROFILE_SECONDS (20), and prints, for each process, CPU milliseconds per message and
the share of them in each stage (tracker store, NLU, policies, action call, content, HTTP).
docs/performance.md keeps the figures.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from blether.action_server import running_action_server
from tests.bench_rasa import load, rasa
from tests.conftest import MODEL, ROOT
from tests.stack import blether_endpoints, free_port, pid_on_port

SECONDS = float(os.environ.get("PROFILE_SECONDS", "20"))

# A sample belongs to the innermost of its process's stages in its stack (leaf upwards).
STAGES = {
    "rasa": [
        ("tracker store: read", ("_retrieve_window", "retrieve (rasa/core/tracker_store")),
        ("tracker store: write", ("_save_window", "save (rasa/core/tracker_store")),
        ("NLU pipeline", ("parse_message (rasa/core/processor",)),
        ("policies", ("_predict_next_with_tracker",)),
        ("action call (HTTP, response check)", ("_run_action (rasa/core/processor",)),
    ],
    "actions": [
        ("app database (answers served)", (" (sqlalchemy/",)),
        ("content and answers", (" (blether/",)),
        ("Blether's action code", (" (actions/",)),
        ("rasa-sdk", (" (rasa_sdk/",)),
    ],
}
# The bridge: a sample belongs to the first of these its stack contains.
BRIDGE_STAGES = [
    ("waiting on Rasa's answer (HTTP client)", ("blether/rasa_client.py",)),
    ("safety net and normaliser", ("blether/safety.py", "blether/language.py")),
    ("app database (inbox, referrals, check-ins)", ("sqlalchemy/",)),
    ("Telegram API calls (python-telegram-bot, httpx)", ("telegram/_bot.py", "telegram/request")),
    ("python-telegram-bot's dispatch", ("telegram/ext/",)),
]
# Samples of a process waiting for work are not CPU.
IDLE = (
    "serve (sanic/server/runners.py",
    "select (selectors.py",
    "_run_once (asyncio",
    "_worker (concurrent/futures/thread.py",  # an idle thread of the pool
)


def stage_of(stack: str, process: str) -> str | None:
    frames = stack.split(";")
    if frames and frames[-1].startswith(IDLE):
        return None
    if process == "bridge":
        return next(
            (name for name, needles in BRIDGE_STAGES if any(n in stack for n in needles)),
            "the rest (asyncio, logging, JSON)",
        )
    for frame in reversed(frames):
        for name, needles in STAGES[process]:
            if any(needle in f" {frame}" for needle in needles):
                return name
    return "HTTP server, JSON and the rest"


def summarise(raw: Path, process: str, messages: int) -> list[str]:
    counts: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if count.isdigit() and (stage := stage_of(stack, process)) is not None:
            counts[stage] += int(count)
    busy = sum(counts.values())
    rate = 100  # py-spy's default samples a second
    lines = [f"  {busy / rate * 1000 / max(messages, 1):.1f} ms of CPU a message"]
    for name, count in counts.most_common():
        lines.append(f"  {count / busy:6.1%}  {name}")
    return lines


def main() -> int:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        print("py-spy is not installed: .venv/bin/pip install py-spy", file=sys.stderr)
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="blether-profile-"))
    env = {"BLETHER_CONTENT_DIR": str(ROOT / "content")}
    action_port = free_port()
    with running_action_server(
        action_port,
        workdir / "actions.log",
        env={**env, "DATABASE_URL": f"sqlite:///{workdir}/app.db"},
    ):
        endpoints = blether_endpoints(action_port)
        tracker = {**env, "BLETHER_TRACKER_URL": f"sqlite:///{workdir}/tracker.db"}
        with rasa(MODEL, workdir, "rasa", endpoints, tracker) as (url, rasa_port):
            asyncio.run(load([url], 2, 3))
            pids = {
                name: pid_on_port(port)
                for name, port in (("rasa", rasa_port), ("actions", action_port))
            }
            spies = {
                name: subprocess.Popen(
                    [
                        spy,
                        "record",
                        "--pid",
                        str(pid),
                        "--duration",
                        str(int(SECONDS)),
                        "--format",
                        "raw",
                        "--output",
                        str(workdir / f"{name}.txt"),
                        "--nonblocking",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for name, pid in pids.items()
            }
            level = asyncio.run(load([url], 10, SECONDS))
            for spy_process in spies.values():
                spy_process.wait()
    print(f"10 people, {SECONDS:.0f} s: {level.messages} messages, {level.per_second:.1f} a second")
    for name in pids:
        print(f"{name}:")
        print("\n".join(summarise(workdir / f"{name}.txt", name, level.messages)))
    profile_bridge(spy, workdir)
    return 0


def profile_bridge(spy: str, workdir: Path) -> None:
    """The bridge on the whole Telegram path (fake Bot API), 10 people."""
    from tests.bench_bridge import run_level
    from tests.stack import full_stack

    content = workdir / "content"
    shutil.copytree(ROOT / "content", content)
    with full_stack(MODEL, workdir, content, flood_limit=10_000) as stack:
        run_level(stack.fake, 2, 900_000, 3)
        assert stack.bridge_process is not None
        output = workdir / "bridge.txt"
        recording = subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(stack.bridge_process.pid),
                "--duration",
                str(int(SECONDS)),
                "--format",
                "raw",
                "--output",
                str(output),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        result = run_level(stack.fake, 10, 1_000_000, SECONDS)
        recording.wait()
    answers = int(result["messages"])
    print(f"bridge, Telegram path, 10 people, {SECONDS:.0f} s: {answers} answers")
    print("\n".join(summarise(output, "bridge", answers)))


if __name__ == "__main__":
    sys.exit(main())

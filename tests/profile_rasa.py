"""Where a message's time goes: py-spy samples Rasa and the action server under load.

    .venv/bin/pip install py-spy      # a profiler, not needed to run Blether
    .venv/bin/python -m tests.profile_rasa

Starts the action server and Rasa as `make run` does (SQLite tracker), sends messages from 10
people for PROFILE_SECONDS (20), and prints, for each process, the share of its CPU samples in
each part (NLU components, policies, tracker store, action call, HTTP server, content) and CPU
milliseconds per message. docs/performance.md keeps the figures.
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
from tests.stack import blether_endpoints, free_port

SECONDS = float(os.environ.get("PROFILE_SECONDS", "20"))

# The first rule whose text is in a sampled stack names its part (most specific first).
PARTS = [
    ("NLU: normaliser and tokenizer", ("NormalisingTokenizer", "blether/language.py")),
    ("NLU: substance lexicon (spaCy)", ("SubstanceExtractor", "blether/lexicon.py")),
    ("NLU: safety net", ("SafetyNetClassifier", "blether/safety.py")),
    ("NLU: count vectors featurizer", ("count_vectors_featurizer",)),
    ("NLU: logistic regression", ("logistic_regression_classifier", "sklearn/")),
    ("NLU: other", ("rasa/nlu/", "rasa/engine/")),
    ("policies", ("rasa/core/policies/", "rasa/core/featurizers/")),
    ("tracker store (SQL)", ("tracker_store.py", "tracker_window.py", "sqlalchemy/")),
    ("tracker (replay, serialise)", ("rasa/shared/core/trackers.py", "rasa/shared/core/events.py")),
    ("action call (HTTP client)", ("rasa/core/actions/action.py", "aiohttp/")),
    ("actions: content and answers", ("blether/content/", "blether/answers.py", "actions/")),
    ("actions: rasa-sdk", ("rasa_sdk/",)),
    ("HTTP server (Sanic)", ("sanic/", "rasa/core/channels/")),
    ("JSON", ("json/", "ujson")),
]


def part_of(stack: str) -> str:
    for name, needles in PARTS:
        if any(needle in stack for needle in needles):
            return name
    return "other (Python, asyncio, logging)"


def summarise(raw: Path, messages: int) -> list[str]:
    counts: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        counts[part_of(stack)] += int(count)
        total += int(count)
    rate = 100  # py-spy's default samples a second
    lines = [f"  {total / rate * 1000 / max(messages, 1):.1f} ms of CPU a message"]
    for name, count in counts.most_common():
        lines.append(f"  {count / total:6.1%}  {name}")
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
                name: pid_of(port) for name, port in (("rasa", rasa_port), ("actions", action_port))
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
        print("\n".join(summarise(workdir / f"{name}.txt", level.messages)))
    return 0


def pid_of(port: int) -> int:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                args = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"--port" in args and args[args.index(b"--port") + 1] == str(port).encode():
                return int(entry.name)
    raise RuntimeError(f"no process on port {port}")


if __name__ == "__main__":
    sys.exit(main())

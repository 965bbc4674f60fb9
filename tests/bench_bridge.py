"""`make bench`: the whole path Telegram -> bridge -> Rasa -> actions -> Telegram, measured.

N simulated people (1, 10, 50) send messages through the fake Bot API, each the next one when
the last was answered, for BENCH_SECONDS (20) per level; for every message we time the first
reply and the complete answer. Prints messages per second and p50/p95/p99 latency.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.conftest import MODEL, ROOT
from tests.stack import full_stack, rss_mb

# (message, how many messages its answer has)
PROMPTS = [
    ("what is naloxone", 2),
    ("is it ok to take blues wae methadone", 3),
    ("how do i cut down on blues", 2),
    ("hiya", 2),
]
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
TIMEOUT = 120.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def person(
    fake, user_id: int, first: list[float], full: list[float], lock: threading.Lock, deadline: float
) -> None:  # type: ignore[no-untyped-def]
    expected = 0
    i = 0
    while time.monotonic() < deadline:
        text, count = PROMPTS[(user_id + i) % len(PROMPTS)]
        before = expected
        expected += count
        started = time.monotonic()
        fake.send_text(user_id, text)
        sent = fake.wait_for(user_id, expected, timeout=TIMEOUT)
        with lock:
            first.append(sent[before].at - started)
            full.append(sent[expected - 1].at - started)
        i += 1


def run_level(fake, concurrency: int, base_id: int, seconds: float = SECONDS) -> dict[str, float]:  # type: ignore[no-untyped-def]
    first: list[float] = []
    full: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=person, args=(fake, base_id + n, first, full, lock, deadline))
        for n in range(concurrency)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return {
        "people": concurrency,
        "messages": len(full),
        "msg_per_s": len(full) / elapsed,
        "p50": statistics.median(full),
        "p95": percentile(full, 95),
        "p99": percentile(full, 99),
        "first_p50": statistics.median(first),
    }


def main() -> int:
    if not MODEL.exists():
        print("no trained model: run `make model` first", file=sys.stderr)
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="blether-bench-"))
    content = workdir / "content"
    shutil.copytree(ROOT / "content", content)
    try:
        with full_stack(MODEL, workdir, content, flood_limit=10_000) as stack:
            run_level(stack.fake, 2, 900_000, 3)  # warm up the model and connections
            print(
                f"{'people':>6} {'messages':>8} {'msg/s':>7} {'p50 s':>7} {'p95 s':>7} "
                f"{'p99 s':>7} {'first-reply p50 s':>18}"
            )
            for level, concurrency in enumerate((1, 10, 50)):
                r = run_level(stack.fake, concurrency, 1_000_000 * (level + 1))
                print(
                    f"{r['people']:>6.0f} {r['messages']:>8.0f} {r['msg_per_s']:>7.2f} "
                    f"{r['p50']:>7.2f} {r['p95']:>7.2f} {r['p99']:>7.2f} {r['first_p50']:>18.2f}"
                )
            assert stack.bridge_process is not None
            print(f"resident memory of the bridge: {rss_mb(stack.bridge_process.pid):.0f} MB")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

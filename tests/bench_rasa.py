"""`make bench`, part one: Rasa's REST channel, Blether beside a bare `rasa init` bot, one run.

Prints, for 1, 10 and 50 people each sending realistic messages one after another for
BENCH_SECONDS (20) per level: messages a second and p50/p95 latency for the bare bot and for
Blether (Rasa + action server, SQLite tracker), and their ratio; the same for Blether on
PostgreSQL with one Rasa replica and with two (Redis lock store, two action servers, each person
routed to one replica as the bridge routes them); the first-20 / last-20 median latency of one
300-message conversation for both bots; the resident memory of every process.

The bare bot is `rasa init`'s own project, trained once and kept under var/bench/bare.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from blether.action_server import running_action_server
from blether.rasa_client import replica_order
from tests.conftest import MODEL, POSTGRES_URL, ROOT
from tests.stack import blether_endpoints, free_port, pid_on_port, rasa_replicas, rss_mb

BARE_DIR = ROOT / "var" / "bench" / "bare"
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
LEVELS = (1, 10, 50)
CONVERSATION_LENGTH = 300

# What people ask, in their own words (no emergencies: those answer from the bridge too).
TEXTS = [
    "hiya",
    "what is naloxone",
    "is it ok to take blues wae methadone",
    "how do i cut down on blues",
    "how long do vallies last",
    "cheers for that",
    "where can i get help near me",
    "whats in street blues these days",
    "can i drink on pregabs",
    "is coke and blues a bad mix",
]


@dataclass(frozen=True)
class Level:
    people: int
    messages: int
    per_second: float
    p50: float
    p95: float


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


@contextmanager
def rasa(
    model: Path, workdir: Path, name: str, endpoints: str | None, env: dict[str, str]
) -> Iterator[tuple[str, int]]:
    """One `rasa run` with the REST channel; yields its webhook URL and port."""
    folder = workdir / name
    folder.mkdir(exist_ok=True)
    with rasa_replicas(model, folder, [endpoints], env) as (replica,):
        yield replica.url, replica.port


async def load(urls: list[str], people: int, seconds: float) -> Level:
    """`people` at once, each sending the next message when the last was answered."""
    latencies: list[float] = []
    run = uuid.uuid4().hex[:8]
    limits = httpx.Limits(max_connections=people + 8, max_keepalive_connections=people + 8)
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        deadline = time.monotonic() + seconds

        async def person(n: int) -> None:
            sender = f"bench-{run}-{n}"
            url = replica_order(sender, urls)[0]
            sent = 0
            while time.monotonic() < deadline:
                text = TEXTS[(n + sent) % len(TEXTS)]
                started = time.perf_counter()
                response = await client.post(url, json={"sender": sender, "message": text})
                response.raise_for_status()
                latencies.append(time.perf_counter() - started)
                sent += 1

        started = time.monotonic()
        await asyncio.gather(*(person(n) for n in range(people)))
        elapsed = time.monotonic() - started
    return Level(
        people,
        len(latencies),
        len(latencies) / elapsed,
        statistics.median(latencies),
        percentile(latencies, 95),
    )


async def conversation(url: str, length: int) -> list[float]:
    """One person sending `length` messages in a row; each message's latency."""
    sender = f"bench-long-{uuid.uuid4().hex[:8]}"
    latencies = []
    async with httpx.AsyncClient(timeout=300) as client:
        for n in range(length):
            started = time.perf_counter()
            response = await client.post(url, json={"sender": sender, "message": TEXTS[n % 10]})
            response.raise_for_status()
            latencies.append(time.perf_counter() - started)
    return latencies


def ensure_bare_bot() -> Path:
    models = sorted((BARE_DIR / "models").glob("*.tar.gz"))
    if not models:
        print("training the bare `rasa init` bot once (kept under var/bench/bare)...", flush=True)
        BARE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "rasa", "init", "--no-prompt", "--init-dir", str(BARE_DIR)],
            cwd=BARE_DIR.parent,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        models = sorted((BARE_DIR / "models").glob("*.tar.gz"))
    return models[-1]


def row(name: str, level: Level, base: Level | None = None) -> str:
    ratio = f"{level.per_second / base.per_second:>6.2f}x" if base else " " * 7
    return (
        f"{name:<34} {level.people:>6} {level.messages:>8} {level.per_second:>7.1f} "
        f"{level.p50 * 1000:>7.0f} {level.p95 * 1000:>7.0f} {ratio}"
    )


def header() -> str:
    columns = ("people", "messages", "msg/s", "p50 ms", "p95 ms", "vs bare")
    widths = (6, 8, 7, 7, 7, 7)
    return f"{'':<34} " + " ".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True))


def growth_line(name: str, latencies: list[float]) -> str:
    first = statistics.median(latencies[:20])
    last = statistics.median(latencies[-20:])
    return (
        f"{name:<34} first 20: {first * 1000:6.0f} ms   last 20: {last * 1000:6.0f} ms   "
        f"ratio {last / first:5.2f}"
    )


def main() -> int:
    if not MODEL.exists():
        print("no trained model: run `make model` first", file=sys.stderr)
        return 1
    bare_model = ensure_bare_bot()
    workdir = Path(tempfile.mkdtemp(prefix="blether-bench-rasa-"))
    content = {"BLETHER_CONTENT_DIR": str(ROOT / "content")}
    memory: list[tuple[str, float]] = []
    print(f"each level runs {SECONDS:.0f} s; latency is the time to Rasa's whole answer\n")
    print(header())
    with ExitStack() as stack:
        bare_url, bare_port = stack.enter_context(rasa(bare_model, workdir, "bare", None, {}))
        action_port = free_port()
        stack.enter_context(
            running_action_server(
                action_port,
                workdir / "actions.log",
                env={**content, "DATABASE_URL": f"sqlite:///{workdir}/app.db"},
            )
        )
        blether_url, blether_port = stack.enter_context(
            rasa(
                MODEL,
                workdir,
                "blether",
                blether_endpoints(action_port),
                {**content, "BLETHER_TRACKER_URL": f"sqlite:///{workdir}/tracker.db"},
            )
        )
        asyncio.run(load([bare_url], 2, 3))  # warm both up
        asyncio.run(load([blether_url], 2, 3))
        for people in LEVELS:
            bare = asyncio.run(load([bare_url], people, SECONDS))
            ours = asyncio.run(load([blether_url], people, SECONDS))
            print(row("bare rasa init bot", bare))
            print(row("Blether (SQLite tracker)", ours, bare), flush=True)
        print()
        print(
            growth_line(
                "bare rasa init bot, 300 messages",
                asyncio.run(conversation(bare_url, CONVERSATION_LENGTH)),
            )
        )
        print(
            growth_line(
                "Blether, 300 messages", asyncio.run(conversation(blether_url, CONVERSATION_LENGTH))
            ),
            flush=True,
        )
        memory += [
            ("bare rasa", rss_mb(pid_on_port(bare_port))),
            ("Blether rasa", rss_mb(pid_on_port(blether_port))),
            ("Blether action server", rss_mb(pid_on_port(action_port))),
        ]
    print()
    print(header())
    replicas: list[str] = []
    with ExitStack() as stack:
        prefix = f"bench{uuid.uuid4().hex[:6]}"
        for n in (1, 2):
            port = free_port()
            stack.enter_context(
                running_action_server(
                    port,
                    workdir / f"actions-{n}.log",
                    env={**content, "DATABASE_URL": POSTGRES_URL},
                )
            )
            url, rasa_port = stack.enter_context(
                rasa(
                    MODEL,
                    workdir,
                    f"replica-{n}",
                    blether_endpoints(port, prefix),
                    {**content, "BLETHER_TRACKER_URL": POSTGRES_URL},
                )
            )
            replicas.append(url)
            memory += [
                (f"replica {n} rasa", rss_mb(pid_on_port(rasa_port))),
                (f"replica {n} actions", rss_mb(pid_on_port(port))),
            ]
        asyncio.run(load(replicas, 4, 3))
        for people in LEVELS[1:]:
            one = asyncio.run(load(replicas[:1], people, SECONDS))
            two = asyncio.run(load(replicas, people, SECONDS))
            print(row("Blether, PostgreSQL, 1 replica", one))
            print(
                row("Blether, PostgreSQL, 2 replicas", two)
                + f"  ({two.per_second / one.per_second:.2f}x one)",
                flush=True,
            )
    print("\nresident memory (MB): " + ", ".join(f"{name} {mb:.0f}" for name, mb in memory))
    return 0


if __name__ == "__main__":
    sys.exit(main())

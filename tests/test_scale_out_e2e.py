"""Two Rasa replicas and two action servers on PostgreSQL and Redis, behind one bridge.

50 people at once through the fake Bot API, each person's messages in a burst: every message
answered once and in order, each conversation stored once, in order and never interleaved with
another's; then one replica killed while messages are in flight: its people get the bridge's
apology for those, then the other replica's answers, and nothing is lost.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from blether.action_server import running_action_server
from blether.content import ContentLibrary
from blether.pseudonym import pseudonym
from blether.replies import topic_answer
from blether.splitting import split_message
from tests.conftest import POSTGRES_URL, ROOT, own_postgres_database
from tests.fake_telegram import FakeTelegram
from tests.stack import (
    KEY,
    TOKEN,
    Replica,
    blether_endpoints,
    bridge,
    free_port,
    polling,
    rasa_replicas,
)

pytestmark = [pytest.mark.model, pytest.mark.integration, pytest.mark.scale]

PEOPLE = range(555_300_000, 555_300_050)
QUESTIONS = {
    "what is naloxone": "naloxone",
    "how do i cut down on blues": "reduce_stop",
    "how long do vallies last": "effects_duration",
}
APOLOGIES = ("Sorry, I can't answer just now", "Sorry, I can't keep track of our chat")


def expected_answer(content: Path, text: str) -> list[str]:
    answer = topic_answer(ContentLibrary(content), QUESTIONS[text])
    return [piece for reply in answer.replies for piece in split_message(reply.text)]


class Deployment:
    def __init__(self, fake: FakeTelegram, replicas: list[Replica], content: Path) -> None:
        self.fake, self.replicas, self.content = fake, replicas, content
        self.sent: dict[int, list[str]] = {person: [] for person in PEOPLE}
        self.bridge_process: subprocess.Popen | None = None  # type: ignore[type-arg]
        self.log = Path()
        self.database = POSTGRES_URL

    def burst(self, texts: list[str]) -> None:
        for person in PEOPLE:
            for text in texts:
                self.fake.send_text(person, text)
                self.sent[person].append(text)

    def read(self, person: int) -> list[tuple[str, bool]]:
        """Each message sent so far with whether Rasa answered it (False: the apology).

        Fails unless every message has exactly its answer or one apology, in order."""
        texts = self.fake.texts(person)
        outcomes, i = [], 0
        for text in self.sent[person]:
            assert i < len(texts), (person, self.sent[person], texts)
            if texts[i].startswith(APOLOGIES):
                outcomes.append((text, False))
                i += 1
                continue
            answer = expected_answer(self.content, text)
            assert texts[i : i + len(answer)] == answer, (person, text, texts)
            outcomes.append((text, True))
            i += len(answer)
        assert i == len(texts), ("more messages than answers", person, texts)
        return outcomes

    def wait_answered(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                for person in PEOPLE:
                    self.read(person)
                return
            except AssertionError:
                time.sleep(0.5)
        if self.bridge_process is not None:
            self.bridge_process.send_signal(signal.SIGUSR2)
            time.sleep(1)
            print("\n".join(x for x in self.log.read_text().splitlines() if "task " in x))
        for person in PEOPLE:
            self.read(person)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> Iterator[Deployment]:
    workdir = tmp_path_factory.mktemp("scale-out")
    content = workdir / "content"
    shutil.copytree(ROOT / "content", content)
    # Its own database: another test run on this machine cleans up the shared `test` one.
    database = own_postgres_database(f"blether_scale_{uuid.uuid4().hex[:8]}")
    env = {
        "BLETHER_CONTENT_DIR": str(content),
        "BLETHER_TRACKER_URL": database,
        "DATABASE_URL": database,
        # Locks a killed replica held expire after this (Rasa's default: 60 s).
        "TICKET_LOCK_LIFETIME": "10",
    }
    ports = [free_port(), free_port()]
    fake = FakeTelegram(TOKEN).start()
    lock_prefix = f"test{uuid.uuid4().hex[:8]}"
    try:
        with (
            running_action_server(ports[0], workdir / "actions-0.log", env=env),
            running_action_server(ports[1], workdir / "actions-1.log", env=env),
            rasa_replicas(
                model_path, workdir, [blether_endpoints(p, lock_prefix) for p in ports], env
            ) as replicas,
        ):
            bridge_env = {
                **env,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_URL": fake.base_url,
                "RASA_URLS": ",".join(r.url for r in replicas),
                "BLETHER_PSEUDONYM_KEY": KEY,
                "BLETHER_FLOOD_LIMIT": "100",
                "RASA_TIMEOUT": "60",
            }
            with bridge(bridge_env, workdir / "bridge.log", lambda: polling(fake)) as process:
                deployment = Deployment(fake, replicas, content)
                deployment.bridge_process = process
                deployment.log = workdir / "bridge.log"
                deployment.database = database
                yield deployment
    finally:
        fake.stop()
        engine = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            name = database.rsplit("/", 1)[1]
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def stored_turns(database: str, person: int) -> list[tuple[str, list[str]]]:
    """The person's conversation as stored: each message with the bot texts after it."""
    sender = pseudonym(KEY.encode(), person)
    engine = sa.create_engine(database)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
        ).all()
    engine.dispose()
    turns: list[tuple[str, list[str]]] = []
    for (data,) in rows:
        event = json.loads(data)
        if event["event"] == "user":
            turns.append((event["text"], []))
        elif event["event"] == "bot" and turns:
            turns[-1][1].append(event["text"])
    return turns


def test_fifty_people_on_two_replicas_then_one_replica_killed(deployment: Deployment) -> None:
    # Both replicas up: every message answered once, in order, by Rasa.
    deployment.burst(["what is naloxone", "how do i cut down on blues", "how long do vallies last"])
    deployment.wait_answered()
    for person in PEOPLE:
        assert all(answered for _, answered in deployment.read(person))

    # One replica killed while a burst is in flight.
    killed = deployment.replicas[0]
    deployment.burst(["how long do vallies last", "what is naloxone"])
    time.sleep(0.5)
    killed.process.send_signal(signal.SIGKILL)
    killed.process.wait()
    deployment.wait_answered()
    # Afterwards everyone is answered by the replica that is left.
    deployment.burst(["how do i cut down on blues"])
    deployment.wait_answered()

    apologised = 0
    for person in PEOPLE:
        outcomes = deployment.read(person)
        apologised += sum(not answered for _, answered in outcomes)
        assert outcomes[-1][1], (person, outcomes)  # the last message: Rasa's answer
        # Stored once each, in the order sent, each turn holding its own answer only.
        turns = stored_turns(deployment.database, person)
        answered_texts = [text for text, answered in outcomes if answered]
        stored_texts = [text for text, _ in turns]
        # A message can be stored and its answer lost with the replica: never the other way.
        assert is_subsequence(answered_texts, stored_texts), (person, outcomes, stored_texts)
        assert is_subsequence(stored_texts, deployment.sent[person]), (person, stored_texts)
        for text, bot_texts in turns:
            joined = " ".join(" ".join(bot_texts).split())
            start = " ".join(expected_answer(deployment.content, text)[0].split())[:30]
            assert start in joined, (person, text, bot_texts)
    # The killed replica had about half the people; some messages were in its hands.
    assert apologised <= 2 * len(PEOPLE)


def is_subsequence(part: list[str], whole: list[str]) -> bool:
    remaining = iter(whole)
    return all(any(item == candidate for candidate in remaining) for item in part)

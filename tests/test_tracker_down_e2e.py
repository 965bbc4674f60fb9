"""The conversation store going down mid-referral: said plainly, nothing half-made kept."""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from blether.db import make_engine
from tests.conftest import ROOT
from tests.stack import Stack, card_pieces, full_stack

pytestmark = pytest.mark.model
LOST = "Sorry, I can't keep track of our chat just now"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("tracker-down")
    content = workdir / "content"
    shutil.copytree(ROOT / "content", content)
    with full_stack(model_path, workdir, content, flood_limit=100) as stack:
        yield stack


@contextlib.contextmanager
def tracker_down(stack: Stack) -> Iterator[None]:
    """The conversation store gone (SQLite then makes an empty one), and back afterwards."""
    saved = stack.workdir / "tracker-saved.db"
    shutil.copy(stack.tracker_db, saved)
    stack.tracker_db.unlink()
    try:
        yield
    finally:
        shutil.copy(saved, stack.tracker_db)


def test_tracker_store_down_mid_referral_is_said_and_drops_nothing_silently(
    stack: Stack,
) -> None:
    fake, person = stack.fake, 555000301
    fake.send_text(person, "can i talk to a real person")
    consent = fake.wait_for(person, 1)[0]
    assert consent.params["text"].endswith("Is that okay?")
    fake.tap(person, consent, "/affirm")
    assert fake.wait_for(person, 2)[1].params["text"] == "Which area are you in?"

    with tracker_down(stack):
        fake.send_text(person, "Glasgow")
        reply = fake.wait_for(person, 3)[2].params["text"]
        assert reply.startswith(LOST) and "999" in reply
        assert not any(t.startswith("Okay. Ask me anything") for t in fake.texts(person))
        engine = make_engine(stack.env()["DATABASE_URL"])
        with engine.connect() as connection:
            made = connection.execute(sa.text("SELECT COUNT(*) FROM referrals")).scalar()
        engine.dispose()
        assert made == 0

        # An emergency still gets the card first, then the same plain note.
        before = len(fake.texts(person))
        fake.send_text(person, "my pal is no breathing")
        card = card_pieces("emergency_overdose")
        after = [s.params["text"] for s in fake.wait_for(person, before + card + 1)][before:]
        assert after[0].startswith("Call 999 now")
        assert after[card].startswith(LOST)


def test_marker_text_sent_through_every_failure_path_is_in_no_log(stack: Stack) -> None:
    fake, person = stack.fake, 555000302
    fake.send_text(person, "MARKER-ONE what is naloxone")
    fake.wait_for(person, 1)
    # A caller that gives up while Rasa is still working (Rasa's own channel logs the text).
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(
            stack.rasa_url,
            json={"sender": "tg-marker", "message": "MARKER-TWO is it safe to mix blues"},
            timeout=0.001,
        )
    time.sleep(1)  # for Rasa to finish (or drop) it
    # The conversation store down, and an emergency on top of it.
    with tracker_down(stack):
        fake.send_text(person, "MARKER-THREE my pal is no breathing")
        fake.wait_for_text(person, LOST)
    time.sleep(1)
    logs = list(stack.workdir.glob("*.log"))
    assert {p.name for p in logs} >= {"bridge.log", "rasa.log", "actions.log"}
    for log in logs:
        assert "MARKER" not in log.read_text(errors="replace"), log.name

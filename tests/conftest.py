"""Shared fixtures: a real copy of the content folder under tmp_path, and the trained model."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from blether.content import ContentLibrary
from blether.db import downgrade, make_engine, make_sessionmaker, upgrade

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "blether.tar.gz"
# The local PostgreSQL every machine runs (CI included), trust auth.
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def clean_app_database(kind: str, workdir: Path) -> str:
    """The app database a bridge test starts from: a new SQLite file, or the shared PostgreSQL
    `test` database with its schema dropped (the bridge migrates it at start)."""
    if kind == "sqlite":
        return f"sqlite:///{workdir}/app.db"
    downgrade(POSTGRES_URL)
    return POSTGRES_URL


def own_postgres_database(name: str) -> str:
    """A new, empty database on the local PostgreSQL, for a test that must not share `test`
    with another test run on the same machine (whose clean-up would empty its tables)."""
    import sqlalchemy as sa

    engine = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(ROOT / "content", target)
    return target


@pytest.fixture
def library(content_dir: Path) -> ContentLibrary:
    return ContentLibrary(content_dir)


@pytest.fixture(scope="session")
def model_path() -> Path:
    if not MODEL.exists():
        pytest.fail("no trained model: run the tests through `make test`, which trains it")
    return MODEL


# A few examples of each kind, enough for a danger model whose readings of these very lines the
# tests can rely on (the real one is trained on data/nlu by `make model`).
SMALL_DANGER_DATA = """version: "3.1"
nlu:
  - intent: emergency_overdose
    examples: |
      - hes not breathing and wont wake up
      - she has gone blue and floppy
      - my pal is unconscious on the floor
      - he is gurgling and i cant wake him
      - took too many and going under
  - intent: crisis_self_harm
    examples: |
      - i want to end it all tonight
      - nobody will miss me when im gone
      - ive saved up my pills for the weekend
      - gave away my dog, wont need anything where im going
      - this is my last night
  - intent: greet
    examples: |
      - hello there
      - hiya pal
      - good morning
  - intent: benzo_basics
    examples: |
      - what are blues
      - what is diazepam for
      - are benzos addictive
  - intent: goodbye
    examples: |
      - see you later
      - away to my bed now
      - cheerio for now
"""


@pytest.fixture(scope="session")
def small_danger_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A danger model trained on SMALL_DANGER_DATA, saved where a test can point at it."""
    from blether.danger import train_from
    from blether.language import Normaliser
    from blether.safety import floor_language

    folder = tmp_path_factory.mktemp("danger")
    (folder / "nlu").mkdir()
    (folder / "nlu" / "small.yml").write_text(SMALL_DANGER_DATA, encoding="utf-8")
    out = folder / "danger.joblib"
    train_from([folder / "nlu"], Normaliser(floor_language()), out)
    return out


def waiting_referral(
    session: Session,
    person: str,
    contact: str,
    worker: str,
    now: dt.datetime,
    help_text: str | None = "coming off blues",
) -> int:
    """A referral as the referral form leaves it: made, and waiting for `worker`."""
    from blether import referrals

    made = referrals.create(
        session,
        person=person,
        contact=contact,
        area="Glasgow",
        urgency="today",
        topic="request_human",
        help_text=help_text,
        now=now,
    )
    referrals.change(session, made, referrals.NEW, now, worker_id=worker)
    return made


def rewrite(path: Path, old: str, new: str) -> None:
    """Edit a content file the way an editor would, making sure the change is seen."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture(params=["sqlite", "postgresql"])
def app_sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker]:
    """The app database at the newest migration, on SQLite and on the local PostgreSQL."""
    url = f"sqlite:///{tmp_path}/app.db" if request.param == "sqlite" else POSTGRES_URL
    if request.param == "postgresql":
        downgrade(url)
    upgrade(url)
    engine = make_engine(url)
    yield make_sessionmaker(engine)
    engine.dispose()
    if request.param == "postgresql":
        downgrade(url)

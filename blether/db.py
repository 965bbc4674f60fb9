"""The app database (SQLite by default, PostgreSQL in production): engine, sessions, migrations."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.orm import sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str) -> sa.engine.Engine:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return sa.create_engine(url, future=True, pool_pre_ping=True)


def make_sessionmaker(engine: sa.engine.Engine) -> sessionmaker:
    return sessionmaker(engine, future=True, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


MIGRATION_LOCK = 0x626C6D67  # "blmg"


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate; on PostgreSQL one process at a time (bridges starting together wait in turn)."""
    if not url.startswith("postgresql"):
        command.upgrade(alembic_config(url), revision)
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            try:
                command.upgrade(alembic_config(url), revision)
            finally:
                connection.execute(
                    sa.text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK}
                )
    finally:
        engine.dispose()


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def staff_sessions(url: str) -> sessionmaker:
    """For a staff command run by hand: the database brought up to date, then its sessions."""
    upgrade(url)
    return make_sessionmaker(make_engine(url))

"""Alembic environment for the app database; the URL comes from blether.db.alembic_config."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from blether.tables import metadata

config = context.config


def run() -> None:
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url"), future=True)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()

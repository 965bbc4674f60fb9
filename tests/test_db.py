"""The migrations build exactly the schema the code reads (blether/tables.py), on both databases."""

from __future__ import annotations

import sqlalchemy as sa

from blether.db import make_engine, staff_sessions
from blether.tables import metadata
from tests.test_served import database_url  # noqa: F401 - the fixture: SQLite and PostgreSQL


def test_every_table_and_column_of_the_code_is_made_by_the_migrations(
    database_url: str,  # noqa: F811 - the fixture imported above
) -> None:
    staff_sessions(database_url)  # upgrades, as a staff command does
    engine = make_engine(database_url)
    try:
        inspector = sa.inspect(engine)
        for table in metadata.sorted_tables:
            made = {c["name"] for c in inspector.get_columns(table.name)}
            assert made == {c.name for c in table.columns}, table.name
    finally:
        engine.dispose()

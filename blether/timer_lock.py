"""One bridge at a time runs the timers (offers now; check-ins later), however many are up.

On PostgreSQL the bridge that holds a session-level advisory lock, on a connection of its own,
runs them; the others keep trying each round and take over when that connection goes (the
process died). SQLite is one process, so it always holds the lock.
"""

from __future__ import annotations

import contextlib
import logging

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger("blether.timers")
LOCK_KEY = 0x626C6574  # "blet"


class TimerLock:
    def __init__(self, engine: sa.engine.Engine, key: int = LOCK_KEY) -> None:
        self._engine = engine
        self._key = key
        self._connection: sa.engine.Connection | None = None

    def held(self) -> bool:
        """Whether this process runs the timers now; takes the lock when it is free."""
        if self._engine.dialect.name != "postgresql":
            return True
        if self._connection is not None:
            try:
                self._connection.execute(sa.text("SELECT 1"))
                return True
            except SQLAlchemyError:
                logger.warning("lost the timer lock's connection; trying to take it again")
                self.release()
        try:
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            taken = connection.execute(
                sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
            ).scalar()
        except SQLAlchemyError as error:
            logger.error("could not ask for the timer lock (%s)", type(error).__name__)
            return False
        if taken:
            self._connection = connection
            logger.info("this bridge runs the timers")
            return True
        connection.close()
        return False

    def release(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                # Closed for real, not returned to the pool, where the session (and the lock)
                # would live on.
                self._connection.invalidate()
                self._connection.close()
            self._connection = None

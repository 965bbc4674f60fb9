"""Rasa's SQL tracker store, configured from BLETHER_TRACKER_URL instead of endpoints.yml fields.

Rasa's endpoints.yml cannot give an environment variable a default, so the URL is read here:
SQLite under var/ when nothing is set, PostgreSQL (or any SQLAlchemy URL) by configuration.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from blether.settings import Settings
from blether.sql_url import sql_store_arguments

logger = logging.getLogger(__name__)


class BletherTrackerStore(SQLTrackerStore):
    """Keeps every conversation in SQL; logs (without ids) when the database fails."""

    def __init__(
        self,
        domain: Domain | None = None,
        event_broker: EventBroker | None = None,
        host: str | None = None,
        **kwargs: Any,
    ) -> None:
        url = Settings.from_env().tracker_url
        super().__init__(domain=domain, event_broker=event_broker, **sql_store_arguments(url))
        logger.info("tracker store: %s", make_url(url).get_backend_name())

    async def save(self, tracker: DialogueStateTracker) -> None:
        try:
            await super().save(tracker)
        except Exception:
            # Rasa's fail-safe wrapper falls back to memory after this; say so, loudly.
            logger.error("tracker store save failed; conversations are not being kept")
            raise

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        try:
            return await super().retrieve(sender_id)
        except Exception:
            logger.error("tracker store read failed; Rasa will answer from an empty conversation")
            raise

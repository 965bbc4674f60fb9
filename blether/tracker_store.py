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


class TrackerStoreUnavailable(BaseException):
    """The conversation could not be read or kept.

    A BaseException on purpose: Rasa wraps every tracker store in a fail-safe that catches
    Exception and carries on from an empty conversation in memory, which silently drops a
    referral half-way through its questions. This passes through it, so Rasa answers the
    message with an error instead, and the bridge tells the person it cannot keep track.
    """


class BletherTrackerStore(SQLTrackerStore):
    """Keeps every conversation in SQL; never lets Rasa fall back to memory."""

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
        except Exception as error:
            # The error's own text can hold SQL parameters (message text): name its kind only.
            logger.error("tracker store save failed (%s)", type(error).__name__)
            raise TrackerStoreUnavailable from None

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        try:
            return await super().retrieve(sender_id)
        except Exception as error:
            logger.error("tracker store read failed (%s)", type(error).__name__)
            raise TrackerStoreUnavailable from None

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        try:
            return await super().retrieve_full_tracker(sender_id)
        except Exception as error:
            logger.error("tracker store read failed (%s)", type(error).__name__)
            raise TrackerStoreUnavailable from None

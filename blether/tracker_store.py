"""Rasa's SQL tracker store, configured from BLETHER_TRACKER_URL instead of endpoints.yml fields.

Rasa's endpoints.yml cannot give an environment variable a default, so the URL is read here:
SQLite under var/ when nothing is set, PostgreSQL (or any SQLAlchemy URL) by configuration.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import make_url

from blether.rasa_speedups import install_cached_action_validation
from blether.settings import Settings
from blether.sql_url import sql_store_arguments
from blether.tracker_window import (
    SNAPSHOT_METADATA,
    SNAPSHOTS,
    CarriedState,
    LoadedWindow,
    state_after,
    turn_start_before,
)

logger = logging.getLogger(__name__)

# The attribute a retrieved tracker carries until it is saved (see LoadedWindow).
_LOADED = "_blether_loaded_window"


def _sqlite_write_ahead(connection: Any, _record: Any) -> None:
    """SQLite in write-ahead mode: a save appends to the log and syncs it once, instead of
    writing a rollback journal and the database and syncing both, and readers never wait for
    a writer. Every commit is still synced to disk (synchronous FULL)."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


class TrackerStoreUnavailable(BaseException):
    """The conversation could not be read or kept.

    A BaseException on purpose: Rasa wraps every tracker store in a fail-safe that catches
    Exception and carries on from an empty conversation in memory, which silently drops a
    referral half-way through its questions. This passes through it, so Rasa answers the
    message with an error instead, and the bridge tells the person it cannot keep track.
    """


class BletherTrackerStore(SQLTrackerStore):
    """Keeps every conversation in SQL; never lets Rasa fall back to memory.

    Rasa is given a bounded window of each conversation (blether/tracker_window.py): the
    events after the person's snapshot, with the snapshot's state carried in before them.
    """

    def __init__(
        self,
        domain: Domain | None = None,
        event_broker: EventBroker | None = None,
        host: str | None = None,
        **kwargs: Any,
    ) -> None:
        settings = Settings.from_env()
        url = settings.tracker_url
        # The one Blether part Rasa builds when its server starts (see the module's note).
        install_cached_action_validation()
        super().__init__(domain=domain, event_broker=event_broker, **sql_store_arguments(url))
        self._window = settings.tracker_window
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_write_ahead)
            self.engine.dispose()  # connections made before the listener reconnect with it
        SNAPSHOT_METADATA.create_all(self.engine)
        logger.info("tracker store: %s", make_url(url).get_backend_name())

    async def save(self, tracker: DialogueStateTracker) -> None:
        try:
            loaded = getattr(tracker, _LOADED, None)
            if not isinstance(loaded, LoadedWindow):
                await super().save(tracker)
                return
            await self.stream_events(tracker)
            self._save_window(tracker, loaded)
        except Exception as error:
            # The error's own text can hold SQL parameters (message text): name its kind only.
            logger.error("tracker store save failed (%s)", type(error).__name__)
            raise TrackerStoreUnavailable from None

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        try:
            return self._retrieve_window(sender_id)
        except Exception as error:
            logger.error("tracker store read failed (%s)", type(error).__name__)
            raise TrackerStoreUnavailable from None

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        try:
            return await super().retrieve_full_tracker(sender_id)
        except Exception as error:
            logger.error("tracker store read failed (%s)", type(error).__name__)
            raise TrackerStoreUnavailable from None

    def _retrieve_window(self, sender_id: str) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            snapshot = session.execute(
                sa.select(SNAPSHOTS.c.through_id, SNAPSHOTS.c.state).where(
                    SNAPSHOTS.c.sender_id == sender_id
                )
            ).first()
            # Only the id and the event's JSON: no ORM objects to build for each row.
            columns = (self.SQLEvent.id, self.SQLEvent.data)
            if snapshot is None:
                query = self._event_query(session, sender_id, False).with_entities(*columns)
            else:
                query = (
                    session.query(*columns)
                    .filter(
                        self.SQLEvent.sender_id == sender_id,
                        self.SQLEvent.id > snapshot.through_id,
                    )
                    .order_by(self.SQLEvent.id)
                )
            rows = query.all()
            if not self.domain or not (rows or snapshot):
                return None
            events = [json.loads(row.data) for row in rows]
            carried: list[dict[str, Any]] = []
            if snapshot is not None:
                first = events[0].get("timestamp") if events else None
                carried = CarriedState.from_json(snapshot.state).as_events(first)
            tracker = DialogueStateTracker.from_dict(sender_id, carried + events, self.domain.slots)
            ids = [row.id for row in rows]
            setattr(
                tracker, _LOADED, LoadedWindow(carried, events, ids, len(carried) + len(events))
            )
            return tracker

    def _save_window(self, tracker: DialogueStateTracker, loaded: LoadedWindow) -> None:
        new_events = list(itertools.islice(tracker.events, loaded.stored, len(tracker.events)))
        with self.session_scope() as session:
            rows = [self._event_row(tracker.sender_id, event) for event in new_events]
            session.add_all(rows)
            session.flush()
            events = loaded.events + [event.as_dict() for event in new_events]
            ids = loaded.ids + [row.id for row in rows]
            carried = loaded.carried
            if self._window and len(events) > 2 * self._window:
                cut = turn_start_before(events, len(events) - self._window)
                if cut:
                    state = state_after(
                        tracker.sender_id, carried, events[:cut], list(self.domain.slots)
                    )
                    self._store_snapshot(session, tracker.sender_id, ids[cut - 1], state)
                    carried = state.as_events(events[cut].get("timestamp"))
                    events, ids = events[cut:], ids[cut:]
            session.commit()
        # Rasa may save the same tracker again while it handles this message.
        setattr(tracker, _LOADED, LoadedWindow(carried, events, ids, len(tracker.events)))

    def _event_row(self, sender_id: str, event: Event) -> Any:
        """A row of Rasa's events table, filled as Rasa's own save fills it."""
        data = event.as_dict()
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            action_name=data.get("name"),
            data=json.dumps(data),
        )

    @staticmethod
    def _store_snapshot(session: Any, sender_id: str, through_id: int, state: CarriedState) -> None:
        values = {"through_id": through_id, "state": state.to_json(), "updated_at": time.time()}
        updated = session.execute(
            sa.update(SNAPSHOTS).where(SNAPSHOTS.c.sender_id == sender_id).values(**values)
        )
        if not updated.rowcount:
            session.execute(sa.insert(SNAPSHOTS).values(sender_id=sender_id, **values))

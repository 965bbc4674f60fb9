"""A bounded window of one conversation, so that a message costs the same at any length.

Rasa reads, replays, featurises and sends to the action server every event of a conversation
for every message. Blether keeps every event in the database, but Rasa is given only the last
part of it, with what the earlier part left behind carried in at its start: the slots, the form
that is active (and whether it was interrupted) and whether the conversation is paused. That
state is stored as a snapshot (`blether_tracker_snapshots`), valid after one event id; the
events after it are replayed on top of it, so every state from the snapshot on is exact.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import (
    ActiveLoop,
    ConversationPaused,
    Event,
    LoopInterrupted,
    SlotSet,
)
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker

# Rasa creates its own `events` table when its tracker store starts; the snapshots live beside
# it in the same database (which may not be Blether's own), so they are created the same way.
SNAPSHOT_METADATA = sa.MetaData()
SNAPSHOTS = sa.Table(
    "blether_tracker_snapshots",
    SNAPSHOT_METADATA,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    # The state is what the conversation's events up to and including this id left behind.
    sa.Column("through_id", sa.Integer, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    # UNIX time the snapshot was taken: every event it sums up is older (retention, blether purge).
    sa.Column("updated_at", sa.Float, nullable=False, index=True),
)


@dataclass(frozen=True)
class CarriedState:
    """What earlier events leave behind that later ones rely on."""

    slots: dict[str, Any] = field(default_factory=dict)
    active_loop: str | None = None
    loop_interrupted: bool = False
    paused: bool = False

    def to_json(self) -> str:
        return json.dumps(
            {
                "slots": self.slots,
                "active_loop": self.active_loop,
                "loop_interrupted": self.loop_interrupted,
                "paused": self.paused,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> CarriedState:
        data = json.loads(text)
        return cls(
            slots=dict(data.get("slots") or {}),
            active_loop=data.get("active_loop"),
            loop_interrupted=bool(data.get("loop_interrupted")),
            paused=bool(data.get("paused")),
        )

    def as_events(self, timestamp: float | None) -> list[dict[str, Any]]:
        """Events that recreate this state at the start of a tracker."""
        events: list[Event] = [
            SlotSet(name, value, timestamp) for name, value in self.slots.items()
        ]
        if self.active_loop:
            events.append(ActiveLoop(self.active_loop, timestamp))
            if self.loop_interrupted:
                events.append(LoopInterrupted(True, timestamp))
        if self.paused:
            events.append(ConversationPaused(timestamp))
        return [event.as_dict() for event in events]


def state_of(tracker: DialogueStateTracker) -> CarriedState:
    """The state a tracker is in, with slots left at their initial value left out."""
    slots = {
        name: slot.value for name, slot in tracker.slots.items() if slot.value != slot.initial_value
    }
    loop = tracker.active_loop
    return CarriedState(
        slots=slots,
        active_loop=tracker.active_loop_name,
        loop_interrupted=bool(loop and loop.is_interrupted),
        paused=tracker.is_paused(),
    )


def state_after(
    sender_id: str, carried: list[dict[str, Any]], events: list[dict[str, Any]], slots: list[Slot]
) -> CarriedState:
    """The state after the carried-in events and then `events` (a bounded replay)."""
    return state_of(DialogueStateTracker.from_dict(sender_id, carried + events, slots))


def turn_start_before(events: list[dict[str, Any]], limit: int) -> int | None:
    """The last index at or before `limit` where a turn starts (action_listen, then the user).

    A window that starts there begins with a whole turn, as a conversation does.
    """
    for index in range(min(limit, len(events) - 2), 0, -1):
        event, following = events[index], events[index + 1]
        if (
            event.get("event") == "action"
            and event.get("name") == ACTION_LISTEN_NAME
            and following.get("event") == "user"
        ):
            return index
    return None


@dataclass
class LoadedWindow:
    """Kept on a tracker between retrieve and save: which of its events are stored already."""

    carried: list[dict[str, Any]]  # the snapshot's state as events, before `events`
    events: list[dict[str, Any]]  # the stored events after the snapshot, oldest first
    ids: list[int]  # their database ids
    stored: int  # how many of the tracker's events (carried ones too) need no saving

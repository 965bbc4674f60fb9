"""The bounded window's parts on their own: the carried state and where a window may start."""

from __future__ import annotations

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, LoopInterrupted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from blether.tracker_window import CarriedState, state_after, state_of, turn_start_before
from tests.conftest import ROOT


def test_the_carried_state_recreates_slots_form_and_pause() -> None:
    slots = Domain.load(ROOT / "domain.yml").slots
    state = CarriedState(
        slots={"referral_area": "Fife", "checkin_wanted": True},
        active_loop="checkin_form",
        loop_interrupted=True,
        paused=True,
    )
    assert CarriedState.from_json(state.to_json()) == state
    tracker = DialogueStateTracker.from_dict("someone", state.as_events(1.0), slots)
    assert state_of(tracker) == state


def test_the_state_after_some_events_replays_only_them() -> None:
    slots = Domain.load(ROOT / "domain.yml").slots
    carried = CarriedState(slots={"referral_area": "Fife"}).as_events(1.0)
    events = [
        SlotSet("referral_area", "Glasgow").as_dict(),
        ActiveLoop("referral_form").as_dict(),
        LoopInterrupted(True).as_dict(),
        ActiveLoop(None).as_dict(),
    ]
    assert state_after("someone", carried, events, slots) == CarriedState(
        slots={"referral_area": "Glasgow"}
    )


def test_a_window_starts_where_a_turn_starts() -> None:
    listen = {"event": "action", "name": "action_listen"}
    user = {"event": "user", "text": "hiya"}
    bot = {"event": "bot", "text": "hello"}
    greet = {"event": "action", "name": "utter_greet"}
    events = [listen, user, greet, bot, listen, user, greet, bot, listen]
    assert turn_start_before(events, 7) == 4
    assert turn_start_before(events, 3) is None  # index 0 would leave nothing to carry
    assert turn_start_before([listen, user], 5) is None

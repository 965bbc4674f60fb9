from blether.bridge.delivery import callback_data, from_rasa, instructions_from, payload_of
from blether.replies import Button, Reply


def test_short_payloads_travel_as_they_are_long_ones_by_key() -> None:
    remembered: dict[str, str] = {}
    assert callback_data("/naloxone", remembered) == "/naloxone"
    long = '/couse_opioids{"substance": "' + "é" * 40 + '"}'
    key = callback_data(long, remembered)
    assert len(key.encode()) <= 64
    assert payload_of(key, remembered) == long
    assert payload_of("h:unknown", remembered) is None


def test_rasa_messages_become_replies() -> None:
    message = {
        "text": " Hi ",
        "buttons": [{"title": "A", "payload": "/a"}, {"title": "", "payload": "/b"}],
    }
    assert from_rasa(message) == Reply("Hi", (Button("A", "/a"),))
    assert from_rasa({"image": "x.png"}) is None


def test_instructions_from_rasa_are_custom_payloads_for_the_bridge() -> None:
    raw = [
        {"recipient_id": "x", "text": "hello"},
        {
            "recipient_id": "x",
            "custom": {"blether": {"checkin": {"minutes": 20, "notify": "worker"}}},
        },
        {"recipient_id": "x", "custom": {"something": "else"}},
        {"recipient_id": "x", "custom": {"blether": {"checkin": "not a mapping"}}},
    ]
    assert instructions_from(raw) == {"checkin": [{"minutes": 20, "notify": "worker"}]}
    assert from_rasa(raw[1]) is None  # never shown to the person

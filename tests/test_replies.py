from __future__ import annotations

from pathlib import Path

from blether.content import ContentLibrary
from blether.replies import Button, menu_answer, topic_answer


def test_summary_first_then_body_with_follow_up_buttons(library: ContentLibrary) -> None:
    answer = topic_answer(library, "withdrawal")
    topic = library.topic("withdrawal")
    assert [r.text for r in answer.replies] == [topic.meta.summary, topic.body]
    # One button per follow-up, in the file's order, titled from each follow-up's own file.
    assert topic.meta.follow_ups[0] == "reduce_stop"
    assert answer.replies[1].buttons == tuple(
        Button(library.topic(t).meta.title, f"/{t}") for t in topic.meta.follow_ups
    )
    assert answer.replies[1].buttons[0] == Button("Cutting down or stopping", "/reduce_stop")
    assert answer.provenance == f"topics/withdrawal.md@{topic.version}"


def test_the_emergency_card_is_one_message_with_every_step(library: ContentLibrary) -> None:
    answer = topic_answer(library, "emergency_overdose")
    first = answer.replies[0].text
    assert first.startswith("Call 999 now and ask for an ambulance.")
    assert "?" not in first.split("naloxone")[0]
    for step in ("Stay with them", "recovery position", "CPR", "naloxone"):
        assert step in first


def test_a_follow_up_whose_file_is_broken_is_left_out(content_dir: Path) -> None:
    (content_dir / "topics" / "get_treatment.md").write_text("broken")
    library = ContentLibrary(content_dir)
    follow_ups = library.topic("withdrawal").meta.follow_ups
    assert "get_treatment" in follow_ups
    answer = topic_answer(library, "withdrawal")
    assert [b.payload for b in answer.replies[-1].buttons] == [
        f"/{t}" for t in follow_ups if t != "get_treatment"
    ]


def test_menu_with_a_lead_line(library: ContentLibrary) -> None:
    answer = menu_answer(library, lead="Sorry, I didn't get that.")
    assert answer.replies[0].text == "Sorry, I didn't get that."
    assert [b.payload for b in answer.replies[1].buttons] == [
        f"/{t}" for t in library.menu().topics
    ]

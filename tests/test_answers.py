"""Which answers a topic can send, read from a real content folder."""

from __future__ import annotations

from blether.answers import answer_for, every_answer, referral_declined
from blether.content import ContentLibrary


def test_asking_for_a_person_opens_the_referral_form(library: ContentLibrary) -> None:
    answer = answer_for(library, "request_human")
    assert answer.replies[0].text == library.referral().ask_consent
    assert [b.payload for b in answer.replies[0].buttons] == ["/affirm", "/deny"]


def test_declining_still_gives_services_and_the_topic_file(library: ContentLibrary) -> None:
    answer = referral_declined(library)
    texts = [r.text for r in answer.replies]
    assert texts[0] == library.referral().stopped
    assert library.topic("request_human").body in texts
    assert any("Know the Score" in t and "0800 587 5879" in t for t in texts)
    assert [b.payload for b in answer.replies[-1].buttons] == ["/find_service", "/privacy"]
    assert any(s.startswith("topics/request_human.md@") for s in answer.served_from)


def test_every_answer_lists_both_referral_paths_and_one_for_other_topics(
    library: ContentLibrary,
) -> None:
    paths = every_answer(library, "request_human")
    assert [when for when, _ in paths] == ["", "if they say no to being contacted"]
    [(when, naloxone)] = every_answer(library, "naloxone")
    assert when == "" and naloxone == answer_for(library, "naloxone")

"""Which answers a topic can send, read from a real content folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from blether.answers import answer_for, every_answer, referral_declined
from blether.content import ContentLibrary
from blether.mentions import Mention
from tests.alert_files import write_alert


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


def _mention(name: str, substance_class: str) -> Mention:
    return Mention(text=name, name=name, substance_class=substance_class, start=0, end=len(name))


def test_what_is_going_about_lists_current_alerts_for_the_area_first(
    content_dir: Path, library: ContentLibrary
) -> None:
    write_alert(content_dir, "glasgow", areas="[Glasgow]", title="Green blues in Glasgow")
    write_alert(content_dir, "edinburgh", areas="[Edinburgh]", title="Bad gear in Edinburgh")
    answer = answer_for(library, "drug_alerts", [], "any alerts in glasgow")
    assert "Green blues in Glasgow" in answer.replies[0].text
    assert not any("Edinburgh" in r.text for r in answer.replies)
    assert answer.replies[-1].buttons[0].payload == "al:menu"
    assert any(s.startswith("alerts/glasgow.md@") for s in answer.served_from)


def test_no_current_alert_says_that_is_not_the_same_as_safe(
    content_dir: Path, library: ContentLibrary
) -> None:
    write_alert(content_dir, "old", valid_until=dt.date.today() - dt.timedelta(days=1))
    answer = answer_for(library, "drug_alerts", [_mention("heroin", "opioid")], "is the gear ok")
    first = answer.replies[0].text
    assert first.startswith("No current drug alerts from this service about heroin")
    assert "does not mean" in first


def test_naming_a_substance_puts_its_alerts_before_the_answer_but_never_before_a_card(
    content_dir: Path, library: ContentLibrary
) -> None:
    write_alert(content_dir, "blues", substances="[street benzos]", title="Nitazenes in blues")
    blues = [_mention("street benzos", "benzodiazepine")]
    couse = answer_for(library, "couse_opioids", blues)
    assert couse.replies[0].text.splitlines()[1] == "Nitazenes in blues"
    plain = answer_for(library, "naloxone")
    assert not any("Nitazenes in blues" in r.text for r in plain.replies)
    card = answer_for(library, "emergency_overdose", blues)
    assert card.replies == answer_for(library, "emergency_overdose").replies

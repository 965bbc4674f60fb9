from __future__ import annotations

from pathlib import Path

import pytest

from blether.content import ContentLibrary
from blether.content.models import Risk
from blether.couse import (
    COUSE_TOPICS,
    MAX_PAIRS,
    RISK_ORDER,
    PairNote,
    couse_answer,
    couse_fallback,
    couse_topic_for,
    more_answer,
    more_payload,
    ranked_notes,
    split_at_cap,
    substances_to_explain,
)
from blether.lexicon import SubstanceLexicon
from blether.mentions import distinct_substances


def test_named_substances_are_in_the_note(library: ContentLibrary) -> None:
    mentions = SubstanceLexicon(library.substances()).find("blues and methadone")
    answer = couse_answer(library, "couse_opioids", mentions)
    note = answer.replies[1].text
    assert note.startswith("Dangerous mix: blues (street benzos) + methadone.")
    assert "Blues and methadone both slow your breathing" in note
    assert answer.served_from[0].startswith("topics/couse_opioids.md@")
    assert answer.served_from[1].startswith("combinations.yml@")


def test_order_of_naming_does_not_swap_the_roles(library: ContentLibrary) -> None:
    mentions = SubstanceLexicon(library.substances()).find("coke then blues")
    note = couse_answer(library, "couse_stimulants", mentions).replies[1].text
    assert "Coke can hide how sedated you are from blues" in note


def test_nothing_named_falls_back_to_the_topic_pair(library: ContentLibrary) -> None:
    note = couse_answer(library, "couse_gabapentinoids", []).replies[1].text
    assert note.startswith("Dangerous mix: benzos + pregabalin or gabapentin.")


def test_one_named_substance_is_paired_with_the_topic_class(library: ContentLibrary) -> None:
    mentions = SubstanceLexicon(library.substances()).find("can i drink on my vallies")
    assert {m.substance_class for m in mentions} == {"alcohol", "benzodiazepine"}
    only_vallies = [m for m in mentions if m.substance_class == "benzodiazepine"]
    chosen = substances_to_explain(
        only_vallies, ("benzodiazepine", "alcohol"), library.combinations().class_names
    )
    assert [m.short for m in chosen] == ["vallies", "alcohol"]


def test_two_of_the_same_class_are_explained_not_unknown(library: ContentLibrary) -> None:
    mentions = SubstanceLexicon(library.substances()).find("blues and etizzies")
    note = couse_answer(library, "couse_opioids", mentions).replies[1].text
    assert note.startswith("Dangerous mix: blues (street benzos) + etizzies (etizolam).")


def _without_pair(path: Path, first: str, second: str) -> None:
    """Delete one pair's entry from combinations.yml, as an editor might by mistake."""
    lines = path.read_text().splitlines(keepends=True)
    heads = {f"  - classes: [{first}, {second}]\n", f"  - classes: [{second}, {first}]\n"}
    start = next(i for i, line in enumerate(lines) if line in heads)
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].startswith("  - classes:")),
        len(lines),
    )
    path.write_text("".join(lines[:start] + lines[end:]))


def test_a_pair_missing_from_the_file_is_unknown(
    library: ContentLibrary, content_dir: Path
) -> None:
    _without_pair(content_dir / "combinations.yml", "stimulant", "ketamine")
    mentions = SubstanceLexicon(library.substances()).find("coke and ket")
    note = couse_answer(library, "couse_stimulants", mentions).replies[1].text
    assert note.startswith("Not known: coke (cocaine) + ket (ketamine).")


def notes(*risks: Risk) -> list[PairNote]:
    return [PairNote(risk, f"{risk} {n}") for n, risk in enumerate(risks)]


def test_every_dangerous_pair_is_kept_whatever_the_cap() -> None:
    five: list[Risk] = ["dangerous"] * 5
    shown, hidden = split_at_cap(notes(*five, "caution", "unknown"))
    assert [n.risk for n in shown] == ["dangerous"] * 5
    assert [n.risk for n in hidden] == ["caution", "unknown"]


def test_other_pairs_fill_up_to_the_cap() -> None:
    shown, hidden = split_at_cap(notes("dangerous", "caution", "caution", "low-known-risk"))
    assert len(shown) == MAX_PAIRS == 3
    assert [n.text for n in hidden] == ["low-known-risk 3"]
    assert split_at_cap(notes("caution", "unknown")) == (notes("caution", "unknown"), [])


def test_pairs_are_ranked_dangerous_then_caution_unknown_and_lower_risk(
    library: ContentLibrary, content_dir: Path
) -> None:
    _without_pair(content_dir / "combinations.yml", "stimulant", "ketamine")
    combos = library.combinations()
    lexicon = SubstanceLexicon(library.substances())
    chosen = distinct_substances(lexicon.find("weed coke ket blues drink ecstasy gear"))
    ranked = ranked_notes(combos, chosen)
    assert len(ranked) == 21
    order = [RISK_ORDER.index(n.risk) for n in ranked]
    assert order == sorted(order)
    assert "unknown" in {n.risk for n in ranked}
    labels = {combos.risk_labels[n.risk] for n in ranked}
    assert all(n.text.split(":")[0] in labels for n in ranked)


def test_a_long_list_says_how_many_more_with_a_button(library: ContentLibrary) -> None:
    mentions = SubstanceLexicon(library.substances()).find("weed coke ket quetties and ecstasy")
    combos = library.combinations()
    shown, hidden = split_at_cap(ranked_notes(combos, distinct_substances(mentions)))
    assert hidden, "this mix of drugs should have more than three pairs worth saying"
    answer = couse_answer(library, "couse_stimulants", mentions)
    reply = answer.replies[1]
    assert reply.text.split("\n\n")[:-1] == [n.text for n in shown]
    assert reply.text.endswith(f"And {len(hidden)} more from what you named.")
    [button] = reply.buttons
    assert button.payload == '/couse_stimulants{"couse_all":true}'
    more = more_answer(library, "couse_stimulants", mentions)
    assert more.replies[0].text == "\n\n".join(n.text for n in hidden)
    assert more.replies[0].buttons == ()
    assert more.served_from[0].startswith("combinations.yml@")


def test_the_more_button_fits_in_telegram_callback_data() -> None:
    for topic_id in COUSE_TOPICS:
        assert len(more_payload(topic_id).encode()) <= 64


def test_the_more_button_after_the_question_is_gone_answers_afresh(
    library: ContentLibrary,
) -> None:
    answer = more_answer(library, "couse_opioids", [])
    assert answer.replies[0].text == library.topic("couse_opioids").meta.summary
    assert answer.replies[1].text.startswith("Dangerous mix: benzos + opioids")


def test_dangerous_pairs_are_all_said_in_a_long_list(library: ContentLibrary) -> None:
    mentions = SubstanceLexicon(library.substances()).find("blues gear drink pregabs coke")
    combos = library.combinations()
    ranked = ranked_notes(combos, distinct_substances(mentions))
    dangerous = [n.text for n in ranked if n.risk == "dangerous"]
    assert len(dangerous) > MAX_PAIRS
    note = couse_answer(library, "couse_opioids", mentions).replies[1].text
    assert all(text in note for text in dangerous)
    assert note.startswith("Dangerous mix: blues (street benzos) + gear (heroin).")


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("blues and gear", "couse_opioids"),
        ("gabbies and blues", "couse_gabapentinoids"),
        ("coke and blues", "couse_stimulants"),
        ("coke and a drink", "couse_alcohol"),
        ("blues gabbies coke and gear", "couse_opioids"),
        ("blues", None),
        ("blues and etizzies", None),
    ],
)
def test_the_co_use_topic_that_fits_the_classes_named(
    library: ContentLibrary, text: str, topic: str | None
) -> None:
    mentions = SubstanceLexicon(library.substances()).find(text)
    assert couse_topic_for(library, mentions) == topic


def test_not_understood_but_two_kinds_named_gets_the_pairs_then_the_menu(
    library: ContentLibrary,
) -> None:
    lexicon = SubstanceLexicon(library.substances())
    mentions = lexicon.find("is it safe to take blues gabbies coke and gear")
    answer = couse_fallback(library, mentions)
    assert answer is not None and answer.topic == "couse_opioids"
    assert answer.replies[0].text.startswith("Dangerous mix: blues (street benzos) + gabbies")
    assert "gear (heroin)" in answer.replies[0].text
    assert answer.replies[-1].text == library.menu().prompt
    assert answer.served_from[0].startswith("combinations.yml@")
    assert couse_fallback(library, lexicon.find("Billy took blues")) is None

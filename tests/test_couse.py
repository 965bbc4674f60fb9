from __future__ import annotations

from blether.content import ContentLibrary
from blether.couse import couse_answer, substances_to_explain
from blether.lexicon import SubstanceLexicon


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


def test_a_pair_missing_from_the_file_is_unknown(library: ContentLibrary, content_dir) -> None:
    text = (content_dir / "combinations.yml").read_text()
    start = text.index("  - classes: [stimulant, other]")
    end = text.index("  - classes: [other, other]")
    (content_dir / "combinations.yml").write_text(text[:start] + text[end:])
    mentions = SubstanceLexicon(library.substances()).find("coke and ket")
    note = couse_answer(library, "couse_stimulants", mentions).replies[1].text
    assert note.startswith("Not known: coke (cocaine) + ket (ketamine).")


def test_at_most_three_pairs(library: ContentLibrary) -> None:
    mentions = SubstanceLexicon(library.substances()).find("blues gear drink pregabs coke")
    note = couse_answer(library, "couse_opioids", mentions).replies[1].text
    assert note.count("\n\n") == 2

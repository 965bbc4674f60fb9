"""The safety net on its own: one rule family at a time, scoped cancelling, idioms, the floor."""

from __future__ import annotations

from pathlib import Path

import pytest

from blether.content import ContentLibrary
from blether.safety import Doubt, SafetyNet, SafetyNetSource, floor_net
from tests.conftest import ROOT, rewrite


@pytest.fixture(scope="module")
def net() -> SafetyNet:
    # The real content folder, read only: built once for the many cases below.
    return SafetyNetSource(ContentLibrary(ROOT / "content")).get()


def topic(net: SafetyNet, text: str) -> str | None:
    match = net.check(text)
    return match.topic if match else None


EMERGENCY_FAMILIES = {
    "not breathing": ["ma pal's nae breathin", "hes no breathing right", "she can hardly breathe"],
    "breathing slowly or noisily with no response": [
        "his breathing is dead slow and he wont wake",
        "hes snoring weird and i cant wake him",
        "she's making a gurgling noise",
    ],
    "cannot wake, not responding, unconscious": [
        "he willnae wake",
        "she's no respondin tae anything",
        "my boyfriend is unconcious",
        "hes slumped in the chair",
        "she's gone all floppy",
    ],
    "going blue, grey or purple": ["shes goin blue", "his lips are purple", "hes aw grey"],
    "fitting after drugs": ["hes fittin after the blues", "she's having a seizure"],
    "choking on vomit": ["he's choking on his sick"],
    "no pulse": ["i cant find a pulse", "there's nae pulse"],
    "dying or dead now": ["i think my pal is dying", "hes deid i think"],
    "an overdose happening now": ["took an od", "help overdose", "think she's had an od"],
    "naloxone given and still no response": ["gave him naloxone and hes still no moving"],
    "asking whether to call 999 now": ["should i phone 999 hes gurgling"],
}

CRISIS_FAMILIES = {
    "wanting to die": [
        "i want tae dee",
        "i wish i was deid",
        "I'm not suicidal, I just want to die",
    ],
    "killing or harming oneself, Scots forms too": [
        "a want tae dae masel in",
        "kms",
        "gonna top masel",
    ],
    "plans and means": [
        "ive saved up all my pills",
        "i bought a rope today",
        "standing on the bridge right now",
        "writing goodbye letters to my weans",
        "tonights my last night",
    ],
    "a deliberate overdose": ["took them all on purpose", "taking the lot so i dont wake up"],
    "cutting or self-harm now": ["cutting again", "im self harming"],
    "statements services treat as risk": [
        "no point living",
        "everyone would be better off without me",
        "im done with life",
    ],
}


@pytest.mark.parametrize(
    "text", [t for family in EMERGENCY_FAMILIES.values() for t in family], ids=str
)
def test_each_emergency_family_is_caught(net: SafetyNet, text: str) -> None:
    assert topic(net, text) == "emergency_overdose"


@pytest.mark.parametrize(
    "text", [t for family in CRISIS_FAMILIES.values() for t in family], ids=str
)
def test_each_crisis_family_is_caught(net: SafetyNet, text: str) -> None:
    assert topic(net, text) == "crisis_self_harm"


@pytest.mark.parametrize(
    "text",
    [
        "dying for a fag",
        "my back is killing me",
        "my phone is dying",
        "im deid tired",
        "I'm off now",
        "i had an overdose two years ago",
        "do the police come with an ambulance",
        "I'm not suicidal, just tired",
        "what to do if someone ever stops breathing",
        "how do i know if someone is overdosing",
        "what are the signs of an overdose",
        "can i stop all at once",
        "i used to self harm",
        "what are blues",
        "",
        "😀" * 500,
    ],
)
def test_idioms_past_events_questions_and_denials_are_not_forced(net: SafetyNet, text: str) -> None:
    assert net.check(text) is None


def test_a_cancel_reaches_only_its_own_clause(net: SafetyNet) -> None:
    # "last week" is in another clause from the danger: it must not cancel it.
    assert topic(net, "got out the jail last week and now he's not breathing") == (
        "emergency_overdose"
    )
    assert topic(net, "what are the signs of an overdose? he's not breathing") == (
        "emergency_overdose"
    )
    # In the same clause it does.
    assert topic(net, "he stopped breathing last year") is None


def test_present_tense_wins_over_a_past_cancel_but_not_over_a_denial(net: SafetyNet) -> None:
    assert topic(net, "she od'd last year and she's overdosing again right now") == (
        "emergency_overdose"
    )
    assert topic(net, "im not suicidal right now") is None


def test_an_idiom_cannot_cancel_a_real_danger_beside_it(net: SafetyNet) -> None:
    assert topic(net, "my phone is dying and my pal is not breathing") == "emergency_overdose"


def test_a_deliberate_overdose_is_a_crisis(net: SafetyNet) -> None:
    assert topic(net, "took them all on purpose so i dont wake up") == "crisis_self_harm"


def test_emergency_wins_when_both_match(net: SafetyNet) -> None:
    assert topic(net, "i want to kill myself and hes not breathing") == "emergency_overdose"


# Families added after fresh set K: each caught by its meaning, in Scots forms too.
NEW_EMERGENCY_FAMILIES = {
    "a chest hardly rising, breathing that stops and starts": [
        "ma brothers chest is barely risin",
        "her breathin keeps stoapin then she gasps",
        "he stops breathing for ages then starts again with a snort",
    ],
    "not sure they are breathing at all": [
        "i cannae tell if ma pal is breathin",
        "dont know whether she is even breathing",
    ],
    "not conscious, will not open their eyes, no reaction out of them": [
        "he's no fully conscious",
        "she wont open her eyes when i shout",
        "cant get a peep out o him",
    ],
    "lying dead still; stiff and shaking": [
        "my da's lying stock still on the kitchen floor",
        "her legs went rigid n she started shakin",
    ],
    "going over straight after a first hit out of jail": [
        "first hit since he got out the jail and he went straight over",
    ],
}

NEW_CRISIS_FAMILIES = {
    "deciding who gets their things": ["worked out who gets my cat an my savings"],
    "the pain will not stop unless they go": [
        "the noise in my head will never stop until im gone",
        "only way any of this ends is if i die",
    ],
    "tired of breathing; done fighting with a goodbye; sorry to someone": [
        "so tired of breathing",
        "done fighting, bye x",
        "tell ma brother am sorry for everything",
    ],
    "searching for how much it takes": [
        "googlin how many of my tablets it would take",
        "looked up painless methods",
    ],
    "making it stop for good; nobody in time; a ligature tied": [
        "gonna make the thoughts go away permanently",
        "ill go where no one will get to me in time",
        "i hooked the flex over the loft hatch",
    ],
    "wanting out with nothing mattering; gone for good": [
        "nothing means anything, i just want out",
        "want to disappear into thin air forever",
    ],
}


# Families written after fresh sets L and N (means and intent, a ligature, a fatal amount wanted)
MEANS_AND_INTENT_FAMILIES = {
    "a supply put by to be taken at once, or laid out": [
        "been putting aside my takeaways to down them all in one go",
        "25 pregabs counted out on my bedside",
    ],
    "what amount would stop their own heart": ["whit number of vallies wid stop ma heart"],
    "on purpose, hoping not to come back": [
        "banging the lot on purpose tonight",
        "hope i never come round fae this",
    ],
    "a ligature fixed; a place and no coming back": [
        "dog lead tied round the banister",
        "walking to the canal the night, no coming back",
    ],
    "a fatal amount, and wanting it": ["will 40 blues and the buckie kill me, thats all i want"],
    "affairs settled, better without me, not safe, finishing the job": [
        "paid off all my debts and said my goodbyes, its the end",
        "the weans are happier without me",
        "i dont feel safe on my own tonight",
        "may as well finish the job this time",
    ],
    "means hidden for when it gets too much": [
        "got a bag of blues hid for when it all gets too much",
    ],
    "arranging to be found; joining someone who died; not here by a date; affairs for after": [
        "left my door on the latch so the paramedics find me fast",
        "off to my maws grave, gonna be with her tonight",
        "not planning on being around by hogmanay",
        "made sure no one has to sort out my things after",
    ],
}

BREATHING_THE_LONG_WAY_ROUND = [
    "her breathing is only coming every few seconds and pure shallow",
    "shes gurgling when she breathes",
    "his heids dropped onto his chest",
    # CPR under way is now, whatever question follows
    "hes no breathing, doing compressions, is that right",
    "my da is on the kitchen floor not waking",
]


@pytest.mark.parametrize(
    "text", [t for family in MEANS_AND_INTENT_FAMILIES.values() for t in family], ids=str
)
def test_means_and_intent_families_are_a_crisis(net: SafetyNet, text: str) -> None:
    assert topic(net, text) == "crisis_self_harm"


@pytest.mark.parametrize("text", BREATHING_THE_LONG_WAY_ROUND, ids=str)
def test_breathing_described_the_long_way_round_is_an_emergency(net: SafetyNet, text: str) -> None:
    assert topic(net, text) == "emergency_overdose"


@pytest.mark.parametrize(
    "text",
    [
        "saving my takeaway for the morning is that allowed",
        "laid out my pills for the week in the dosette",
        "is it ok to take my whole diazepam dose in the morning",
        "my maw is worried ill overdose one day",
        "how do you tell if someones in a deep sleep or overdosed",
        "this is goodbye for now, speak tomorrow",
        "clucking that bad i feel like im going to die",
        "i didnt take them on purpose it was an accident",
        "my heid dropped forward on the bus, nodded off",
        "rattling like hell, no had any since monday",
        "lol im deid at that",
        "the ambulance crew said naloxone doesnt work on benzos, true?",
        "my brother doesnt answer his phone and i panic",
        "nothing to do with wanting to die, just skint and tired",
        "left the door unlocked so my pal can find me if i go over",
    ],
)
def test_routine_doses_worries_and_goodbyes_near_them_are_not_forced(
    net: SafetyNet, text: str
) -> None:
    assert net.check(text) is None


@pytest.mark.parametrize(
    "text", [t for family in NEW_EMERGENCY_FAMILIES.values() for t in family], ids=str
)
def test_new_emergency_families_are_caught(net: SafetyNet, text: str) -> None:
    assert topic(net, text) == "emergency_overdose"


@pytest.mark.parametrize(
    "text", [t for family in NEW_CRISIS_FAMILIES.values() for t in family], ids=str
)
def test_new_crisis_families_are_caught(net: SafetyNet, text: str) -> None:
    assert topic(net, text) == "crisis_self_harm"


@pytest.mark.parametrize(
    "text",
    [
        # Everyday talk that shares words with the new families
        "not sure if she is breathing in the fumes from that heater",
        "cant get a reaction out of my maw about the new flat",
        "the wean wont open her eyes for the drops",
        "my legs are stiff and shaking after the gym",
        "my da is dead still in his chair watching the snooker",
        "decided who gets my old telly, im moving flat",
        "the baby wont stop crying until i go in to her",
        "sick of breathing in his smoke",
        "im done fighting with the council",
        "tell my worker sorry i missed it",
        "googling how many blues it takes to get a buzz",
        "need to make the cravings stop for good",
        "tied a rope to the tree for the weans swing",
        "hung the christmas lights from the banister",
        "this hostel is a nightmare, i just want out",
        "wish the ground would swallow me up, pure mortified",
        "he went over to his mates",
        "been killing myself laughing at the dug",
        "my das snoring could wake the dead",
        "the dugs killing me wi the barking",
        "my hands are pure freezing cold the night",
        "dumped again, gutted but ill survive",
        "low the day but no thinking about ending it",
    ],
)
def test_everyday_talk_near_the_new_families_is_not_forced(net: SafetyNet, text: str) -> None:
    assert net.check(text) is None


def test_a_release_from_jail_does_not_cancel_an_overdose_as_police_talk(net: SafetyNet) -> None:
    # Talk of the police still cancels in its clause; getting out of jail is a risk, not law talk.
    assert topic(net, "he went over after his first dig since gettin oot the jile") == (
        "emergency_overdose"
    )
    assert topic(net, "will i get in trouble with the police if he went over") is None


def test_knowing_whether_someone_breathes_is_not_a_hypothetical(net: SafetyNet) -> None:
    assert topic(net, "cant tell if he is breathing") == "emergency_overdose"
    assert topic(net, "what do i do if he is breathing but wont talk") is None


@pytest.mark.parametrize(
    "text",
    [
        "how many blues would it take so i dont wake up",  # asking a lethal amount
        "will someone tell my mum its not her fault",  # words left for after
        "cancelled my script, paid back what i owed everyone, cleared my room. feel calm now",
    ],
    ids=str,
)
def test_amounts_words_for_after_and_affairs_in_order_are_a_crisis(
    net: SafetyNet, text: str
) -> None:
    assert topic(net, text) == "crisis_self_harm"


@pytest.mark.parametrize(
    "text",
    [
        "my das sleeping on the couch snoring like a tractor after his tea",
        "ate a blue raspberry slush and now ma tongue n lips are bright blue lol",
        "my lips went blue at the fitba the day it was absolutely baltic",
        "nae point goin oot in this rain",
        "how do ye tell the difference between someone sleepin it off and someone overdosin",
        "ma pal odd on sat an got narcanned",
        "im moving flat, cancelled my phone contract and cleared my room",
        "gave my xbox to my nephew and cleaned my room, proud of myself",
    ],
    ids=str,
)
def test_snoring_sweets_cold_outings_and_moving_house_are_not_forced(
    net: SafetyNet, text: str
) -> None:
    assert topic(net, text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("heading up the erskine bridge later, just wanted to tell someone", "crisis_self_harm"),
        (
            "goin doon the river the nite, jist wanted tae say thanks fur everything",
            "crisis_self_harm",
        ),
        (
            "ill no be here for my appointment next week so tell them no tae bother",
            "crisis_self_harm",
        ),
        ("this will be the last time i message this thing", "crisis_self_harm"),
        ("everyone would have an easier time if i wasnt here", "crisis_self_harm"),
        ("sorted oot whos getting the dug, shell be fine wi ma sister", "crisis_self_harm"),
        ("saved up a weeks worth o ma pregabs", "crisis_self_harm"),
        ("took the vallies wi me, no comin back", "crisis_self_harm"),
        ("whats the point of any of this, im done", "crisis_self_harm"),
        ("hes went aw still n hes no makin a sound", "emergency_overdose"),
        ("shes gone blue roon the mooth", "emergency_overdose"),
        ("did a bag n now a cannae keep ma eyes open", "emergency_overdose"),
        ("hes cold n clammy", "emergency_overdose"),
        ("took 20 blues an hour ago n i can feel masel slippin", "emergency_overdose"),
        ("gave her the nyxoid n she still hasnae came roond", "emergency_overdose"),
        ("hes making a bubbling sound", "emergency_overdose"),
    ],
    ids=str,
)
def test_plans_told_through_places_and_arrangements_and_signs_said_plainly(
    net: SafetyNet, text: str, expected: str
) -> None:
    assert topic(net, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "crossing the forth bridge to see ma gran, back on monday for ma appointment",
        "the weans are oot cold, finally got them doon",
        "ma phones deid n a cannae wake it",
        "the celtic defence was suicidal the day",
        "im done wi this job, handing in ma notice",
        "hay fevers that bad i cannae breathe",
        "is it ok tae ask someone straight oot if theyre thinkin aboot suicide",
        "the pipes are making a gurgling noise again",
        "watched a film where the guy kills himself, it was grim",
        "teach me cpr in case it ever happens",
    ],
    ids=str,
)
def test_everyday_words_of_those_families_are_not_forced(net: SafetyNet, text: str) -> None:
    assert topic(net, text) is None


def test_doubt_weighs_a_classifier_only_guess(net: SafetyNet) -> None:
    def doubt(text: str, guessed: str) -> Doubt | None:
        return net.doubt(net.normalise(text), guessed)

    assert doubt("dying for a fag", "crisis_self_harm") is Doubt.HARMLESS  # an idiom
    assert doubt("im not suicidal just tired", "crisis_self_harm") is Doubt.HARMLESS  # a denial
    # No danger word: perhaps a plan said through an arrangement.
    assert doubt("wont be around after this weekend", "crisis_self_harm") is Doubt.UNSURE
    # The topic's own cancel in the only clause with danger words.
    assert doubt("he overdosed last year", "emergency_overdose") is Doubt.UNSURE
    # Another topic's cancel does not count: "last night" is a past overdose, not a goodbye.
    assert doubt("last night on earth for me", "crisis_self_harm") is None
    # A live clause beside a cancelled one.
    assert doubt("he overdosed last year, now hes gone grey", "emergency_overdose") is None


def test_the_danger_model_reads_a_message_without_its_idioms(net: SafetyNet) -> None:
    clean = net.normalise("my phone is dying, take care all")
    assert net.has_idiom(clean)
    assert "dying" not in net.for_danger_model(clean)
    assert net.for_danger_model(clean).endswith("take care all")


def test_a_long_message_is_checked_quickly_and_fully(net: SafetyNet) -> None:
    text = ("blah " * 10_000) + "my pal is not breathing"
    assert topic(net, text) == "emergency_overdose"


def test_a_pattern_that_does_not_compile_is_rejected_with_its_field(content_dir: Path) -> None:
    rewrite(
        content_dir / "safety.yml",
        '"\\\\bsuicid(?:e|al|ally)\\\\b',
        '"\\\\bsuicid(?:e|al|ally\\\\b',
    )
    problems = ContentLibrary(content_dir).check()
    assert any(
        "crisis_self_harm.patterns[1]" in p.message and "compile" in p.message for p in problems
    )


def test_an_unknown_vocabulary_is_rejected(content_dir: Path) -> None:
    rewrite(
        content_dir / "safety.yml", "{negation} (?:\\\\w+ ){0,2}?{breathe}", "{negation} {breath}"
    )
    problems = ContentLibrary(content_dir).check()
    assert any("no vocabulary named 'breath'" in p.message for p in problems)


def test_a_rule_that_misses_its_example_is_rejected(content_dir: Path) -> None:
    rewrite(
        content_dir / "safety.yml",
        "examples: [im suicidal, im thinking about suicide]",
        "examples: [im suicidal, i am feeling awful]",
    )
    problems = ContentLibrary(content_dir).check()
    assert any(
        p.field == "crisis_self_harm.patterns.1"
        and "does not match its own example 'i am feeling awful'" in p.message
        for p in problems
    )


def test_a_broken_edit_keeps_the_last_good_net(content_dir: Path) -> None:
    library = ContentLibrary(content_dir)
    source = SafetyNetSource(library)
    assert source.get() is not floor_net()
    good = source.get()
    rewrite(content_dir / "safety.yml", "examples: [im suicidal,", "examples: [im fine,")
    assert source.get() is good


def test_the_built_in_floor_still_catches_the_plainest_messages(tmp_path: Path) -> None:
    source = SafetyNetSource(ContentLibrary(tmp_path))  # an empty folder: nothing loads
    assert source.get() is floor_net()
    assert topic(source.get(), "he is no breathin") == "emergency_overdose"
    assert topic(source.get(), "kms") == "crisis_self_harm"

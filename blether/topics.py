"""Topic ids from DESIGN.md: the NLU model's intent names are exactly these."""

from __future__ import annotations

from typing import Literal, get_args

DIALOGUE = (
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "capabilities",
    "out_of_scope",
)
SAFETY = ("emergency_overdose", "crisis_self_harm")
PEOPLE_AND_DATA = ("request_human", "privacy")
BENZO_EFFECTS = (
    "benzo_basics",
    "street_benzos",
    "nitazenes",
    "effects_duration",
    "tolerance_dependence",
    "withdrawal",
    "seizures",
    "overdose_signs",
    "after_overdose",
    "safer_use",
    "using_alone",
    "mental_health",
)
COUSE = ("couse_opioids", "couse_alcohol", "couse_gabapentinoids", "couse_stimulants", "naloxone")
GETTING_HELP = (
    "get_treatment",
    "prescribing",
    "reduce_stop",
    "find_service",
    "drug_checking",
    "drug_alerts",
    "for_family",
)

ALL_TOPICS: tuple[str, ...] = (
    DIALOGUE + SAFETY + PEOPLE_AND_DATA + BENZO_EFFECTS + COUSE + GETTING_HELP
)

# Answered by short dialogue prompts in domain.yml rather than an advice file.
PROMPT_ONLY = frozenset({"greet", "goodbye", "thank", "affirm", "deny"})

ADVICE_TOPICS: tuple[str, ...] = tuple(t for t in ALL_TOPICS if t not in PROMPT_ONLY)

# The one list of substance classes: content models type fields with it, checks iterate it.
SubstanceClass = Literal[
    "benzodiazepine",
    "z-drug",
    "opioid",
    "alcohol",
    "gabapentinoid",
    "stimulant",
    "ghb",
    "ketamine",
    "xylazine",
    "cannabis",
    "other",
]
SUBSTANCE_CLASSES: tuple[str, ...] = get_args(SubstanceClass)

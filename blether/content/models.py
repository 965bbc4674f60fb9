"""The shape of every content file. Unknown fields are errors so that typos are caught."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, Extra, Field, root_validator, validator

from blether.content.checkin_models import CheckinFile as CheckinFile  # re-exported
from blether.content.safety_models import LanguageFile as LanguageFile  # re-exported
from blether.content.safety_models import SafetyFile as SafetyFile  # re-exported
from blether.topics import ALL_TOPICS, SUBSTANCE_CLASSES, SubstanceClass

SUMMARY_LIMIT = 300
Status = Literal["draft", "approved"]
Risk = Literal["dangerous", "caution", "low-known-risk", "unknown"]
RISKS = ("dangerous", "caution", "low-known-risk", "unknown")
# Pairs that kill most often (MHRA, RADAR): their risk cannot be lowered by an edit alone.
PINNED_DANGEROUS = frozenset(
    {
        frozenset({"benzodiazepine", "opioid"}),
        frozenset({"benzodiazepine", "alcohol"}),
        frozenset({"benzodiazepine", "gabapentinoid"}),
        frozenset({"z-drug", "opioid"}),
        frozenset({"opioid", "alcohol"}),
        frozenset({"opioid", "gabapentinoid"}),
    }
)


class Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        allow_mutation = False


class Source(Strict):
    title: str = Field(..., min_length=1)
    url: str
    # For time-limited sources (a RADAR alert, say): `blether content check` warns once past.
    valid_until: dt.date | None = None

    @validator("url")
    def _https(cls, url: str) -> str:  # noqa: N805 - pydantic validators take cls
        if not re.match(r"^https://[^\s/]+\.[^\s]+$", url):
            raise ValueError("must be an https:// address")
        return url


class Reviewed(Strict):
    """Review governance shared by every file that people read."""

    status: Status
    reviewed_by: str | None = None
    reviewed_on: dt.date | None = None
    review_due: dt.date

    @root_validator(skip_on_failure=True)
    def _approved_needs_reviewer(cls, values: dict) -> dict:  # noqa: N805
        if values.get("status") == "approved" and not (
            values.get("reviewed_by") and values.get("reviewed_on")
        ):
            raise ValueError("status approved needs reviewed_by and reviewed_on")
        return values


class TopicFile(Reviewed):
    id: str
    title: str = Field(..., min_length=1, max_length=40)
    summary: str = Field(..., min_length=1, max_length=SUMMARY_LIMIT)
    follow_ups: list[str] = []
    sources: list[Source] = Field(..., min_items=1)
    # Safety cards go out as one message: the steps come before anything else.
    single_message: bool = False
    # For co-use topics: the classes to explain when the person names no substance.
    default_pair: tuple[SubstanceClass, SubstanceClass] | None = None

    @validator("id")
    def _known_topic(cls, topic_id: str) -> str:  # noqa: N805
        if topic_id not in ALL_TOPICS:
            raise ValueError(f"'{topic_id}' is not a topic id in DESIGN.md")
        return topic_id

    @validator("follow_ups", each_item=True)
    def _known_follow_up(cls, topic_id: str) -> str:  # noqa: N805
        if topic_id not in ALL_TOPICS:
            raise ValueError(f"'{topic_id}' is not a topic id")
        return topic_id


class Topic(BaseModel):
    """A validated advice file, ready to serve."""

    meta: TopicFile
    body: str
    path: str
    version: str

    class Config:
        allow_mutation = False


def _text_words(value: object) -> object:
    """YAML reads a bare on, off, yes, no, y or n as true/false: ask for quotes instead."""
    for word in value if isinstance(value, list) else [value]:
        if isinstance(word, bool):
            raise ValueError("a word YAML reads as yes/no (on, off, yes, no, y, n) needs quotes")
    return value


class Substance(Strict):
    name: str = Field(..., min_length=1)
    substance_class: SubstanceClass = Field(..., alias="class")
    names: list[str] = Field(..., min_items=1)
    # Names that are also ordinary words or first names ("billy", "charlie", "blue"): they
    # count only next to a drug word or another substance, never by a loose typo match.
    # The substance's own `name` may be listed here too ("crack", "spice").
    needs_context: list[str] = []

    @validator("name", "names", "needs_context", pre=True)
    def _words_are_text(cls, value: object) -> object:  # noqa: N805
        return _text_words(value)

    @root_validator(skip_on_failure=True)
    def _context_names_apart(cls, values: dict) -> dict:  # noqa: N805
        plain = {n.lower().strip() for n in values["names"]}
        both = [n for n in values["needs_context"] if n.lower().strip() in plain]
        if both:
            raise ValueError(f"'{both[0]}' is in both names and needs_context: keep one")
        return values


class SubstanceFile(Strict):
    # Words just before a `needs_context` name that show it means a drug ("took", "some").
    context_words: list[str] = []
    # Words that may join a `needs_context` name to another substance ("and", "wae").
    joining_words: list[str] = []
    substances: list[Substance] = Field(..., min_items=1)

    @validator("context_words", "joining_words", pre=True)
    def _words_are_text(cls, value: object) -> object:  # noqa: N805
        return _text_words(value)

    @validator("substances")
    def _unique_names(cls, substances: list[Substance]) -> list[Substance]:  # noqa: N805
        owner: dict[str, str] = {}
        for substance in substances:
            for name in [substance.name, *substance.names, *substance.needs_context]:
                key = name.lower().strip()
                if key in owner and owner[key] != substance.name:
                    raise ValueError(
                        f"street name '{name}' is on both '{owner[key]}' and '{substance.name}'"
                    )
                owner[key] = substance.name
        return substances


class RiskChange(Strict):
    """Sign-off that lets a pinned dangerous pair be given a lower risk."""

    reviewed_by: str = Field(..., min_length=2)
    reviewed_on: dt.date
    reason: str = Field(..., min_length=10)


class Combination(Strict):
    classes: tuple[SubstanceClass, SubstanceClass]
    risk: Risk
    note: str = Field(..., min_length=1)
    risk_change: RiskChange | None = None

    @validator("note")
    def _placeholders(cls, note: str) -> str:  # noqa: N805
        unknown = set(re.findall(r"\{([^}]*)\}", note)) - {"first", "second"}
        if unknown:
            raise ValueError(
                f"unknown placeholder {{{sorted(unknown)[0]}}}; use {{first}}, {{second}}"
            )
        return note


class CombinationFile(Reviewed):
    sources: list[Source] = Field(..., min_items=1)
    class_names: dict[str, str]
    risk_labels: dict[Risk, str]
    unknown_note: str
    # When more mixes were named than fit in one answer: the line under the notes ({count} is
    # how many are left) and the button that shows the rest. Dangerous mixes are always shown.
    more_pairs: str = "And {count} more from what you named."
    more_button: str = Field("Show the other mixes", max_length=30)
    pairs: list[Combination]

    @validator("class_names")
    def _every_class(cls, names: dict[str, str]) -> dict[str, str]:  # noqa: N805
        missing = [c for c in SUBSTANCE_CLASSES if c not in names]
        if missing:
            raise ValueError(f"no name for {', '.join(missing)}")
        unknown = [c for c in names if c not in SUBSTANCE_CLASSES]
        if unknown:
            raise ValueError(f"'{unknown[0]}' is not a substance class")
        return names

    @validator("risk_labels")
    def _every_risk(cls, labels: dict[str, str]) -> dict[str, str]:  # noqa: N805
        missing = [r for r in RISKS if r not in labels]
        if missing:
            raise ValueError(f"no label for {', '.join(missing)}")
        return labels

    @validator("pairs")
    def _each_pair_once(cls, pairs: list[Combination]) -> list[Combination]:  # noqa: N805
        seen: set[frozenset[str]] = set()
        for pair in pairs:
            key = frozenset(pair.classes)
            if key in seen:
                raise ValueError(f"pair {list(pair.classes)} is listed twice")
            seen.add(key)
        for cls_name in SUBSTANCE_CLASSES:
            same = frozenset({cls_name})
            if same not in seen:
                raise ValueError(f"pair [{cls_name}, {cls_name}] is missing")
        for pair in pairs:
            if pair.classes[0] == pair.classes[1] and pair.risk == "unknown":
                raise ValueError(f"two {pair.classes[0]}s together cannot be 'unknown'")
        for pinned in PINNED_DANGEROUS:
            if pinned not in seen:
                raise ValueError(f"pair {sorted(pinned)} is pinned as dangerous and must be listed")
        for pair in pairs:
            if (
                frozenset(pair.classes) in PINNED_DANGEROUS
                and pair.risk != "dangerous"
                and pair.risk_change is None
            ):
                raise ValueError(
                    f"pair {list(pair.classes)} is pinned as dangerous: lowering it to "
                    f"'{pair.risk}' needs risk_change with reviewed_by, reviewed_on and reason"
                )
        return pairs


class Service(Strict):
    id: str
    name: str
    scope: Literal["national", "local"]
    example: bool = False
    area: str
    what: str
    phone: str | None = None
    address: str | None = None
    web: str | None = None
    hours: str
    same_day: bool = False
    source: Source | None = None

    @root_validator(skip_on_failure=True)
    def _reachable(cls, values: dict) -> dict:  # noqa: N805
        if not (values.get("phone") or values.get("address") or values.get("web")):
            raise ValueError("a service needs a phone, an address or a web address")
        if values.get("scope") == "national" and values.get("example"):
            raise ValueError("national services must be real entries, not examples")
        if not values.get("example") and values.get("source") is None:
            raise ValueError("a real service needs a source for its details")
        return values


class Worker(Strict):
    """A named person who takes referrals, and where the bot reaches them on Telegram."""

    id: str = Field(..., regex=r"^[a-z0-9-]+$")
    name: str = Field(..., min_length=1, max_length=40)
    role: str
    service: str
    areas: list[str] = Field(..., min_items=1)
    hours: dict[str, str | None]
    telegram_chat: int | None = None
    telegram_chat_env: str | None = Field(None, regex=r"^[A-Z][A-Z0-9_]*$")
    # Conversations held plus offers waiting: past it, new referrals go to the next worker.
    max_active: int = Field(3, ge=1, le=10)
    example: bool = False

    @validator("hours")
    def _hours(cls, hours: dict[str, str | None]) -> dict[str, str | None]:  # noqa: N805
        from blether.roster import HoursError, Rota

        try:
            Rota.parse(hours)
        except HoursError as error:
            raise ValueError(str(error)) from error
        return hours

    @root_validator(skip_on_failure=True)
    def _reachable(cls, values: dict) -> dict:  # noqa: N805
        if (values.get("telegram_chat") is None) == (values.get("telegram_chat_env") is None):
            raise ValueError("give exactly one of telegram_chat or telegram_chat_env")
        return values


class ServicesFile(Strict):
    # Said under local services while any of them is a placeholder for a deploying service.
    example_notice: str
    services: list[Service] = Field(..., min_items=1)
    workers: list[Worker] = []

    @validator("workers")
    def _unique_workers(cls, workers: list[Worker]) -> list[Worker]:  # noqa: N805
        ids = [w.id for w in workers]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"worker id '{duplicates[0]}' is used twice")
        return workers


class MenuFile(Strict):
    prompt: str
    fallback: str
    topics: list[str] = Field(..., min_items=1, max_items=10)

    @validator("topics", each_item=True)
    def _known(cls, topic_id: str) -> str:  # noqa: N805
        if topic_id not in ALL_TOPICS:
            raise ValueError(f"'{topic_id}' is not a topic id")
        return topic_id


class BridgeFile(Strict):
    """Short texts the Telegram bridge says itself, without asking Rasa, and the danger check."""

    welcome: str
    privacy_note: str
    help: str
    only_text: str
    slow_down: str
    too_long: str
    unavailable: str
    # When the conversation store is down: Rasa cannot keep track, so a form cannot go on.
    lost_track: str
    # Before answering messages that waited in the inbox (a restart) for over a minute.
    delayed: str
    forget_confirm: str
    forget_yes: str = Field(..., max_length=30)
    forget_no: str = Field(..., max_length=30)
    forgotten: str
    forget_cancelled: str
    # Asked, with Yes / No buttons, when only the language model thinks someone may be in danger
    # and it is not sure (blether/safety_check.py).
    danger_check: str = Field(..., max_length=200)
    danger_check_yes: str = Field(..., max_length=30)
    danger_check_no: str = Field(..., max_length=30)
    # The same question when the guess is a crisis: worded for someone who may mean themselves,
    # with the helplines in it, since some will read no further.
    danger_check_crisis: str = Field(..., max_length=300)
    danger_check_crisis_yes: str = Field(..., max_length=30)
    # After "No", when Blether cannot tell what else the message was about; the menu follows.
    danger_check_no_guess: str

    @validator("forgotten")
    def _count_placeholder(cls, text: str) -> str:  # noqa: N805
        if "{count}" not in text:
            raise ValueError("must contain {count}, the number of items deleted")
        return text

    @validator("danger_check_yes", "danger_check_no", "danger_check_crisis_yes", pre=True)
    def _quoted(cls, text: object) -> object:  # noqa: N805
        if isinstance(text, bool):
            raise ValueError("put the words in quotes (YAML reads a bare Yes or No as true/false)")
        return text

    @validator("danger_check")
    def _emergency_number(cls, text: str) -> str:  # noqa: N805
        if "999" not in text:
            raise ValueError("must contain 999: the check is the only line some people read")
        return text

    @validator("danger_check_crisis")
    def _crisis_numbers(cls, text: str) -> str:  # noqa: N805
        missing = [n for n in ("999", "116 123") if n not in text]
        if missing:
            raise ValueError(
                f"must contain {' and '.join(missing)}: the check is the only line some people read"
            )
        return text


class ReferralFile(Strict):
    """Referral questions and handoff messages. Placeholders in {braces} are filled in."""

    ask_consent: str
    consent_yes: str = Field(..., max_length=30)
    consent_no: str = Field(..., max_length=30)
    ask_area: str
    unknown_area: str
    ask_help: str
    skip: str = Field(..., max_length=30)
    ask_urgency: str
    urgency_today: str = Field(..., max_length=30)
    urgency_this_week: str = Field(..., max_length=30)
    urgency_whenever: str = Field(..., max_length=30)
    stopped: str
    made_on_duty: str
    made_off_duty: str
    no_worker: str
    worker_offer: str
    worker_accept: str = Field(..., max_length=30)
    worker_decline: str = Field(..., max_length=30)
    worker_joined: str
    worker_end: str = Field(..., max_length=30)
    person_joined: str
    taking_longer: str
    nobody_free: str
    to_worker: str
    emergency_to_worker: str
    from_worker: str
    ended_by_worker: str
    ended_by_person: str
    ended_for_person: str
    ended_for_worker: str
    not_your_referral: str
    no_open_chat: str
    # A worker's several conversations (/list, /switch N, replying to a relayed message).
    worker_full: str
    worker_reminder: str
    worker_list_header: str
    worker_list_line: str
    worker_list_current: str
    worker_list_offers: str
    worker_end_how: str
    worker_already_in: str
    offer_gone: str
    worker_reply_offer: str
    worker_edit_not_sent: str
    worker_not_text: str
    worker_reply_closed: str
    crisis_to_worker: str
    card_to_worker: str
    not_text_to_worker: str
    not_text_in_chat: str
    already_with_worker: str
    all_busy: str
    topic_labels: dict[str, str] = {}

    def label(self, topic: str) -> str:
        """How a referral's topic is shown to a worker: words, not an internal id."""
        return self.topic_labels.get(topic, topic.replace("_", " "))

    worker_switched: str
    worker_switch_how: str
    worker_no_such_chat: str
    worker_focus_now: str
    # Saved replies (content/worker_replies.yml) sent with /r NAME.
    canned_sent: str
    canned_list_header: str
    canned_unknown: str
    # After a handoff ends: one optional question, answered by a button only.
    feedback_question: str
    feedback_helped: str = Field(..., max_length=30)
    feedback_some: str = Field(..., max_length=30)
    feedback_no: str = Field(..., max_length=30)
    feedback_thanks: str

    @root_validator(skip_on_failure=True)
    def _placeholders(cls, values: dict) -> dict:  # noqa: N805
        allowed = {
            "worker",
            "hours",
            "when",
            "id",
            "area",
            "urgency",
            "topic",
            "help",
            "text",
            "name",
            "count",
            "since",
        }
        for field, text in values.items():
            if not isinstance(text, str):
                continue  # topic_labels: plain words
            unknown = set(re.findall(r"\{([^}]*)\}", text)) - allowed
            if unknown:
                raise ValueError(f"{field}: unknown placeholder {{{sorted(unknown)[0]}}}")
        # A worker's reply to a relayed message reaches its person by the "#N" in it.
        for field in ("worker_offer", "to_worker", "emergency_to_worker", "worker_reminder"):
            if "#{id}" not in values[field]:
                raise ValueError(f"{field}: must contain #{{id}} (replies are routed by it)")
        return values


def fill(template: str, **values: object) -> str:
    """Replace {name} placeholders without str.format, so stray braces cannot break a message."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", str(value))
    return template

"""content/checkin.yml: what Blether says while it checks on someone using alone."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, root_validator, validator

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
Button = Field(..., min_length=1, max_length=30)

# Which {placeholders} each text may use; a text listed here must use all of them.
PLACEHOLDERS: dict[str, set[str]] = {
    "set": {"time", "minutes", "who"},
    "ask_note": {"who"},
    "status": {"time", "who"},
    "remind": {"minutes", "who"},
    "extended": {"time"},
    "told": {"who"},
    "late_question": {"who"},
    "who_worker": {"worker"},
    "contact_alert": {"name", "waited", "note", "next"},
    "contact_help_alert": {"name", "note", "next"},
    "worker_help_alert": {"id", "note"},
    "told_instead": {"who"},
    "told_other_worker": {"who"},
    "help_told": {"who"},
    "who_both": {"worker"},
    "worker_alert": {"id", "waited", "note", "why"},
    "note_line": {"note"},
    "next_worker": {"minutes"},
    "late_to_alerted": {"name"},
    "late_ok_to_alerted": {"name"},
    "late_help_to_alerted": {"name"},
    "person_name_for_worker": {"id"},
    "contact_link": {"link", "name"},
    "contact_terms": {"name"},
    "contact_agreed": {"name"},
    "contact_show": {"name"},
    "contact_removed_to_contact": {"name"},
}
# Texts read when someone may be in danger: each must give 999.
MUST_GIVE_999 = (
    "contact_alert",
    "contact_help_alert",
    "worker_alert",
    "worker_help_alert",
    "nobody_told",
    "nobody_late",
    "no_worker_on_duty",
    "ask",
    "remind",
    "told",
    "next_nobody",
    "acknowledged",
    "late_help_to_alerted",
)


class CheckinFile(BaseModel):
    class Config:
        extra = "forbid"

    start_button: str = Button
    ask_minutes: str
    minutes_unclear: str
    ask_notify: str
    notify_worker: str = Button
    notify_contact: str = Button
    no_contact_yet: str
    no_worker_on_duty: str
    stopped: str
    set: str
    ask_note: str
    skip_note: str = Button
    note_saved: str
    note_cut: str
    note_skipped: str
    status: str
    none_running: str
    in_handoff: str
    ask: str
    remind: str
    answered_unclear: str
    ok_button: str = Button
    extend_button: str = Button
    cancel_button: str = Button
    extend_minutes: int = Field(..., ge=1, le=120)
    ok_thanks: str
    extended: str
    cancelled: str
    told: str
    told_instead: str
    told_other_worker: str
    nobody_told: str
    help_told: str
    nobody_late: str
    late_question: str
    need_help_button: str = Button
    late_ok: str
    ok_words: list[str] = Field(..., min_items=1)
    help_words: list[str] = Field(..., min_items=1)
    who_contact: str
    who_worker: str
    who_any_worker: str
    who_both: str
    contact_alert: str
    contact_help_alert: str
    worker_alert: str
    worker_help_alert: str
    note_line: str
    no_note: str
    next_worker: str
    next_nobody: str
    why_first: str
    why_asked_for_help: str
    why_worker_unreachable: str
    why_contact_silent: str
    why_contact_unreachable: str
    dealing_button: str = Button
    acknowledged: str
    already_handled: str
    late_to_alerted: str
    late_ok_to_alerted: str
    late_help_to_alerted: str
    person_name_for_worker: str
    contact_usage: str
    contact_link: str
    contact_terms: str
    agree_button: str = Button
    refuse_button: str = Button
    contact_agreed: str
    contact_agreed_to_person: str
    contact_refused: str
    contact_refused_to_person: str
    invite_invalid: str
    contact_show: str
    remove_button: str = Button
    contact_removed: str
    contact_removed_to_contact: str
    withdrawn: str
    withdrawn_to_person: str
    not_a_contact: str

    @validator("ok_words", "help_words", each_item=True)
    def _plain_words(cls, word: str) -> str:  # noqa: N805
        if word != word.strip().lower() or not word:
            raise ValueError(f"'{word}': write ok_words in lower case, without spaces around")
        return word

    @root_validator(skip_on_failure=True)
    def _placeholders(cls, values: dict) -> dict:  # noqa: N805
        for name, value in values.items():
            if not isinstance(value, str):
                continue
            used = set(_PLACEHOLDER.findall(value))
            allowed = PLACEHOLDERS.get(name, set())
            if used - allowed:
                raise ValueError(f"{name}: unknown placeholder {{{sorted(used - allowed)[0]}}}")
            if allowed - used:
                raise ValueError(f"{name}: must contain {{{sorted(allowed - used)[0]}}}")
        for name in MUST_GIVE_999:
            if "999" not in values[name]:
                raise ValueError(f"{name}: must give 999")
        return values

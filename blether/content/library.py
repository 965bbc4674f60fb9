"""All content files of one folder, each parsed once and reloaded when it changes."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from blether.content.alert_models import ALL_SCOTLAND, Alert, AlertTexts, local_areas
from blether.content.errors import ContentError, Problem
from blether.content.models import (
    BridgeFile,
    CheckinFile,
    CombinationFile,
    LanguageFile,
    MenuFile,
    ReferralFile,
    SafetyFile,
    ServicesFile,
    SubstanceFile,
    Topic,
)
from blether.content.parsing import parse_alert, parse_topic, parse_yaml_file
from blether.content.watched import WatchedFile
from blether.content.worker_models import WorkerRepliesFile
from blether.topics import ADVICE_TOPICS, ALL_TOPICS, PROMPT_ONLY


class ContentLibrary:
    """Reads `content/` (or any folder laid out like it). Nothing is read until asked for."""

    def __init__(self, content_dir: Path) -> None:
        self.root = Path(content_dir)
        self._topics: dict[str, WatchedFile[Topic]] = {}
        self._substances = self._yaml("substances.yml", SubstanceFile)
        self._safety = self._yaml("safety.yml", SafetyFile)
        self._language = self._yaml("language.yml", LanguageFile)
        self._combinations = self._yaml("combinations.yml", CombinationFile)
        self._services = self._yaml("services.yml", ServicesFile)
        self._menu = self._yaml("menu.yml", MenuFile)
        self._bridge = self._yaml("bridge.yml", BridgeFile)
        self._referral = self._yaml("referral.yml", ReferralFile)
        self._checkin = self._yaml("checkin.yml", CheckinFile)
        self._alert_texts = self._yaml("alerts.yml", AlertTexts)
        self._worker_replies = self._yaml("worker_replies.yml", WorkerRepliesFile)
        self._alerts: dict[Path, WatchedFile[Alert]] = {}

    def _yaml(self, name: str, model: type) -> WatchedFile:
        return WatchedFile(self.root / name, partial(parse_yaml_file, model=model))

    def topic_path(self, topic_id: str) -> Path:
        return self.root / "topics" / f"{topic_id}.md"

    def topic(self, topic_id: str) -> Topic:
        if topic_id not in ALL_TOPICS:
            raise KeyError(topic_id)
        watched = self._topics.get(topic_id)
        if watched is None:
            watched = self._topics[topic_id] = WatchedFile(self.topic_path(topic_id), parse_topic)
        return watched.get()

    def substances(self) -> SubstanceFile:
        return self._substances.get()

    def safety(self) -> SafetyFile:
        return self._safety.get()

    def language(self) -> LanguageFile:
        return self._language.get()

    def combinations(self) -> CombinationFile:
        return self._combinations.get()

    def version(self, name: str) -> str:
        """`name@hash` of a loaded data file, for recording which version answered."""
        watched = next(w for w in self._data_files() if w.path.name == name)
        watched.get()
        return f"{name}@{watched.version}"

    def _data_files(self) -> tuple[WatchedFile, ...]:
        return (
            self._substances,
            self._safety,
            self._language,
            self._combinations,
            self._services,
            self._menu,
            self._bridge,
            self._referral,
            self._checkin,
            self._alert_texts,
            self._worker_replies,
        )

    def services(self) -> ServicesFile:
        return self._services.get()

    def menu(self) -> MenuFile:
        return self._menu.get()

    def bridge(self) -> BridgeFile:
        return self._bridge.get()

    def referral(self) -> ReferralFile:
        return self._referral.get()

    def checkin(self) -> CheckinFile:
        return self._checkin.get()

    def alert_texts(self) -> AlertTexts:
        return self._alert_texts.get()

    def worker_replies(self) -> WorkerRepliesFile:
        return self._worker_replies.get()

    def _alert_files(self) -> list[WatchedFile[Alert]]:
        """One watched file per `alerts/*.md`, the folder listed again on every call (alerts
        are added and removed while Blether runs)."""
        folder = self.root / "alerts"
        paths = sorted(folder.glob("*.md")) if folder.is_dir() else []
        for gone in set(self._alerts) - set(paths):
            del self._alerts[gone]
        for path in paths:
            if path not in self._alerts:
                self._alerts[path] = WatchedFile(path, parse_alert)
        return [self._alerts[path] for path in paths]

    def alerts(self) -> list[Alert]:
        """Every alert file that loads (drafts and expired ones too; callers filter). A broken
        file is left out and logged, so one bad edit never hides the other alerts."""
        found = []
        for watched in self._alert_files():
            try:
                found.append(watched.get())
            except ContentError:
                continue
        return found

    def check(self) -> list[Problem]:
        """Every problem in the folder, including those between files."""
        problems: list[Problem] = []
        loads = (
            self.substances,
            self.safety,
            self.language,
            self.combinations,
            self.services,
            self.menu,
            self.bridge,
            self.referral,
            self.checkin,
            self.alert_texts,
            self.worker_replies,
        )
        for load in loads:
            problems += _problems_of(load)
        problems += self.alert_problems()
        if not _problems_of(self.safety) and not _problems_of(self.language):
            problems += self._safety_examples()
        if not _problems_of(self.substances) and not _problems_of(self.language):
            problems += self._substances_survive_normalising()
        answered = set(PROMPT_ONLY)
        for topic_id in ADVICE_TOPICS:
            found = _problems_of(partial(self.topic, topic_id))
            problems += found
            if not found:
                answered.add(topic_id)
        for topic_id in ADVICE_TOPICS:
            if topic_id in answered:
                for follow_up in self.topic(topic_id).meta.follow_ups:
                    if follow_up not in answered:
                        problems.append(
                            Problem(
                                self.topic_path(topic_id),
                                "follow_ups",
                                f"'{follow_up}' has no working advice file",
                            )
                        )
        if not _problems_of(self.menu):
            for topic_id in self.menu().topics:
                if topic_id not in answered:
                    problems.append(
                        Problem(
                            self.root / "menu.yml",
                            "topics",
                            f"'{topic_id}' has no working advice file",
                        )
                    )
        return problems

    def alert_problems(self) -> list[Problem]:
        """Each alert file on its own, then its areas and substances against the other files."""
        problems: list[Problem] = []
        for watched in self._alert_files():
            problems += _problems_of(watched.get)
        areas = substances = None
        if not _problems_of(self.services):
            areas = {a.lower() for a in local_areas(self.services())} | {ALL_SCOTLAND.lower()}
        if not _problems_of(self.substances):
            substances = {s.name.lower() for s in self.substances().substances}
        for alert in self.alerts():
            path = Path(alert.path)
            for area in alert.meta.areas:
                if areas is not None and area.lower() not in areas:
                    problems.append(
                        Problem(
                            path,
                            "areas",
                            f"'{area}' is not an area of services.yml (or {ALL_SCOTLAND})",
                        )
                    )
            for name in alert.meta.substances:
                if substances is not None and name.lower() not in substances:
                    problems.append(
                        Problem(path, "substances", f"'{name}' is not a name in substances.yml")
                    )
        return problems

    def _safety_examples(self) -> list[Problem]:
        """Between files: every safety example keeps its outcome under language.yml."""
        from blether.safety import build_checked  # the safety net is built on this library

        try:
            build_checked(self.safety(), self.language(), self.root / "safety.yml")
        except ContentError as error:
            return error.problems
        return []

    def _substances_survive_normalising(self) -> list[Problem]:
        """Between files: language.yml must not turn a street name into something else.

        The lexicon reads normalised text, so a name the normaliser changes ("gabapentin" read
        with a dropped g) would never be found.
        """
        from blether.language import Normaliser  # both are built on this library
        from blether.lexicon import SubstanceLexicon

        lexicon = SubstanceLexicon(self.substances())
        normalise = Normaliser(self.language())
        problems = []
        for substance in self.substances().substances:
            for name in (substance.name, *substance.names):
                if name in substance.needs_context:
                    continue
                read_as = normalise(name)
                if not any(m.name == substance.name for m in lexicon.find(read_as)):
                    problems.append(
                        Problem(
                            self.root / "language.yml",
                            "forms",
                            f"'{name}' ({substance.name} in substances.yml) is read as "
                            f"'{read_as}' and no longer found: add it to in_words or keep, "
                            "or remove the form that changes it",
                        )
                    )
        return problems


def _problems_of(load: object) -> list[Problem]:
    try:
        load()  # type: ignore[operator]
    except ContentError as error:
        return error.problems
    return []

"""Scoring the NLU model on labelled messages: recall per topic, confusions, safety recall."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

SAFETY_TOPICS = ("emergency_overdose", "crisis_self_harm")


@dataclass(frozen=True)
class Scored:
    text: str
    expected: str
    predicted: str


@dataclass(frozen=True)
class Report:
    recall: dict[str, float]
    support: dict[str, int]
    confusions: list[tuple[str, str, int]]
    accuracy: float
    misses: list[Scored]

    def safety_recall(self, topic: str) -> float:
        return self.recall.get(topic, 0.0)

    @property
    def safety_ok(self) -> bool:
        return all(self.support.get(t, 0) > 0 and self.recall[t] == 1.0 for t in SAFETY_TOPICS)


def score(results: list[Scored]) -> Report:
    support: Counter[str] = Counter(r.expected for r in results)
    hits: Counter[str] = Counter(r.expected for r in results if r.expected == r.predicted)
    pairs: defaultdict[tuple[str, str], int] = defaultdict(int)
    for r in results:
        if r.expected != r.predicted:
            pairs[(r.expected, r.predicted)] += 1
    confusions = sorted(((e, p, n) for (e, p), n in pairs.items()), key=lambda c: (-c[2], c[0]))
    return Report(
        recall={t: hits[t] / n for t, n in support.items()},
        support=dict(support),
        confusions=confusions,
        accuracy=sum(hits.values()) / len(results) if results else 0.0,
        misses=[r for r in results if r.expected != r.predicted],
    )


def render(report: Report) -> str:
    lines = ["recall per topic:"]
    for topic in sorted(report.recall):
        lines.append(f"  {topic:24} {report.recall[topic]:6.1%}  (n={report.support[topic]})")
    lines.append("confusions (expected -> predicted):")
    lines += [f"  {e} -> {p}: {n}" for e, p, n in report.confusions] or ["  none"]
    lines.append("misclassified messages:")
    lines += [f"  '{m.text}': {m.expected} -> {m.predicted}" for m in report.misses] or ["  none"]
    lines.append(f"overall accuracy: {report.accuracy:.1%} ({len(report.misses)} wrong)")
    for topic in SAFETY_TOPICS:
        lines.append(f"safety recall {topic}: {report.safety_recall(topic):.1%}")
    return "\n".join(lines)


@dataclass(frozen=True)
class SafetyReport:
    """How one reader (the whole model, or the rules alone) did on a safety test file."""

    name: str
    caught: int
    dangerous: int
    exact: int
    false_alarms: list[Scored]
    harmless: int
    misses: list[Scored]

    @property
    def recall(self) -> float:
        return self.caught / self.dangerous if self.dangerous else 0.0

    @property
    def exact_accuracy(self) -> float:
        return self.exact / self.dangerous if self.dangerous else 0.0

    @property
    def false_alarm_rate(self) -> float:
        return len(self.false_alarms) / self.harmless if self.harmless else 0.0

    def passes(self, max_false_alarms: float) -> bool:
        return (
            self.dangerous > 0 and self.recall == 1.0 and self.false_alarm_rate <= max_false_alarms
        )


def score_safety(name: str, results: list[Scored]) -> SafetyReport:
    """Either safety topic counts as caught: both cards carry 999 and the helplines."""
    dangerous = [r for r in results if r.expected in SAFETY_TOPICS]
    harmless = [r for r in results if r.expected not in SAFETY_TOPICS]
    return SafetyReport(
        name=name,
        caught=sum(r.predicted in SAFETY_TOPICS for r in dangerous),
        dangerous=len(dangerous),
        exact=sum(r.predicted == r.expected for r in dangerous),
        false_alarms=[r for r in harmless if r.predicted in SAFETY_TOPICS],
        harmless=len(harmless),
        misses=[r for r in dangerous if r.predicted not in SAFETY_TOPICS],
    )


def render_safety(report: SafetyReport) -> str:
    lines = [
        f"{report.name}:",
        f"  safety recall      {report.recall:6.1%}  ({report.caught} of {report.dangerous})",
        f"  exact topic        {report.exact_accuracy:6.1%}  (emergency vs crisis right)",
        f"  false alarms       {report.false_alarm_rate:6.1%}  "
        f"({len(report.false_alarms)} of {report.harmless} harmless messages)",
    ]
    lines += [f"  MISSED  [{m.expected}] {m.text!r} -> {m.predicted}" for m in report.misses]
    lines += [
        f"  FALSE ALARM  [{f.expected}] {f.text!r} -> {f.predicted}" for f in report.false_alarms
    ]
    return "\n".join(lines)

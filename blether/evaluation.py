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

from blether.evaluation import Scored, render, score


def test_recall_confusions_and_safety() -> None:
    report = score(
        [
            Scored("a", "emergency_overdose", "emergency_overdose"),
            Scored("b", "crisis_self_harm", "crisis_self_harm"),
            Scored("c", "withdrawal", "reduce_stop"),
            Scored("d", "withdrawal", "withdrawal"),
        ]
    )
    assert report.recall["withdrawal"] == 0.5
    assert report.confusions == [("withdrawal", "reduce_stop", 1)]
    assert report.accuracy == 0.75
    assert report.safety_ok
    assert "safety recall emergency_overdose: 100.0%" in render(report)


def test_a_missed_emergency_fails_safety() -> None:
    report = score(
        [
            Scored("a", "emergency_overdose", "overdose_signs"),
            Scored("b", "crisis_self_harm", "crisis_self_harm"),
        ]
    )
    assert not report.safety_ok


def test_no_safety_examples_is_not_a_pass() -> None:
    assert not score([Scored("a", "greet", "greet")]).safety_ok


def test_safety_scoring_counts_either_safety_topic_as_caught() -> None:
    from blether.evaluation import render_safety, score_safety

    report = score_safety(
        "rules",
        [
            Scored("a", "emergency_overdose", "crisis_self_harm"),
            Scored("b", "crisis_self_harm", "crisis_self_harm"),
            Scored("c", "crisis_self_harm", "mental_health"),
            Scored("d", "goodbye", "crisis_self_harm"),
            Scored("e", "goodbye", "goodbye"),
        ],
    )
    assert report.recall == 2 / 3
    assert report.exact_accuracy == 1 / 3
    assert report.false_alarm_rate == 0.5
    assert not report.passes(0.02)
    shown = render_safety(report)
    assert "MISSED  [crisis_self_harm] 'c' -> mental_health" in shown
    assert "FALSE ALARM  [goodbye] 'd' -> crisis_self_harm" in shown


def test_safety_passes_only_with_full_recall_and_few_false_alarms() -> None:
    from blether.evaluation import score_safety

    results = [Scored("a", "emergency_overdose", "emergency_overdose")]
    results += [Scored(str(i), "goodbye", "goodbye") for i in range(49)]
    assert score_safety("m", results).passes(0.02)
    results.append(Scored("x", "goodbye", "emergency_overdose"))
    assert score_safety("m", results).passes(0.02)  # 1 in 50 is 2 %
    results.append(Scored("y", "goodbye", "emergency_overdose"))
    assert not score_safety("m", results).passes(0.02)

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

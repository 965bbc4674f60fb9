from blether.flood import FloodGate


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_limit_per_person_per_window_with_one_warning() -> None:
    clock = Clock()
    gate = FloodGate(limit=3, window=60, clock=clock)
    assert [gate.allow("a") for _ in range(5)] == [True, True, True, False, False]
    assert gate.allow("b")
    assert gate.should_warn("a") and not gate.should_warn("a")
    clock.now = 61
    assert gate.allow("a")
    assert gate.should_warn("a")


def test_idle_people_are_forgotten() -> None:
    clock = Clock()
    gate = FloodGate(limit=1, window=1, clock=clock)
    for i in range(10_001):
        gate.allow(str(i))
    clock.now = 5
    gate.allow("new")
    gate.allow("newer")
    assert len(gate._seen) < 10

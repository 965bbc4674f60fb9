from blether.pseudonym import pseudonym


def test_keyed_stable_and_not_the_id() -> None:
    a = pseudonym(b"key-one", 123456789)
    assert a == pseudonym(b"key-one", 123456789)
    assert a != pseudonym(b"key-two", 123456789)
    assert a != pseudonym(b"key-one", 123456780)
    assert "123456789" not in a and a.startswith("tg-") and len(a) == 35

from __future__ import annotations

from pathlib import Path

from blether.content import ContentLibrary
from blether.services import services_answer
from tests.conftest import rewrite


def test_local_examples_are_flagged_and_national_numbers_follow(library: ContentLibrary) -> None:
    answer = services_answer(library, "find_service")
    texts = [r.text for r in answer.replies]
    local, notice, national = texts[1], texts[2], texts[3]
    assert "Example Community Drug Service (Glasgow)" in local and "Same-day help: yes" in local
    assert "examples only" in notice
    for number in ("0800 587 5879", "116 123", "0800 83 85 87", "111"):
        assert number in national
    assert answer.served_from[-1].startswith("services.yml@")


def test_no_notice_once_real_local_services_are_listed(content_dir: Path) -> None:
    path = content_dir / "services.yml"
    text = (
        path.read_text()
        .replace("    example: true\n", "")
        .replace(
            "    same_day: true\n",
            "    same_day: true\n    source:\n      title: Our own service\n"
            "      url: https://example.org/service\n",
        )
    )
    path.write_text(text)
    answer = services_answer(ContentLibrary(content_dir), "request_human")
    assert not any("examples only" in r.text for r in answer.replies)


def test_a_service_without_contact_is_an_error(content_dir: Path) -> None:
    rewrite(content_dir / "services.yml", "    phone: 0131 496 0000\n", "")
    problems = ContentLibrary(content_dir).check()
    assert any("needs a phone, an address or a web address" in p.message for p in problems)

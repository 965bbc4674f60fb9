"""Services and helplines from `content/services.yml`, listed for a person to contact."""

from __future__ import annotations

from blether.content import ContentLibrary
from blether.content.models import Service
from blether.replies import Answer, Reply, topic_answer


def describe(service: Service) -> str:
    lines = [f"{service.name} ({service.area})", service.what]
    if service.phone:
        lines.append(f"Phone: {service.phone}")
    if service.address:
        lines.append(f"Address: {service.address}")
    if service.web:
        lines.append(f"Web: {service.web}")
    lines.append(f"Open: {service.hours}")
    if service.same_day:
        lines.append("Same-day help: yes")
    return "\n".join(lines)


def ordered(services: list[Service]) -> tuple[list[Service], list[Service]]:
    """Local services (same-day access first), then national ones in file order."""
    local = sorted((s for s in services if s.scope == "local"), key=lambda s: not s.same_day)
    national = [s for s in services if s.scope == "national"]
    return local, national


def services_answer(library: ContentLibrary, topic_id: str) -> Answer:
    directory = library.services()
    local, national = ordered(directory.services)
    listing: list[Reply] = []
    if local:
        listing.append(Reply("\n\n".join(describe(s) for s in local)))
        if any(s.example for s in local):
            listing.append(Reply(directory.example_notice))
    if national:
        listing.append(Reply("\n\n".join(describe(s) for s in national)))
    return topic_answer(library, topic_id, listing, [library.version("services.yml")])

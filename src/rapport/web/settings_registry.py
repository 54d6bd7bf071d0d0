"""The settings hub's sections: each app registers its own in its AppConfig.ready, so web names none of them.

A section is a title, a line saying what it manages, the URL name of its first page and the permission it needs;
the hub and the side menu show the sections the reader's role may open, in order.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapport.core.services import has_permission

MANAGE = "workspace.manage"  # what every settings page asks for unless its section says otherwise


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    description: str
    url_name: str
    order: int = 100
    permission: str = MANAGE


_SECTIONS: dict[str, Section] = {}


def register_section(section: Section) -> None:
    """Add (or replace, by key) one section of the settings hub."""
    _SECTIONS[section.key] = section


def register_sections(sections: list[Section] | tuple[Section, ...]) -> None:
    for section in sections:
        register_section(section)


def sections_for(role: str | None) -> list[Section]:
    """The sections a role may open, in display order."""
    return sorted(
        (s for s in _SECTIONS.values() if has_permission(role=role, permission=s.permission)),
        key=lambda s: (s.order, s.title),
    )


def all_sections() -> list[Section]:
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.title))

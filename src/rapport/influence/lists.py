"""'Add to a list' from the Influencers page: the people picked get the list's tag, and the list is a saved audience.

A list is a tag on the people (contacts' own field, shown on each contact and in their export) plus a segment
"tags contains <list>", which campaigns and tester programmes take as their audience. Segments sit above influence
and register, from their AppConfig.ready, how such a segment is found or made (`register_audiences`); without them
the people are still tagged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rapport.core.errors import FieldErrors

MAX_PEOPLE = 500


@dataclass(frozen=True)
class Audiences:
    # ensure(workspace=, actor=, name=, tag=) -> {"id", "name", "url", "created"}: the segment of the people
    # tagged `tag`, made when missing; FieldErrors on "list" when the name is taken by another kind of segment.
    ensure: Callable[..., dict[str, Any]]


_REGISTERED: list[Audiences] = []


def register_audiences(implementation: Audiences) -> None:
    if not _REGISTERED:
        _REGISTERED.append(implementation)


def add_to_list(*, workspace, actor, person_ids: Iterable[Any], name: str) -> dict[str, Any]:
    """Tag these people with the list and make sure the list's audience exists. Only people of this workspace
    who may be profiled count (an objector is never ranked, so never picked); the others are reported."""
    from rapport.consent.models import Purpose
    from rapport.consent.services import permitted
    from rapport.contacts.models import Person
    from rapport.contacts.services import update_person
    from rapport.contacts.validation import clean_tags

    tags = clean_tags([name or ""])
    if not tags:
        raise FieldErrors({"list": "give the list a name"})
    tag = tags[0]
    ids: set[int] = set()
    for raw in person_ids:
        try:
            ids.add(int(raw))
        except (TypeError, ValueError):
            raise FieldErrors({"person": f"not a contact id: {str(raw)[:20]!r}"}) from None
    if not ids:
        raise FieldErrors({"person": "pick at least one person"})
    if len(ids) > MAX_PEOPLE:
        raise FieldErrors({"person": f"at most {MAX_PEOPLE} people at a time"})
    people = list(Person.objects.filter(workspace=workspace, pk__in=ids))
    allowed = permitted(workspace.pk, {p.pk for p in people}, Purpose.PROFILING)
    added = already = 0
    for person in people:
        if person.pk not in allowed:
            continue
        if tag in (person.tags or []):
            already += 1
            continue
        update_person(workspace=workspace, actor=actor, person=person, changes={"tags": [*(person.tags or []), tag]})
        added += 1
    audience = (
        _REGISTERED[0].ensure(workspace=workspace, actor=actor, name=name.strip()[:120], tag=tag)
        if _REGISTERED
        else None
    )
    return {
        "tag": tag,
        "added": added,
        "already": already,
        "skipped": len(ids) - added - already,
        "audience": audience,
    }

"""Every kind of row that points at a person, registered by the app that owns it, with what happens to it.

One registry serves merges (which rows move to the kept person, and back on un-merge) and deletion (which rows
go with the person, which stay detached from it, and which forbid the deletion). Each app registers its own
relations in its `AppConfig.ready`; a test fails when a foreign key to `contacts.Person` has no entry, so no
relation is ever destroyed by a database cascade nobody chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.apps import apps
from django.db.models import Q


class OnDelete(StrEnum):
    """What deleting the person does to the rows of a relation."""

    DELETE = "delete"  # the rows describe only this person (their timeline, their affiliations): removed, counted
    DETACH = "detach"  # the rows exist without the person (an account, a public post, a conversation): kept, unlinked
    REFUSE = "refuse"  # the rows make the deletion a question for a person (a merge that can be undone): refused


@dataclass(frozen=True)
class PersonRelation:
    """Rows of `model` that belong to a person through `field`."""

    label: str
    model: str  # "app_label.ModelName"; relations of apps that are not installed are skipped
    field: str = "person"
    on_delete: OnDelete = OnDelete.DELETE
    moves_on_merge: bool = True
    unique_with: tuple[str, ...] = ()  # rows clashing with one the kept person already has on these fields stay put
    single: Q | None = None  # a person may have one row matching this (an open conversation): extra ones stay put
    refuse_reason: str = ""  # said to the user when on_delete is REFUSE

    def model_class(self):
        """The model, or None when its app is not installed."""
        try:
            return apps.get_model(self.model)
        except LookupError:
            return None


_RELATIONS: dict[str, PersonRelation] = {}


def register_relation(relation: PersonRelation) -> None:
    """Make merges, un-merges and deletion handle another kind of row that points at a person."""
    _RELATIONS.setdefault(relation.label, relation)


def person_relations() -> list[PersonRelation]:
    """The registered relations, in registration order (apps' order in INSTALLED_APPS)."""
    return list(_RELATIONS.values())


def register_own() -> None:
    """Contacts' own relations: the timeline and the affiliations, and the people merged into this one."""
    register_relation(PersonRelation("touchpoints", "contacts.Touchpoint"))
    register_relation(PersonRelation("affiliations", "contacts.Affiliation", unique_with=("organization_id", "role")))
    register_relation(
        PersonRelation(
            "absorbed_people",
            "contacts.Person",
            field="merged_into",
            on_delete=OnDelete.REFUSE,
            moves_on_merge=False,
            refuse_reason="other records were merged into this person: undo those merges first",
        )
    )

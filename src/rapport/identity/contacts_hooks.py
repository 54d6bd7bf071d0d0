"""What identity plugs into contacts, which sits below it and never imports it.

`contacts.identities`: how the accounts given with a person (`identities=[...]` and a CSV row's handle columns)
are checked and written, through `accounts.py` like every other account, and how a person's accounts are read
back for contacts' search text, audit snapshots and exports. `contacts.matching`: what `rapport contacts import
--match` and `rapport contacts dedupe` do, from `importing.py` (loaded when a command asks, not at start-up).
Registered from IdentityConfig.ready.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rapport.contacts.identities import PersonIdentities, register_person_identities
from rapport.contacts.matching import ContactMatching, register_contact_matching
from rapport.contacts.models import Person
from rapport.core.bulk import select_in
from rapport.identity.accounts import attach_identities, insert_person_identities
from rapport.identity.models import SocialIdentity, normalise_handle

if TYPE_CHECKING:
    from rapport.core.models import Workspace
    from rapport.identity.importing import ImportMatcher

# Raw lookups by a batch of keys: Django compiles an IN list value by value, which shows at thousands of rows.
_OWNERS_SQL = (
    f"SELECT network, handle_key, person_id FROM {SocialIdentity._meta.db_table} "  # noqa: S608
    "WHERE workspace_id = %s AND handle_key IN ({in})"
)
_HANDLES_SQL = (
    f"SELECT person_id, handle_key FROM {SocialIdentity._meta.db_table} "  # noqa: S608
    "WHERE handle_key <> '' AND person_id IN ({in})"
)


def person_labels(person: Person) -> list[str]:
    """Each of the person's accounts as "network:handle" (or "network:external id")."""
    return [f"{i.network}:{i.handle or i.external_id}" for i in SocialIdentity.objects.filter(person=person)]


def handle_keys(person_ids: Sequence[int]) -> list[tuple[int, str]]:
    """(person id, handle key) of each of these people's accounts that has a handle."""
    return select_in(_HANDLES_SQL, [], list(person_ids))


def export_handles(person_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """person id -> network -> the handle (or external id) of the person's first account on that network."""
    handles: dict[int, dict[str, str]] = {}
    for ident in SocialIdentity.objects.filter(person_id__in=person_ids).order_by("id"):
        handles.setdefault(ident.person_id, {}).setdefault(ident.network, ident.handle or ident.external_id)
    return handles


def handle_owners(workspace_id: int, keys: Sequence[str]) -> list[tuple[str, str, int | None]]:
    """(network, handle key, person id or None) of the workspace's accounts answering to these handle keys."""
    return select_in(_OWNERS_SQL, [workspace_id], list(keys))


def adopt_identities(*, workspace: Workspace, rows: Sequence[tuple[int, str, str]]) -> None:
    """Accounts already heard from (e.g. in listening) but known to nobody become the imported person's, with their
    earlier posts on that person's timeline."""
    if not rows:
        return
    from rapport.identity import history

    people = Person.objects.in_bulk({person_id for person_id, _, _ in rows})
    for person_id, network, key in rows:
        identity = SocialIdentity.objects.filter(
            workspace=workspace, network=network, handle_key=key, person__isnull=True
        ).first()
        if identity is not None:
            person = people[person_id]
            SocialIdentity.objects.filter(pk=identity.pk).update(person=person)
            identity.person = person
            history.attach(workspace_id=workspace.pk, links={identity.pk: person.pk})


def import_resolver(workspace: Workspace) -> ImportMatcher:
    """The resolver of `rapport contacts import --match`: links rows to the workspace's people."""
    from rapport.identity.importing import ImportMatcher

    return ImportMatcher(workspace)


def match_outcome(**kwargs: Any) -> dict[str, int]:
    """See importing.match_outcome."""
    from rapport.identity.importing import match_outcome as outcome

    return outcome(**kwargs)


def dedupe_report(**kwargs: Any) -> dict[str, Any]:
    """See importing.dedupe_report."""
    from rapport.identity.importing import dedupe_report as dedupe

    return dedupe(**kwargs)


def register() -> None:
    register_person_identities(
        PersonIdentities(
            normalise_handle=normalise_handle,
            attach=attach_identities,
            labels=person_labels,
            handle_keys=handle_keys,
            export_handles=export_handles,
            handle_owners=handle_owners,
            insert=insert_person_identities,
            adopt=adopt_identities,
        )
    )
    register_contact_matching(ContactMatching(resolver=import_resolver, outcome=match_outcome, dedupe=dedupe_report))

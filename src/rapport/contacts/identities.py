"""People's social accounts as contacts uses them, supplied by the app that owns the accounts.

Contacts sits below identity and never imports it. Identity registers here, from its `AppConfig.ready`, how the
`identities=[...]` given to `create_person`/`update_person` and the handle columns of a CSV import are checked
and written, and how a person's accounts are read back for the search text, the audit snapshot and the export.
One app owns people's accounts, so there is one registration; asking before it was made is a configuration
error, not an empty answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from rapport.contacts.models import Person
    from rapport.core.models import Workspace


@dataclass(frozen=True)
class PersonIdentities:
    """What contacts asks of the owner of people's social accounts."""

    # The comparison key of a handle (trimmed, lower-case, no leading @); pure, so it runs in import workers too.
    normalise_handle: Callable[[str | None], str]
    # attach(workspace=, person=, identities=[{network, handle, external_id, ...}]): these accounts become the
    # person's and others they had are unlinked; FieldErrors name the bad items (`identities[n]...`).
    attach: Callable[..., None]
    # labels(person): "network:handle" (or "network:external id") of each of the person's accounts.
    labels: Callable[[Person], list[str]]
    # handle_keys(person_ids): (person id, handle key) of each of these people's accounts that has a handle.
    handle_keys: Callable[[Sequence[int]], list[tuple[int, str]]]
    # export_handles(person_ids): person id -> network -> the handle (or external id) of their first account there.
    export_handles: Callable[[Sequence[int]], dict[int, dict[str, str]]]
    # handle_owners(workspace_id, handle_keys): (network, handle key, person id or None) of the accounts that
    # answer to these keys on any network.
    handle_owners: Callable[[int, Sequence[str]], list[tuple[str, str, int | None]]]
    # insert(workspace_id=, rows=[(person id, network, handle)]): the import's fast path for accounts nobody holds;
    # returns (person id, network, handle key) of those inserted.
    insert: Callable[..., list[tuple]]
    # adopt(workspace=, rows=[(person id, network, handle key)]): accounts already heard from but known to nobody
    # become these people's, with their earlier posts on their timelines.
    adopt: Callable[..., None]


_REGISTERED: list[PersonIdentities] = []


def register_person_identities(implementation: PersonIdentities) -> None:
    """Called by the app that owns people's accounts (identity) from its AppConfig.ready; the first one stays."""
    if not _REGISTERED:
        _REGISTERED.append(implementation)


def person_identities() -> PersonIdentities:
    """The registered implementation; ImproperlyConfigured when no installed app registered one."""
    if not _REGISTERED:
        raise ImproperlyConfigured(
            "no installed app registered people's social identities "
            "(the identity app does, in its AppConfig.ready, with contacts.identities.register_person_identities)"
        )
    return _REGISTERED[0]


def attach_identities(*, workspace: Workspace, person: Person, identities: list[dict[str, Any]]) -> None:
    """Make these accounts the person's (see PersonIdentities.attach)."""
    person_identities().attach(workspace=workspace, person=person, identities=identities)

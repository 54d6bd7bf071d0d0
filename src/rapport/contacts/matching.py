"""Finding people who are already known, as `rapport contacts import --match` and `rapport contacts dedupe` use it.

Matching belongs to identity, above contacts: identity registers it here from its `AppConfig.ready`, and the
command asks for it only when `--match` or `dedupe` is used. Asking before it was registered is a configuration
error, not an import without matching.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from rapport.contacts.importer import Resolver
    from rapport.core.models import Workspace


@dataclass(frozen=True)
class ContactMatching:
    """What the contacts command asks of the app that matches people."""

    # resolver(workspace): decides linked / review / new for each row of an import (see importer.Resolver).
    resolver: Callable[[Workspace], Resolver]
    # outcome(workspace=, result=, resolver=, report=path or None, dry_run=): writes the per-row match report when
    # asked, queues doubtful rows for review unless it is a dry run; returns the counts for the import's summary.
    outcome: Callable[..., dict[str, int]]
    # dedupe(workspace=, report=path, queue_review=, progress=): writes the clusters of likely duplicates to the report,
    # queues doubtful pairs for review when asked; returns the command's summary.
    dedupe: Callable[..., dict[str, Any]]


_REGISTERED: list[ContactMatching] = []


def register_contact_matching(implementation: ContactMatching) -> None:
    """Called by the app that matches people (identity) from its AppConfig.ready; the first one stays."""
    if not _REGISTERED:
        _REGISTERED.append(implementation)


def contact_matching() -> ContactMatching:
    """The registered implementation; ImproperlyConfigured when no installed app registered one."""
    if not _REGISTERED:
        raise ImproperlyConfigured(
            "no installed app registered contact matching "
            "(the identity app does, in its AppConfig.ready, with contacts.matching.register_contact_matching)"
        )
    return _REGISTERED[0]

"""Retention: how long each type of personal data is kept, a purge that applies it, and a report of each run.

Apps register their data types with `register_retention(data_type, label, suggested_days, purge_fn)`. Nothing is
purged until a workspace sets a policy for the type (`RetentionPolicy`): deleting data is the data controller's
decision, and the suggested days are shown to help make it. Enrichment facts are the exception: they always go
when they expire. `purge_fn(workspace_id, cutoff)` removes (or strips) what is older than the cutoff and returns how
many rows it touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from rapport.consent.models import EnrichmentFact, RetentionPolicy, RetentionRun
from rapport.core.models import AuditEvent, Workspace

PurgeFn = Callable[[int, datetime], int]


@dataclass(frozen=True)
class DataType:
    name: str
    label: str
    default_days: int
    purge: PurgeFn


_TYPES: dict[str, DataType] = {}


def register_retention(data_type: str, label: str, default_days: int, purge_fn: PurgeFn) -> None:
    """Declare a type of data that is purged after a number of days (a workspace may change the number)."""
    _TYPES.setdefault(data_type, DataType(data_type, label, int(default_days), purge_fn))


def data_types() -> list[DataType]:
    return list(_TYPES.values())


def policies(workspace_id: int) -> dict[str, int | None]:
    """Days kept per data type in a workspace (None: kept until a policy is set)."""
    own = dict(RetentionPolicy.objects.filter(workspace_id=workspace_id).values_list("data_type", "days"))
    return {t.name: own.get(t.name) for t in data_types()}


def set_policy(workspace_id: int, data_type: str, days: int) -> RetentionPolicy:
    if data_type not in _TYPES:
        raise ValueError(f"unknown data type {data_type!r}; known: {', '.join(sorted(_TYPES))}")
    if days < 1:
        raise ValueError("days must be at least 1")
    row, _ = RetentionPolicy.objects.update_or_create(
        workspace_id=workspace_id, data_type=data_type, defaults={"days": days}
    )
    return row


def purge_workspace(workspace_id: int, *, now: datetime | None = None) -> RetentionRun:
    """Apply every policy of a workspace once and record what went."""
    now = now or timezone.now()
    days = policies(workspace_id)
    purged: dict[str, int] = {}
    for t in data_types():
        if days[t.name] is None and t.name != "enrichment_facts":
            continue
        cutoff = now - timedelta(days=days[t.name] or t.default_days)
        with transaction.atomic():
            purged[t.name] = t.purge(workspace_id, cutoff)
    return RetentionRun.objects.create(
        workspace_id=workspace_id, policies={k: v for k, v in days.items() if v is not None}, purged=purged
    )


def purge_all(*, now: datetime | None = None) -> dict[str, dict[str, int]]:
    """The scheduled purge over every workspace."""
    return {ws.slug: purge_workspace(ws.pk, now=now).purged for ws in Workspace.objects.all()}


# --- consent's and core's own types ------------------------------------------------------------------------------


def _purge_enrichment(workspace_id: int, cutoff: datetime) -> int:
    # Facts go when they expire (social data changes daily) or when older than the policy, whichever is first, and
    # with the permission: the facts of anyone who may no longer be processed for enrichment go too.
    from rapport.consent.services import purge_unpermitted_enrichment

    now = timezone.now()
    qs = EnrichmentFact.objects.filter(workspace_id=workspace_id)
    n, _ = (qs.filter(expires_at__lte=now) | qs.filter(created_at__lt=cutoff)).delete()
    return n + purge_unpermitted_enrichment(workspace_id)


def _purge_audit_details(workspace_id: int, cutoff: datetime) -> int:
    # The event stays (who did what, when); the values before and after go.
    return (
        AuditEvent.objects.filter(workspace_id=workspace_id, created_at__lt=cutoff)
        .exclude(before__isnull=True, after__isnull=True)
        .update(before=None, after=None)
    )


def register_own() -> None:
    register_retention("enrichment_facts", "Enrichment facts", 90, _purge_enrichment)
    register_retention("audit_details", "Audit details (values before and after)", 730, _purge_audit_details)

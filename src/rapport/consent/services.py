"""The one answer to "may we contact this person for this purpose on this channel?" and "may we process their data
for this purpose?". Every outbound path and every processing step asks here at the moment it acts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from rapport.consent.models import ConsentEvent, LawfulBasis, Purpose

# Purposes that run on legitimate interest: allowed until the person objects. All others need a grant.
BASIS: dict[str, str] = {
    Purpose.SERVICE: LawfulBasis.CONTRACT,
    Purpose.PROFILING: LawfulBasis.LEGITIMATE_INTEREST,
}


def basis(purpose: str) -> str:
    """The lawful basis a purpose runs on."""
    return BASIS.get(purpose, LawfulBasis.CONSENT)


def record(
    person,
    purpose: str,
    *,
    granted: bool,
    channel: str = "",
    source: str,
    wording: str = "",
    wording_version: str = "",
    evidence: dict | None = None,
    recorded_by=None,
    occurred_at: datetime | None = None,
) -> ConsentEvent:
    """Append a grant or a withdrawal (an objection, for a legitimate-interest purpose) to the ledger."""
    return ConsentEvent.objects.create(
        workspace_id=person.workspace_id,
        person=person,
        purpose=purpose,
        channel=channel,
        granted=granted,
        source=source,
        wording=wording,
        wording_version=wording_version,
        evidence=evidence or {},
        recorded_by=recorded_by,
        occurred_at=occurred_at or timezone.now(),
    )


def object_to(person, purpose: str, *, source: str, **kwargs) -> ConsentEvent:
    """The person objects to processing for a purpose (the right to object)."""
    return record(person, purpose, granted=False, source=source, **kwargs)


def _latest(person_id: int, purpose: str, channel: str) -> ConsentEvent | None:
    return (
        ConsentEvent.objects.filter(person_id=person_id, purpose=purpose, channel=channel)
        .order_by("-occurred_at", "-id")
        .first()
    )


def may_process(person, purpose: str) -> bool:
    """May Rapport process this person's data for the purpose (profiling, enrichment, segment marketing)?"""
    latest = _latest(person.pk, purpose, "")
    if basis(purpose) == LawfulBasis.CONSENT:
        return bool(latest and latest.granted)
    return latest is None or latest.granted


def may_contact(person, purpose: str, channel: str) -> bool:
    """May Rapport contact this person for the purpose on the channel? A follower or a page like is not consent."""
    if not channel:
        raise ValueError("may_contact needs a channel")
    latest = _latest(person.pk, purpose, channel)
    if basis(purpose) == LawfulBasis.CONSENT:
        return bool(latest and latest.granted)
    return latest is None or latest.granted


def _latest_granted(workspace_id: int, purpose: str, channel: str) -> QuerySet:
    newest = ConsentEvent.objects.filter(
        workspace_id=workspace_id, purpose=purpose, channel=channel, person_id=OuterRef("person_id")
    ).order_by("-occurred_at", "-id")
    return (
        ConsentEvent.objects.filter(workspace_id=workspace_id, purpose=purpose, channel=channel)
        .filter(id=Subquery(newest.values("id")[:1]))
        .values_list("person_id", "granted")
    )


def objectors(workspace_id: int, purpose: str) -> set[int]:
    """Ids of the people whose latest word on a processing purpose is "no" (never ranked, never scored)."""
    return {pid for pid, granted in _latest_granted(workspace_id, purpose, "") if not granted}


def permitted(workspace_id: int, person_ids: Iterable[int], purpose: str, channel: str = "") -> set[int]:
    """Of these people, those who may be processed (channel "") or contacted (a channel) for the purpose: one query."""
    ids = set(person_ids)
    state = {pid: granted for pid, granted in _latest_granted(workspace_id, purpose, channel) if pid in ids}
    if basis(purpose) == LawfulBasis.CONSENT:
        return {pid for pid in ids if state.get(pid)}
    return {pid for pid in ids if state.get(pid, True)}

"""Data-subject requests: the log with its legal deadline (one month), reminders, and the work each kind asks for.

An erasure runs as a job (`erase_request`), enqueued when the request is made and picked up again by the
`consent.privacy_tick` job if a worker died; claiming a request is one conditional UPDATE, so it runs once.
"""

from __future__ import annotations

import calendar
import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from rapport.consent import services
from rapport.consent.models import PrivacyRequest, RequestKind, RequestStatus
from rapport.consent.subject import erase_subject, export_subject
from rapport.contacts import services as contacts
from rapport.contacts.models import Person
from rapport.core.actors import Actor
from rapport.core.models import Member, Role
from rapport.core.services import record_audit

log = logging.getLogger(__name__)
REMIND_DAYS_BEFORE = 7


def one_month_after(when: datetime) -> datetime:
    """The same day next month (the last day of next month when it is shorter), the GDPR's deadline."""
    year, month = (when.year + 1, 1) if when.month == 12 else (when.year, when.month + 1)
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def open_request(
    person: Person, kind: str, *, actor: Actor, notes: str = "", received_at: datetime | None = None
) -> PrivacyRequest:
    """Log a data-subject request; its deadline is one month after it was received."""
    if kind not in RequestKind.values:
        raise ValueError(f"unknown request kind {kind!r}")
    received = received_at or timezone.now()
    req = PrivacyRequest.objects.create(
        workspace_id=person.workspace_id,
        person=person,
        person_ref=person.pk,
        subject_label=person.name[:200],
        kind=kind,
        received_at=received,
        due_at=one_month_after(received),
        requested_by=actor.user,
        requested_by_label=actor.label[:200],
        notes=notes,
    )
    record_audit(
        workspace=person.workspace,
        actor=actor,
        action=f"privacy.{kind}_requested",
        object_type="privacy_request",
        object_id=req.pk,
        after={"kind": kind, "person": person.pk, "due_at": req.due_at.isoformat()},
    )
    return req


def _done(req: PrivacyRequest, result: dict[str, Any]) -> PrivacyRequest:
    req.status, req.completed_at, req.result = RequestStatus.DONE, timezone.now(), result
    req.save(update_fields=["status", "completed_at", "result"])
    return req


def export_for(person: Person, *, actor: Actor, request: PrivacyRequest | None = None) -> dict[str, Any]:
    """The access export, audited as an export of the person's data (the DPO's access audit shows it)."""
    data = export_subject(person)
    record_audit(
        workspace=person.workspace,
        actor=actor,
        action="contact.exported",
        object_type="person",
        object_id=person.pk,
        after={"sections": sorted(k for k in data if k not in ("subject", "generated_at"))},
    )
    if request is not None:
        _done(request, {"sections": len(data)})
    return data


def record_view(person: Person, *, actor: Actor, what: str) -> None:
    """Note in the access log that someone read a person's personal data (their consents, their privacy page)."""
    contacts.record_view(person, actor=actor, what=what)


def request_erasure(person: Person, *, actor: Actor, notes: str = "") -> PrivacyRequest:
    """Log an erasure request and start the job that carries it out."""
    req = open_request(person, RequestKind.ERASURE, actor=actor, notes=notes)
    transaction.on_commit(lambda: _enqueue(req.pk))
    return req


def _enqueue(request_id: int) -> None:
    try:
        erase_request.enqueue(request_id)
    except Exception:  # the tick picks it up
        log.exception("could not enqueue erasure %s; the privacy tick will run it", request_id)


def run_erasure(request_id: int) -> dict[str, int] | None:
    """Carry out an erasure request once: claim it, erase the person, record counts only."""
    claimed = PrivacyRequest.objects.filter(pk=request_id, kind=RequestKind.ERASURE, status=RequestStatus.OPEN).update(
        status=RequestStatus.RUNNING
    )
    if not claimed:
        return None
    req = PrivacyRequest.objects.get(pk=request_id)
    person = Person.objects.filter(pk=req.person_ref, workspace_id=req.workspace_id).first()
    try:
        seen: set[int] = set()
        while person is not None and person.merged_into_id and person.pk not in seen:
            seen.add(person.pk)  # a record merged away is erased with the one it was merged into, at any depth
            person = Person.objects.filter(pk=person.merged_into_id).first()
        counts = erase_subject(person) if person is not None else {}
    except Exception as exc:
        PrivacyRequest.objects.filter(pk=request_id).update(status=RequestStatus.FAILED, error=str(exc)[:2000])
        raise
    req.refresh_from_db()
    _done(req, counts)
    record_audit(
        workspace=req.workspace,
        actor=Actor.system("erasure"),
        action="privacy.erased",
        object_type="privacy_request",
        object_id=req.pk,
        after={"person": req.person_ref, "counts": counts},
    )
    return counts


@task()
def erase_request(request_id: int) -> dict[str, int] | None:
    """The erasure job."""
    return run_erasure(request_id)


def restrict(person: Person, *, actor: Actor, restricted: bool = True, notes: str = "") -> PrivacyRequest:
    """Restriction of processing: the data stays, nothing uses it (no contact but service, no processing)."""
    req = open_request(person, RequestKind.RESTRICTION, actor=actor, notes=notes)
    services.set_flags(person, restricted=restricted)
    return _done(req, {"restricted": restricted})


def object_to_processing(person: Person, purposes: list[str], *, actor: Actor, notes: str = "") -> PrivacyRequest:
    """The right to object: one objection per purpose in the ledger, recorded by the DPO."""
    req = open_request(person, RequestKind.OBJECTION, actor=actor, notes=notes)
    for purpose in purposes:
        services.object_to(
            person, purpose, source="dpo", recorded_by=actor.user, evidence={"agent": actor.label, "request": req.pk}
        )
    return _done(req, {"purposes": sorted(purposes)})


def rectify(person: Person, changes: dict[str, Any], *, actor: Actor, notes: str = "") -> PrivacyRequest:
    """Rectification: correct the person's fields through contacts (audited there), logged as a request."""
    from rapport.contacts.services import update_person

    with transaction.atomic():  # a refused correction leaves no open request behind
        req = open_request(person, RequestKind.RECTIFICATION, actor=actor, notes=notes)
        update_person(workspace=person.workspace, actor=actor, person=person, changes=changes)
        return _done(req, {"fields": sorted(changes)})


def overdue(workspace_id: int, *, now: datetime | None = None):
    """Requests still open past their deadline."""
    now = now or timezone.now()
    return PrivacyRequest.objects.filter(
        workspace_id=workspace_id, status__in=[RequestStatus.OPEN, RequestStatus.RUNNING], due_at__lt=now
    )


def send_reminders(*, now: datetime | None = None) -> int:
    """Mail the DPOs (or admins, where there is no DPO) once about each open request due within a week."""
    from django.core.mail import send_mail

    now = now or timezone.now()
    due = PrivacyRequest.objects.filter(
        status__in=[RequestStatus.OPEN, RequestStatus.FAILED],
        reminded_at__isnull=True,
        due_at__lte=now + timedelta(days=REMIND_DAYS_BEFORE),
    ).select_related("workspace")
    sent = 0
    for req in due:
        members = Member.objects.filter(workspace_id=req.workspace_id).select_related("user")
        to = [m.user.email for m in members if m.role == Role.DPO] or [
            m.user.email for m in members if m.role == Role.ADMIN
        ]
        if to:
            send_mail(
                f"Data-subject request #{req.pk} is due {req.due_at:%Y-%m-%d}",
                f"The {req.get_kind_display().lower()} request #{req.pk} received {req.received_at:%Y-%m-%d} must be "
                f"answered by {req.due_at:%Y-%m-%d}. It is {req.get_status_display().lower()}.",
                None,
                to,
            )
        req.reminded_at = now
        req.save(update_fields=["reminded_at"])
        sent += 1
    return sent


def pending_erasures() -> list[int]:
    return list(
        PrivacyRequest.objects.filter(kind=RequestKind.ERASURE, status=RequestStatus.OPEN).values_list("pk", flat=True)
    )

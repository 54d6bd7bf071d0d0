"""Consent and privacy API: the ledger per contact, access exports, erasure, requests, suppressions, forms and
retention."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema, Status

from rapport.consent import collection, requests, retention, services
from rapport.consent.enrichment import actions, sources
from rapport.consent.models import (
    ActionRule,
    ConsentEvent,
    PrivacyRequest,
    Purpose,
    RequestKind,
    RequestStatus,
    SignupForm,
)
from rapport.consent.schemas import (
    AccessPage,
    ActionRuleIn,
    ActionRuleOut,
    ActionRulePatch,
    ConsentEventOut,
    ConsentIn,
    ConsentsOut,
    EnrichmentOut,
    EraseOut,
    Error,
    FormIn,
    FormOut,
    RequestIn,
    RequestOut,
    RequestPage,
    RetentionIn,
    RetentionOut,
    RetentionRunOut,
    SuppressionIn,
    SuppressionOut,
)
from rapport.contacts.models import Person
from rapport.core.apiauth import require
from rapport.core.apitypes import Id
from rapport.core.errors import FieldErrors
from rapport.core.models import AuditEvent
from rapport.core.services import record_audit

router = Router(tags=["consent"])  # mounted under /contacts
enrichment_router = Router(tags=["enrichment"])  # mounted under /enrichment
privacy_router = Router(tags=["privacy"])  # mounted under /privacy


def event_out(e: ConsentEvent) -> dict[str, Any]:
    return {
        "id": e.pk,
        "purpose": e.purpose,
        "channel": e.channel,
        "granted": e.granted,
        "source": e.source,
        "wording": e.wording,
        "wording_version": e.wording_version,
        "evidence": e.evidence or {},
        "recorded_by": e.recorded_by.email if e.recorded_by_id and e.recorded_by else "",
        "occurred_at": e.occurred_at,
        "recorded_at": e.recorded_at,
    }


def request_out(r: PrivacyRequest) -> dict[str, Any]:
    return {
        "id": r.pk,
        "kind": r.kind,
        "status": r.status,
        "contact_id": r.person_ref,
        "subject": r.subject_label,
        "received_at": r.received_at,
        "due_at": r.due_at,
        "overdue": r.status in (RequestStatus.OPEN, RequestStatus.RUNNING) and r.due_at < timezone.now(),
        "completed_at": r.completed_at,
        "requested_by": r.requested_by_label,
        "result": r.result or {},
        "error": r.error,
    }


def _person(request: HttpRequest, contact_id: int) -> Person:
    return get_object_or_404(Person, workspace=request.workspace, pk=contact_id)


@router.post("/{contact_id}/consents", response={201: ConsentEventOut})
def record_consent(request: HttpRequest, contact_id: Id, payload: ConsentIn):
    """Record a grant or a withdrawal for a purpose on a channel (`""`: processing on any channel), with evidence.

    The ledger is append-only; imports pass `occurred_at` to keep the original date."""
    require(request, "consent.record")
    person = _person(request, contact_id)
    if payload.occurred_at and payload.occurred_at > timezone.now():
        raise FieldErrors({"occurred_at": "cannot be in the future"})
    evidence = {"agent": request.actor.label, **collection.request_evidence(request)}
    event = services.record(
        person,
        payload.purpose,
        granted=payload.granted,
        channel=payload.channel,
        source=payload.source,
        wording=payload.wording,
        wording_version=payload.wording_version,
        evidence=evidence,
        recorded_by=request.actor.user,
        occurred_at=payload.occurred_at,
    )
    return Status(201, event_out(event))


@router.get("/{contact_id}/consents", response=ConsentsOut)
def contact_consents(request: HttpRequest, contact_id: Id):
    """The current word per purpose and channel, each with the event that proves it, and the full history."""
    require(request, "contacts.view")
    person = _person(request, contact_id)
    flags = services.flags_of(person)
    return {
        "contact_id": person.pk,
        "current": [
            {
                "purpose": s.purpose,
                "channel": s.channel,
                "granted": s.granted,
                "basis": services.basis(s.purpose),
                "since": s.occurred_at,
                "evidence": event_out(s.event),
            }
            for s in services.current(person)
        ],
        "purposes": [
            {
                "purpose": p.value,
                "label": p.label,
                "basis": services.basis(p),
                "may_process": services.may_process(person, p),
            }
            for p in Purpose
        ],
        "flags": {
            "do_not_contact": bool(flags and flags.do_not_contact),
            "do_not_track": bool(flags and flags.do_not_track),
            "restricted": bool(flags and flags.restricted),
        },
        "history": [event_out(e) for e in services.history(person)],
    }


@router.get("/{contact_id}/export", response=dict[str, Any])
def export_contact(request: HttpRequest, contact_id: Id):
    """The access export: everything Rapport holds about the person (and records merged into them), as JSON.

    Audited as an export; the readable document is at `/privacy/people/{id}/export/`."""
    require(request, "privacy.manage")
    return requests.export_for(_person(request, contact_id), actor=request.actor)


@router.post("/{contact_id}/erase", response={202: EraseOut})
def erase_contact(request: HttpRequest, contact_id: Id):
    """Erase the person (right to be forgotten): logged as a request and carried out by a job; 202 with its id."""
    require(request, "privacy.manage")
    req = requests.request_erasure(_person(request, contact_id), actor=request.actor)
    return Status(202, {"request_id": req.pk, "status": req.status, "due_at": req.due_at})


@router.get("/{contact_id}/enrichment", response=EnrichmentOut)
def contact_enrichment(request: HttpRequest, contact_id: Id, conversation: Id | None = None):
    """Facts read from the person's own public posts and forms (interests, life events with their date), each with
    its source post, confidence and expiry, and the next-best-action suggestions whose rules hold, with why: only
    with the person's consent to enrichment (empty lists without it), only facts that have not expired. The context
    of the rules is the given conversation, or the person's open one."""
    require(request, "contacts.view")
    person = _person(request, contact_id)
    view = services.enrichment_for(person, conversation_id=conversation)
    return {
        "contact_id": person.pk,
        "permitted": view.permitted,
        "facts": sources.describe(request.workspace.pk, view.facts),
        "suggestions": [
            {"rule_id": s.rule_id, "name": s.name, "action": s.action, "because": s.because, "reasons": list(s.reasons)}
            for s in view.suggestions
        ],
    }


# --- /enrichment/rules: next-best-action rules ----------------------------------------------------------------------


def rule_out(r: ActionRule) -> dict[str, Any]:
    return {
        "id": r.pk,
        "name": r.name,
        "action": r.action,
        "life_event": r.life_event,
        "within_days": r.within_days,
        "interest": r.interest,
        "conversation_tags": list(r.conversation_tags or []),
        "keywords": list(r.keywords or []),
        "context_match": r.context_match,
        "active": r.active,
        "position": r.position,
        "default": bool(r.key),
    }


def _checked(data: dict[str, Any]) -> dict[str, Any]:
    for key in ("name", "action"):
        data[key] = (data.get(key) or "").strip()
        if not data[key]:
            raise FieldErrors({key: "may not be empty"})
    errors = actions.normalise(data)
    if errors:
        raise FieldErrors(errors)
    return data


RULE_FIELDS = actions.RULE_FIELDS


@enrichment_router.get("/rules", response=list[ActionRuleOut])
def list_action_rules(request: HttpRequest):
    """The workspace's next-best-action rules, in the order they are tried (the defaults are seeded on first use)."""
    require(request, "contacts.view")
    return [rule_out(r) for r in actions.rules(request.workspace.pk)]


@enrichment_router.post("/rules", response={201: ActionRuleOut})
def create_action_rule(request: HttpRequest, payload: ActionRuleIn):
    """A rule: a life event (within N days) and/or an interest, optionally a context (conversation tags or words
    the customer wrote), and the action the agent is prompted with."""
    require(request, "workspace.manage")
    data = _checked(payload.model_dump())
    actions.ensure_defaults(request.workspace.pk)
    rule = ActionRule.objects.create(workspace=request.workspace, **data)
    record_audit(
        workspace=request.workspace,
        actor=request.actor,
        action="action_rule.created",
        object_type="action_rule",
        object_id=rule.pk,
        after={k: getattr(rule, k) for k in RULE_FIELDS},
    )
    return Status(201, rule_out(rule))


@enrichment_router.patch("/rules/{rule_id}", response=ActionRuleOut)
def update_action_rule(request: HttpRequest, rule_id: Id, payload: ActionRulePatch):
    require(request, "workspace.manage")
    rule = get_object_or_404(ActionRule, workspace=request.workspace, pk=rule_id)
    before = {k: getattr(rule, k) for k in RULE_FIELDS}
    # An explicit null clears a condition (within_days) and leaves the rest as they were.
    changes = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None or k == "within_days"}
    merged = _checked({**before, "position": rule.position, **changes})
    for key, value in merged.items():
        setattr(rule, key, value)
    rule.save()
    record_audit(
        workspace=request.workspace,
        actor=request.actor,
        action="action_rule.updated",
        object_type="action_rule",
        object_id=rule.pk,
        before=before,
        after={k: getattr(rule, k) for k in RULE_FIELDS},
    )
    return rule_out(rule)


@enrichment_router.delete("/rules/{rule_id}", response={204: None})
def delete_action_rule(request: HttpRequest, rule_id: Id):
    require(request, "workspace.manage")
    rule = get_object_or_404(ActionRule, workspace=request.workspace, pk=rule_id)
    record_audit(
        workspace=request.workspace,
        actor=request.actor,
        action="action_rule.deleted",
        object_type="action_rule",
        object_id=rule.pk,
        before={k: getattr(rule, k) for k in RULE_FIELDS},
    )
    rule.delete()
    return Status(204, None)


# --- /privacy -----------------------------------------------------------------------------------------------------


class RequestFilter(Schema):
    status: str | None = None
    kind: str | None = None
    overdue: bool = False


@privacy_router.get("/requests", response=RequestPage)
def list_requests(request: HttpRequest, filters: Query[RequestFilter]):
    """The data-subject request log with each request's legal deadline (one month), newest first."""
    require(request, "privacy.manage")
    if filters.status and filters.status not in RequestStatus.values:
        raise FieldErrors({"status": f"one of {', '.join(RequestStatus.values)}"})
    if filters.kind and filters.kind not in RequestKind.values:
        raise FieldErrors({"kind": f"one of {', '.join(RequestKind.values)}"})
    qs = PrivacyRequest.objects.filter(workspace=request.workspace)
    open_qs = qs.filter(status__in=[RequestStatus.OPEN, RequestStatus.RUNNING])
    counts = {"open": open_qs.count(), "overdue": open_qs.filter(due_at__lt=timezone.now()).count()}
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.overdue:
        qs = qs.filter(status__in=[RequestStatus.OPEN, RequestStatus.RUNNING], due_at__lt=timezone.now())
    return {"items": [request_out(r) for r in qs.order_by("due_at", "id")[:500]], **counts}


@privacy_router.post("/requests", response={201: RequestOut, 202: RequestOut})
def create_request(request: HttpRequest, payload: RequestIn):
    """Log a data-subject request and carry it out: access, erasure (a job: 202), rectification, restriction or
    objection."""
    require(request, "privacy.manage")
    person = get_object_or_404(Person, workspace=request.workspace, pk=payload.contact_id)
    actor = request.actor
    if payload.kind == RequestKind.ERASURE:
        return Status(202, request_out(requests.request_erasure(person, actor=actor, notes=payload.notes)))
    if payload.kind == RequestKind.ACCESS:
        req = requests.open_request(person, RequestKind.ACCESS, actor=actor, notes=payload.notes)
        requests.export_for(person, actor=actor, request=req)
    elif payload.kind == RequestKind.RESTRICTION:
        req = requests.restrict(person, actor=actor, restricted=payload.restricted, notes=payload.notes)
    elif payload.kind == RequestKind.OBJECTION:
        if not payload.purposes:
            raise FieldErrors({"purposes": "an objection names at least one purpose"})
        req = requests.object_to_processing(person, list(payload.purposes), actor=actor, notes=payload.notes)
    else:
        changes = payload.changes.dict(exclude_unset=True) if payload.changes else {}
        for key in ("name", "identities", "organisations"):
            if key in changes:
                raise FieldErrors({f"changes.{key}": "a rectification corrects the person's own fields"})
        if not changes:
            raise FieldErrors({"changes": "a rectification names the corrected fields"})
        req = requests.rectify(person, changes, actor=actor, notes=payload.notes)
    return Status(201, request_out(req))


@privacy_router.get("/requests/{request_id}", response=RequestOut)
def get_request(request: HttpRequest, request_id: Id):
    """One request: its deadline, its status and what was done (counts only)."""
    require(request, "privacy.manage")
    return request_out(get_object_or_404(PrivacyRequest, workspace=request.workspace, pk=request_id))


@privacy_router.get("/access", response=AccessPage)
def access_audit(request: HttpRequest, contact_id: Id | None = None):
    """Who viewed or exported whose personal data, and when, newest first."""
    require(request, "privacy.manage")
    qs = AuditEvent.objects.filter(
        workspace=request.workspace, object_type="person", action__in=["contact.viewed", "contact.exported"]
    )
    if contact_id:
        qs = qs.filter(object_id=str(contact_id))
    return {
        "items": [
            {
                "when": e.created_at,
                "who": e.actor_label,
                "action": e.action,
                "contact_id": int(e.object_id),
                "what": e.after,
            }
            for e in qs.order_by("-created_at", "-id")[:500]
        ]
    }


@privacy_router.post("/suppressions", response={201: SuppressionOut})
def add_suppression(request: HttpRequest, payload: SuppressionIn):
    """Suppress an address (bounce, complaint): nothing is sent to it on the channel. Only a keyed hash is kept."""
    require(request, "privacy.manage")
    try:
        row = services.suppress(
            request.workspace.pk, payload.channel, payload.address, reason=payload.reason, detail=payload.detail
        )
    except ValueError as exc:
        raise FieldErrors({"address": str(exc)}) from None
    return Status(
        201,
        {
            "id": row.pk,
            "channel": row.channel,
            "reason": row.reason,
            "detail": row.detail,
            "created_at": row.created_at,
        },
    )


@privacy_router.get("/forms", response=list[FormOut])
def list_forms(request: HttpRequest):
    """The workspace's sign-up forms with their public address and embed snippet."""
    require(request, "consent.manage_forms")
    return [collection.form_out(f) for f in SignupForm.objects.filter(workspace=request.workspace).order_by("name")]


@privacy_router.post("/forms", response={201: FormOut, 409: Error})
def create_form(request: HttpRequest, payload: FormIn):
    """A sign-up form: the purposes and channels it asks for, its wording, custom fields, double opt-in."""
    require(request, "consent.manage_forms")
    try:
        with transaction.atomic():
            form = collection.create_form(
                workspace=request.workspace,
                actor=request.actor,
                slug=payload.slug,
                name=payload.name,
                wording=payload.wording,
                wording_version=payload.wording_version,
                consents=[c.model_dump() for c in payload.consents],
                fields=[f.model_dump() for f in payload.fields],
                double_opt_in=payload.double_opt_in,
            )
    except IntegrityError:
        return Status(409, {"detail": f"a form with slug {payload.slug!r} exists"})
    return Status(201, collection.form_out(form))


@privacy_router.get("/retention", response=list[RetentionOut])
def list_retention(request: HttpRequest):
    """Days kept per data type in this workspace."""
    require(request, "privacy.manage")
    days = retention.policies(request.workspace.pk)
    return [
        {"data_type": t.name, "label": t.label, "days": days[t.name], "suggested_days": t.default_days}
        for t in retention.data_types()
    ]


@privacy_router.patch("/retention/{data_type}", response=RetentionOut)
def set_retention(request: HttpRequest, data_type: str, payload: RetentionIn):
    """Change how long a data type is kept."""
    require(request, "privacy.manage")
    try:
        retention.set_policy(request.workspace.pk, data_type, payload.days)
    except ValueError as exc:
        raise FieldErrors({"data_type": str(exc)}) from None
    kind = next(t for t in retention.data_types() if t.name == data_type)
    return {"data_type": data_type, "label": kind.label, "days": payload.days, "suggested_days": kind.default_days}


@privacy_router.post("/purge", response=RetentionRunOut)
def purge_now(request: HttpRequest):
    """Apply the retention policies now; the report of what went."""
    require(request, "privacy.manage")
    run = retention.purge_workspace(request.workspace.pk)
    return {"id": run.pk, "ran_at": run.ran_at, "policies": run.policies, "purged": run.purged}

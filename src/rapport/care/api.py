"""Care inbox API: the priority queue, one conversation, reply, resolve, assign, notes, status, tags, CSAT."""

from __future__ import annotations

from typing import Literal

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from rapport.care import queries, routing, services
from rapport.care.effort import effort_report
from rapport.care.models import AgentProfile, AppliedSLA, CannedReply, Conversation, Message, Team
from rapport.care.schemas import (
    AssignIn,
    CannedOut,
    ConversationDetail,
    ConversationItem,
    ConversationPage,
    CsatIn,
    MessageOut,
    NoteIn,
    ReplyIn,
    StatusIn,
    TagsIn,
)
from rapport.care.sla import sla_report
from rapport.contacts.services import record_view
from rapport.core.apiauth import require
from rapport.core.apitypes import Cursor, Id, Limit, Text
from rapport.core.errors import FieldErrors
from rapport.core.ids import parse_id
from rapport.core.models import Member
from rapport.core.pagination import keyset_page

router = Router(tags=["care"])
canned_router = Router(tags=["care"])


class QueueFilters(Schema):
    status: Literal["", "all", "open", "pending", "waiting_on_customer", "resolved"] = ""
    assignee: Text(18) = Field("", description="a user id, 'me' or 'none'")
    contact: Id | None = None
    order: Literal["priority", "recent"] = "priority"
    limit: Limit = 25
    cursor: Cursor | None = None


def item_out(c: Conversation) -> dict:
    """The queue representation of a conversation."""
    return {
        "id": c.pk,
        "contact": queries.contact_of(c),
        "contact_id": c.person_id,
        "status": c.status,
        "channel": c.channel,
        "subject": c.subject,
        "priority": c.priority,
        "priority_reasons": c.priority_reasons,
        "sentiment": {"label": c.sentiment_label or None, "score": c.sentiment_score},
        "needs_response": c.needs_response,
        "assignee": c.assignee_id,
        "team": c.team_id,
        "tags": c.tags,
        "sla_due_at": c.sla_due_at,
        "last_inbound_at": c.last_inbound_at,
        "updated_at": c.updated_at,
    }


def message_out(m: Message) -> dict:
    """The API representation of a message."""
    return {
        "id": m.pk,
        "network": m.network,
        "kind": m.kind,
        "external_id": m.external_id,
        "direction": m.direction,
        "text": m.text,
        "created_at": m.created_at,
        "author": m.author_label,
        "delivery_status": m.delivery_status,
        "attempts": m.attempts,
        "last_error": m.last_error,
    }


def _conversation(request: HttpRequest, conversation_id: int) -> Conversation:
    """A conversation the caller may see; others (other workspace, other team) are 404."""
    qs = routing.visible_conversations(workspace_id=request.workspace.pk, user=request.actor.user, role=request.role)
    return get_object_or_404(qs.select_related("person", "identity", "workspace"), pk=conversation_id)


def detail_out(c: Conversation, *, others: list[int] | None = None) -> dict:
    """One conversation with messages and SLA."""
    data = item_out(c)
    sla = AppliedSLA.objects.filter(conversation=c).select_related("policy").first()
    data.update(
        messages=[message_out(m) for m in c.messages.order_by("created_at", "id")],
        transfers=c.transfers,
        other_viewers=others or [],
        sla=None
        if sla is None
        else {
            "policy": sla.policy.name,
            "first_response_due": sla.first_response_due,
            "next_response_due": sla.next_response_due,
            "resolution_due": sla.resolution_due,
            "paused": sla.paused_at is not None,
            "warned": sla.warned,
            "breached": sla.breached,
        },
    )
    return data


@router.get("", response=ConversationPage)
def list_conversations(request: HttpRequest, filters: Query[QueueFilters]):
    """The queue: conversations you may see, highest priority first (or most recent), keyset-paged."""
    require(request, "care.view")
    assignee = None
    unassigned = False
    if filters.assignee == "me":
        assignee = request.actor.user.pk
    elif filters.assignee == "none":
        unassigned = True
    elif filters.assignee:
        assignee = parse_id(filters.assignee)
        if assignee is None:
            raise FieldErrors({"assignee": "a user id, 'me' or 'none'"})
    qs = queries.queue(
        workspace_id=request.workspace.pk,
        user=request.actor.user,
        role=request.role,
        status=filters.status,
        assignee=assignee,
        contact=filters.contact,
        unassigned=unassigned,
    )
    rows, next_cursor = queries.page(qs, order=filters.order, limit=filters.limit, cursor=filters.cursor)
    return {"items": [item_out(c) for c in rows], "next_cursor": next_cursor}


@router.get("/report")
def report(request: HttpRequest):
    """Share of SLA targets met (overall, per channel) and Customer Effort / CSAT per team and channel (admins)."""
    require(request, "care.manage")
    return {
        "sla": sla_report(workspace_id=request.workspace.pk),
        "effort": effort_report(workspace_id=request.workspace.pk),
    }


@router.get("/{conversation_id}", response=ConversationDetail)
def get_conversation(request: HttpRequest, conversation_id: Id):
    """One conversation with all its messages; opening it records you as a viewer and lists other viewers."""
    require(request, "care.view")
    conv = _conversation(request, conversation_id)
    others = routing.record_view(conversation=conv, user=request.actor.user)
    if conv.person is not None:
        record_view(conv.person, actor=request.actor, what="conversation")
    return detail_out(conv, others=others)


@router.post("/{conversation_id}/reply", response={201: MessageOut})
def reply(request: HttpRequest, conversation_id: Id, payload: ReplyIn):
    """Reply through the channel the last message came in on; a failed send is kept as failed and retried."""
    require(request, "care.reply")
    conv = _conversation(request, conversation_id)
    if not payload.text.strip():
        raise FieldErrors({"text": "must not be empty"})
    msg = services.reply(conversation=conv, agent=request.actor.user, text=payload.text)
    return Status(201, message_out(msg))


@router.post("/{conversation_id}/notes", response={201: MessageOut})
def add_note(request: HttpRequest, conversation_id: Id, payload: NoteIn):
    """An internal note, never sent to the customer."""
    require(request, "care.reply")
    conv = _conversation(request, conversation_id)
    if not payload.text.strip():
        raise FieldErrors({"text": "must not be empty"})
    return Status(201, message_out(services.add_note(conversation=conv, agent=request.actor.user, text=payload.text)))


@router.post("/{conversation_id}/resolve", response=ConversationItem)
def resolve(request: HttpRequest, conversation_id: Id):
    """Resolve: SLA timers stop and effort is computed."""
    require(request, "care.reply")
    conv = _conversation(request, conversation_id)
    return item_out(services.resolve(conversation=conv, actor=request.actor))


@router.post("/{conversation_id}/status", response=ConversationItem)
def set_status(request: HttpRequest, conversation_id: Id, payload: StatusIn):
    """open, pending, waiting_on_customer (pauses SLA clocks) or resolved."""
    require(request, "care.reply")
    conv = _conversation(request, conversation_id)
    try:
        services.set_status(conversation=conv, actor=request.actor, status=payload.status)
    except ValueError as exc:
        raise FieldErrors({"status": str(exc)}) from exc
    return item_out(conv)


@router.post("/{conversation_id}/assign", response=ConversationItem)
def assign(request: HttpRequest, conversation_id: Id, payload: AssignIn):
    """Reassign to an agent and/or team of this workspace."""
    require(request, "care.assign")
    conv = _conversation(request, conversation_id)
    user = team = None
    if payload.assignee is not None:
        member = Member.objects.filter(workspace=request.workspace, user_id=payload.assignee).select_related("user")
        member = member.first()
        if member is None:
            raise FieldErrors({"assignee": "not a member of this workspace"})
        user = member.user
    if payload.team is not None:
        team = Team.objects.filter(workspace=request.workspace, pk=payload.team).first()
        if team is None:
            raise FieldErrors({"team": "no such team"})
    routing.reassign(conversation=conv, actor=request.actor, user=user, team=team)
    return item_out(conv)


@router.post("/{conversation_id}/tags", response=ConversationItem)
def set_tags(request: HttpRequest, conversation_id: Id, payload: TagsIn):
    """Replace the conversation's tags."""
    require(request, "care.reply")
    return item_out(services.set_tags(conversation=_conversation(request, conversation_id), tags=payload.tags))


@router.post("/{conversation_id}/csat", response={201: dict})
def csat(request: HttpRequest, conversation_id: Id, payload: CsatIn):
    """Record the customer's 1-5 satisfaction answer (after resolution)."""
    require(request, "care.reply")
    conv = _conversation(request, conversation_id)
    try:
        r = services.record_csat(conversation=conv, score=payload.score, comment=payload.comment)
    except ValueError as exc:
        raise FieldErrors({"score": str(exc)}) from exc
    return Status(201, {"id": r.pk, "score": r.score})


class CannedPage(Schema):
    items: list[CannedOut]
    next_cursor: str | None


@canned_router.get("", response=CannedPage)
def canned_replies(request: HttpRequest, limit: Limit = 100, cursor: Cursor | None = None):
    """Canned replies of the workspace ({{first_name}}-style variables are filled in when used)."""
    require(request, "care.view")
    qs = CannedReply.objects.filter(workspace=request.workspace)
    if request.role != "admin":  # team replies only for the team's agents
        teams = AgentProfile.objects.filter(workspace=request.workspace, user=request.actor.user).values("teams")
        qs = qs.filter(Q(team__isnull=True) | Q(team__in=teams))
    rows, next_cursor = keyset_page(qs, fields=["id"], descending=False, limit=limit, cursor=cursor)
    return {
        "items": [{"id": c.pk, "name": c.name, "text": c.text, "team": c.team_id} for c in rows],
        "next_cursor": next_cursor,
    }

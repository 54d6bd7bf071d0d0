"""Read side of the inbox: the priority queue (keyset-paged) and one conversation with its messages.

An agent's queue is the union of a few parts (each of their teams, their own conversations, unrouted ones).
Each part walks a partial index over not-resolved conversations in priority order, so a page costs a few short
index range scans however many conversations the workspace holds; the parts are merged in Python.
"""

from __future__ import annotations

from datetime import datetime
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from rapport.care.models import AgentProfile, Conversation, ConversationStatus
from rapport.core.models import User
from rapport.core.pagination import BadCursor, decode_cursor, encode_cursor

OPEN_STATUSES = [ConversationStatus.OPEN, ConversationStatus.PENDING, ConversationStatus.WAITING]


def queue(
    *,
    workspace_id: int,
    user: User,
    role: str,
    status: str = "",
    assignee: int | None = None,
    contact: int | None = None,
    unassigned: bool = False,
    channel: str = "",
    team: int | None = None,
    language: str = "",
    due_between: tuple[datetime, datetime] | None = None,
) -> list[QuerySet[Conversation]]:
    """The parts of the queue the user may see; status "" means not resolved, "all" everything.

    The filters narrow every part: channel (network), team, language, and due_between (an SLA target due in that
    window: "breaching soon")."""
    base = Conversation.objects.filter(workspace_id=workspace_id)
    if channel:
        base = base.filter(channel=channel)
    if team is not None:
        base = base.filter(team_id=team)
    if language:
        base = base.filter(language=language)
    if due_between is not None:
        base = base.filter(sla_due_at__gte=due_between[0], sla_due_at__lte=due_between[1])
    if status == "":
        base = base.exclude(status=ConversationStatus.RESOLVED)  # the partial indexes' exact condition
    elif status != "all":
        base = base.filter(status=status)
    if assignee is not None:
        base = base.filter(assignee_id=assignee)
    if unassigned:
        base = base.filter(assignee__isnull=True)
    if contact is not None:
        base = base.filter(person_id=contact)
    if role == "admin":
        return [base]
    teams = [
        t
        for t in AgentProfile.objects.filter(workspace_id=workspace_id, user=user).values_list("teams", flat=True)
        if t is not None
    ]
    parts = [base.filter(team_id=t) for t in sorted(set(teams))]
    parts.append(base.filter(assignee_id=user.pk))
    parts.append(base.filter(team__isnull=True))
    return parts


def combined(parts: list[QuerySet[Conversation]]) -> QuerySet[Conversation]:
    """The parts as one queryset (for counts and checks, not for the hot path)."""
    return reduce(or_, parts)


def _bound(qs: QuerySet, order: str, cursor: str | None) -> QuerySet:
    if not cursor:
        return qs
    raw = decode_cursor(cursor, 2)
    try:
        pk = int(raw[1])
        if order == "priority":
            prio = float(raw[0])
            return qs.filter(priority__lte=prio).filter(Q(priority__lt=prio) | Q(priority=prio, id__lt=pk))
        at = datetime.fromisoformat(str(raw[0]))
        return qs.filter(updated_at__lte=at).filter(Q(updated_at__lt=at) | Q(updated_at=at, id__lt=pk))
    except (TypeError, ValueError) as exc:
        raise BadCursor("cursor is not valid") from exc


def page(
    parts: list[QuerySet[Conversation]] | QuerySet[Conversation],
    *,
    order: str = "priority",
    limit: int = 25,
    cursor: str | None = None,
) -> tuple[list[Conversation], str | None]:
    """One page ordered by priority (highest first) or last change (newest first), then id; keyset cursor."""
    if isinstance(parts, QuerySet):
        parts = [parts]
    fields = ("-priority", "-id") if order == "priority" else ("-updated_at", "-id")
    merged: dict[int, Conversation] = {}
    for part in parts:
        qs = (
            _bound(part, order, cursor)
            .order_by(*fields)
            .select_related("person", "identity", "assignee", "team", "brand_channel")
        )
        for c in qs[: limit + 1]:
            merged[c.pk] = c
    if order == "priority":
        rows = sorted(merged.values(), key=lambda c: (-c.priority, -c.pk))
    else:
        rows = sorted(merged.values(), key=lambda c: (c.updated_at, c.pk), reverse=True)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        key = repr(float(last.priority)) if order == "priority" else last.updated_at.isoformat()
        next_cursor = encode_cursor([key, last.pk])
    return rows, next_cursor


def contact_of(conv: Conversation) -> dict | None:
    """The person (or, before linking, the social identity) a conversation is with."""
    if conv.person_id and conv.person is not None:
        p = conv.person
        return {"id": p.pk, "name": f"{p.first_name} {p.last_name}".strip(), "handle": None}
    if conv.identity is not None:
        return {"id": None, "name": conv.identity.display_name or conv.identity.handle, "handle": conv.identity.handle}
    return None

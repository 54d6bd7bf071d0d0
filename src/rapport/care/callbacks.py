"""Callback tasks: the agent who answered a post promises to call the customer back; the call, once made, joins
the conversation as a message, so the next agent sees it beside the post that led to it."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from rapport.care import sla
from rapport.care.models import (
    CallbackStatus,
    CallbackTask,
    Conversation,
    Delivery,
    Message,
    MessageDirection,
)
from rapport.core.actors import Actor
from rapport.core.models import User
from rapport.core.services import record_audit


def schedule(
    *, conversation: Conversation, assignee: User, due_at: datetime, actor: Actor, phone: str = "", note: str = ""
) -> CallbackTask:
    """Promise a call back at due_at (by the agent given, usually the one answering)."""
    if phone == "" and conversation.person_id:
        phone = conversation.person.phone if conversation.person else ""
    task = CallbackTask.objects.create(
        workspace_id=conversation.workspace_id,
        conversation=conversation,
        assignee=assignee,
        due_at=due_at,
        phone=phone[:40],
        note=note[:500],
    )
    record_audit(
        workspace=conversation.workspace,
        actor=actor,
        action="conversation.callback_scheduled",
        object_type="conversation",
        object_id=conversation.pk,
        after={"callback": task.pk, "assignee": assignee.pk, "due_at": due_at.isoformat()},
    )
    return task


@transaction.atomic
def complete(*, task: CallbackTask, agent: User, outcome: str, now: datetime | None = None) -> Message:
    """Log the call: a phone message from us in the conversation (it answers the customer, so SLA clocks see it)."""
    now = now or timezone.now()
    conv = task.conversation
    text = f"Called back{f' on {task.phone}' if task.phone else ''}: {outcome.strip()}"
    message = Message.objects.create(
        workspace_id=conv.workspace_id,
        conversation=conv,
        network="phone",
        kind="call",
        direction=MessageDirection.OUTBOUND,
        text=text[:5000],
        created_at=now,
        author_user=agent,
        author_label=agent.email,
        delivery_status=Delivery.SENT,
    )
    conv.first_response_at = conv.first_response_at or now
    conv.last_outbound_at = now
    conv.save(update_fields=["first_response_at", "last_outbound_at", "updated_at"])
    sla.on_outbound(conversation=conv, at=now)
    task.status = CallbackStatus.DONE
    task.outcome = outcome.strip()[:5000]
    task.done_at = now
    task.message = message
    task.save(update_fields=["status", "outcome", "done_at", "message"])
    return message

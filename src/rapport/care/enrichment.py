"""The inbox's context for next-best-action rules (consent's `register_context`): the conversation the agent has
open, or the person's open one: its tags, subject and what the customer wrote in it."""

from __future__ import annotations

from rapport.care.models import OPEN_Q, Conversation, Message, MessageDirection
from rapport.consent.enrichment.actions import Context

RECENT_MESSAGES = 20  # the customer's newest messages of the conversation that are read for the rules' words


def context_for(workspace_id: int, person_id: int, conversation_id: int | None) -> Context | None:
    qs = Conversation.objects.filter(workspace_id=workspace_id, person_id=person_id)
    conv = (
        qs.filter(pk=conversation_id).first()
        if conversation_id
        else qs.filter(OPEN_Q).order_by("-last_inbound_at", "-id").first()
    )
    if conv is None:
        return None
    texts = list(
        Message.objects.filter(conversation=conv, direction=MessageDirection.INBOUND)
        .order_by("-created_at", "-id")
        .values_list("text", flat=True)[:RECENT_MESSAGES]
    )
    return Context(conversation_id=conv.pk, tags=tuple(conv.tags or ()), text="\n".join(texts), subject=conv.subject)

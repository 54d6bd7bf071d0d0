"""Conversations: open or join one per person, fold customer messages in, notes, status changes and CSAT."""

from __future__ import annotations

import re
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from rapport.care import routing, sla
from rapport.care.classify import classify
from rapport.care.effort import compute_effort
from rapport.care.models import (
    OPEN_Q,
    Conversation,
    ConversationStatus,
    CsatResponse,
    Message,
    MessageDirection,
)
from rapport.care.triage import score_conversation
from rapport.channels.models import Channel
from rapport.contacts.models import Person, Touchpoint
from rapport.core import events
from rapport.core.actors import Actor
from rapport.core.models import User, Workspace
from rapport.core.services import record_audit
from rapport.listening.models import Post

SEVERITY = {"complaint": 3, "question": 2, "praise": 1, "noise": 0, "": 0}
RELOCATION = re.compile(r"\b(moving (house|home|to)|relocat\w*|new address|old address|flytter)\b", re.IGNORECASE)


def _open_conversation(*, workspace: Workspace, person_id: int | None, identity_id: int | None) -> Conversation | None:
    # No ORDER BY: there is at most one row, and the partial unique index finds it directly.
    qs = Conversation.objects.filter(OPEN_Q, workspace=workspace).order_by()
    if person_id:
        return next(iter(qs.filter(person_id=person_id)[:1]), None)
    if identity_id:
        return next(iter(qs.filter(identity_id=identity_id, person__isnull=True)[:1]), None)
    return None


def open_or_join(
    *,
    workspace: Workspace,
    person_id: int | None,
    identity_id: int | None,
    network: str,
    language: str = "",
    subject: str = "",
) -> tuple[Conversation, bool]:
    """The person's open conversation, or a new one; a concurrent opener loses to the unique constraint and joins."""
    existing = _open_conversation(workspace=workspace, person_id=person_id, identity_id=identity_id)
    if existing is not None:
        return existing, False
    return create_or_join(
        workspace=workspace,
        person_id=person_id,
        identity_id=identity_id,
        network=network,
        language=language,
        subject=subject,
    )


def person_tier(person_id: int | None) -> str:
    """A person's tier for SLA policies: the loyalty programme's, else the one their tags name."""
    if not person_id:
        return ""
    from rapport.commerce.services import standing

    tags = Person.objects.filter(pk=person_id).values_list("tags", flat=True).first() or []
    return sla.customer_tier(tags, standing([person_id]).get(person_id, ("", 0))[0])


def create_or_join(
    *,
    workspace: Workspace,
    person_id: int | None,
    identity_id: int | None,
    network: str,
    language: str,
    subject: str,
) -> tuple[Conversation, bool]:
    """A new open conversation; if one opened meanwhile, the partial unique index refuses it and this joins it."""
    try:
        with transaction.atomic():
            conv = Conversation.objects.create(
                workspace=workspace,
                person_id=person_id,
                identity_id=identity_id,
                channel=network,
                language=language or "",
                subject=subject[:200],
            )
        return conv, True
    except IntegrityError:
        existing = _open_conversation(workspace=workspace, person_id=person_id, identity_id=identity_id)
        if existing is None:
            raise
        return existing, False


def fold_inbound(
    conv: Conversation,
    *,
    network: str,
    text: str,
    created_at: datetime,
    sentiment_label: str,
    sentiment_score: float | None,
    category: str,
    brand_channel: Channel | None,
) -> bool:
    """Fold one customer message into the conversation's fields (in memory); True if it reopens it."""
    conv.first_inbound_at = min(conv.first_inbound_at or created_at, created_at)
    if conv.last_inbound_at is None or created_at >= conv.last_inbound_at:
        conv.last_inbound_at = created_at
        conv.channel = network
        conv.brand_channel = brand_channel or conv.brand_channel
        if sentiment_label:
            conv.sentiment_label, conv.sentiment_score = sentiment_label, sentiment_score
    if SEVERITY.get(category, 0) > SEVERITY.get(conv.needs_response, 0):
        conv.needs_response = category
    if RELOCATION.search(text) and "relocation" not in conv.tags:
        conv.tags = [*conv.tags, "relocation"]  # a sales moment (service at the new address), not only a risk
    if not conv.subject:
        conv.subject = (text.splitlines() or [""])[0][:200]
    reopened = conv.status in (ConversationStatus.PENDING, ConversationStatus.WAITING)
    if reopened:
        conv.status = ConversationStatus.OPEN
    return reopened


def add_inbound(
    *,
    conversation: Conversation,
    network: str,
    text: str,
    created_at: datetime,
    external_id: str = "",
    kind: str = "post",
    in_reply_to: str = "",
    post: Post | None = None,
    author_label: str = "",
    sentiment_label: str = "",
    sentiment_score: float | None = None,
    category: str = "",
    brand_channel: Channel | None = None,
    now: datetime | None = None,
    routing_cache: dict | None = None,
) -> Message | None:
    """Add a customer's message; updates times, channel, sentiment, SLA timers and priority. None if a duplicate."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            msg = Message.objects.create(
                workspace_id=conversation.workspace_id,
                conversation=conversation,
                network=network,
                kind=kind,
                external_id=external_id,
                in_reply_to=in_reply_to or "",
                direction=MessageDirection.INBOUND,
                text=text,
                created_at=created_at,
                post=post,
                author_label=author_label[:200],
                brand_channel=brand_channel,
            )
    except IntegrityError:
        return None
    conv = conversation
    new = conv.first_inbound_at is None
    reopened = fold_inbound(
        conv,
        network=network,
        text=text,
        created_at=created_at,
        sentiment_label=sentiment_label,
        sentiment_score=sentiment_score,
        category=category,
        brand_channel=brand_channel,
    )
    conv.save()
    if reopened:
        sla.resume(conversation=conv, now=now)
    if new:
        score_conversation(conv, now=now, save=False)  # the tier and priority pick the SLA policy
        sla.apply_sla(conversation=conv, tier=person_tier(conv.person_id), now=now)
        routing.auto_assign(conv, cache=routing_cache)
    else:
        sla.on_inbound(conversation=conv, at=created_at)
    score_conversation(conv, now=now)
    events.emit(
        "conversation.updated",
        {"workspace_id": conv.workspace_id, "conversation_id": conv.pk, "assignee_id": conv.assignee_id},
    )
    return msg


def log_contact(
    *,
    workspace: Workspace,
    actor: Actor,
    person: Person,
    network: str,
    text: str,
    occurred_at: datetime,
    kind: str = "call",
    external_id: str = "",
    now: datetime | None = None,
) -> Message:
    """An agent logs a call, chat or email from a person: it joins (or opens) their conversation."""
    c = classify(text)
    conv, _ = open_or_join(workspace=workspace, person_id=person.pk, identity_id=None, network=network, subject=text)
    msg = add_inbound(
        conversation=conv,
        network=network,
        text=text,
        created_at=occurred_at,
        kind=kind,
        external_id=external_id,
        author_label=person.name,
        category=c.category if c.needs_response else "question",
        now=now,
    )
    record_audit(
        workspace=workspace,
        actor=actor,
        action="conversation.contact_logged",
        object_type="conversation",
        object_id=conv.pk,
        after={"network": network, "kind": kind},
    )
    return msg


# Touchpoints an agent logs that are the customer reaching out: they count as contacts in the conversation.
LOGGED_CONTACT_KINDS = {"call", "meeting", "email", "chat"}


def on_touchpoint_logged(event: str, payload: dict) -> None:
    """Handler of contacts.touchpoint_logged: a call, meeting, email or chat from the person that an agent logged
    joins (or opens) their conversation, so the queue, the SLA clocks and Customer Effort count it."""
    if payload.get("direction") != "inbound" or payload.get("kind") not in LOGGED_CONTACT_KINDS:
        return
    tp = (
        Touchpoint.objects.filter(pk=payload.get("touchpoint_id"), workspace_id=payload.get("workspace_id"))
        .select_related("person", "workspace")
        .first()
    )
    if tp is None:
        return
    user = User.objects.filter(pk=payload.get("actor_user_id")).first()
    log_contact(
        workspace=tp.workspace,
        actor=Actor.for_user(user) if user else Actor.system("contacts"),
        person=tp.person,
        network=tp.channel,
        text="\n\n".join(part for part in (tp.title, tp.body) if part),
        occurred_at=tp.occurred_at,
        kind=tp.kind,
        external_id=f"touchpoint-{tp.pk}",
    )


def on_identity_linked(event: str, payload: dict) -> None:
    """Handler of identity.linked: the account's conversations that had nobody behind them now show the person.

    The open one moves only when the person has no open conversation of their own (one open conversation per
    person); otherwise it stays on the account and the agent sees both.
    """
    workspace_id, identity_id, person_id = payload["workspace_id"], payload["identity_id"], payload["person_id"]
    on_account = Conversation.objects.filter(workspace_id=workspace_id, identity_id=identity_id, person__isnull=True)
    with transaction.atomic():
        on_account.exclude(OPEN_Q).update(person_id=person_id)
        if not Conversation.objects.filter(OPEN_Q, workspace_id=workspace_id, person_id=person_id).exists():
            on_account.filter(OPEN_Q).update(person_id=person_id)


def add_note(*, conversation: Conversation, agent: User, text: str, now: datetime | None = None) -> Message:
    """An internal note: seen by agents, never sent, no effect on SLAs; colleagues it @mentions are notified."""
    from rapport.care import notifications

    note = Message.objects.create(
        workspace_id=conversation.workspace_id,
        conversation=conversation,
        network="note",
        kind="note",
        direction=MessageDirection.NOTE,
        text=text.strip(),
        created_at=now or timezone.now(),
        author_user=agent,
        author_label=agent.email,
    )
    notifications.mentions(conversation=conversation, author=agent, text=note.text)
    return note


@transaction.atomic
def set_status(*, conversation: Conversation, actor: Actor, status: str, now: datetime | None = None) -> Conversation:
    """Change the status; waiting on the customer pauses SLA clocks, resolving stops them and measures effort."""
    if status not in ConversationStatus.values:
        raise ValueError(f"unknown status {status!r}")
    now = now or timezone.now()
    before = conversation.status
    if before == status:
        return conversation
    conversation.status = status
    conversation.resolved_at = now if status == ConversationStatus.RESOLVED else None
    conversation.save()
    if status == ConversationStatus.WAITING:
        sla.pause(conversation=conversation, now=now)
    elif before == ConversationStatus.WAITING:
        sla.resume(conversation=conversation, now=now)
    if status == ConversationStatus.RESOLVED:
        sla.stop(conversation=conversation, now=now)
        compute_effort(conversation)
        events.emit(
            "conversation.resolved",
            {
                "workspace_id": conversation.workspace_id,
                "conversation_id": conversation.pk,
                "person_id": conversation.person_id,
            },
        )
        # Survey senders (email, the network's DM) subscribe to this; the answer comes back via record_csat.
        events.emit(
            "conversation.csat_requested",
            {
                "workspace_id": conversation.workspace_id,
                "conversation_id": conversation.pk,
                "channel": conversation.channel,
            },
        )
    record_audit(
        workspace=conversation.workspace,
        actor=actor,
        action="conversation.status_changed",
        object_type="conversation",
        object_id=conversation.pk,
        before={"status": before},
        after={"status": status},
    )
    events.emit("conversation.updated", {"workspace_id": conversation.workspace_id, "conversation_id": conversation.pk})
    return conversation


def resolve(*, conversation: Conversation, actor: Actor, now: datetime | None = None) -> Conversation:
    """Resolve: SLA timers stop, effort is computed, a CSAT survey may follow."""
    return set_status(conversation=conversation, actor=actor, status=ConversationStatus.RESOLVED, now=now)


def set_tags(*, conversation: Conversation, tags: list[str]) -> Conversation:
    """Replace the conversation's tags (lower-case, unique, in order)."""
    clean = list(dict.fromkeys(t.strip().lower()[:50] for t in tags if t.strip()))
    conversation.tags = clean
    conversation.save(update_fields=["tags", "updated_at"])
    return conversation


def record_csat(*, conversation: Conversation, score: int, comment: str = "") -> CsatResponse:
    """Store the customer's 1-5 answer to the survey sent after resolution."""
    if conversation.status != ConversationStatus.RESOLVED:
        raise ValueError("CSAT is asked after resolution")
    if not 1 <= int(score) <= 5:
        raise ValueError("score must be 1 to 5")
    answer = CsatResponse.objects.create(
        workspace_id=conversation.workspace_id, conversation=conversation, score=int(score), comment=comment[:2000]
    )
    events.emit(
        "conversation.csat_recorded",
        {
            "workspace_id": conversation.workspace_id,
            "conversation_id": conversation.pk,
            "person_id": conversation.person_id,
            "score": int(score),
        },
    )
    return answer


def add_system_note(*, workspace: Workspace, person_id: int, text: str, label: str, tag: str = "") -> Message:
    """A note for the agents that Rapport itself writes (a journey's task): on the person's open conversation, which
    is opened when they have none, tagged so the inbox can find it."""
    conv, _ = open_or_join(workspace=workspace, person_id=person_id, identity_id=None, network="email", subject=text)
    if tag and tag not in conv.tags:
        conv.tags = [*conv.tags, tag]
        conv.save(update_fields=["tags"])
    return Message.objects.create(
        workspace_id=workspace.pk,
        conversation=conv,
        network="note",
        kind="note",
        direction=MessageDirection.NOTE,
        text=text.strip(),
        created_at=timezone.now(),
        author_label=label[:200],
    )

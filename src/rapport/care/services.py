"""Care services: posts into conversations, replies through the channel they came in on, notes, status, CSAT."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from rapport.care import routing, sla
from rapport.care.classify import classify
from rapport.care.effort import compute_effort
from rapport.care.models import (
    OPEN_Q,
    Conversation,
    ConversationStatus,
    CsatResponse,
    Direction,
    Message,
)
from rapport.care.replies import MAX_ATTEMPTS, deliver, render_canned, reply, retry_failed  # noqa: F401 - one API
from rapport.care.triage import build_context, score_conversation, score_with
from rapport.channels.models import Channel
from rapport.contacts.models import Person
from rapport.core import events
from rapport.core.actors import Actor
from rapport.core.models import User, Workspace
from rapport.core.services import record_audit
from rapport.listening.models import Post

log = logging.getLogger(__name__)
SEVERITY = {"complaint": 3, "question": 2, "praise": 1, "noise": 0, "": 0}
RELOCATION = re.compile(r"\b(moving (house|home|to)|relocat\w*|new address|old address|flytter)\b", re.IGNORECASE)


def on_posts_stored(event: str, payload: dict[str, Any]) -> None:
    """Event handler for listening.posts_stored: route the new posts into the inbox."""
    workspace = Workspace.objects.filter(pk=payload.get("workspace_id")).first()
    if workspace is not None and payload.get("post_ids"):
        route_posts(workspace=workspace, post_ids=list(payload["post_ids"]))


def _brand_handles(workspace: Workspace) -> tuple[dict[str, set[str]], dict[str, Channel], set[str]]:
    handles: dict[str, set[str]] = {}
    by_network: dict[str, Channel] = {}
    external_ids: set[str] = set()
    for ch in Channel.objects.filter(workspace=workspace, active=True):
        if ch.handle:
            handles.setdefault(ch.network, set()).add(ch.handle.lower().lstrip("@"))
        by_network.setdefault(ch.network, ch)
        if ch.external_id:
            external_ids.add(ch.external_id)
    return handles, by_network, external_ids


def _addressed(
    post: Post, handles: dict[str, set[str]], all_handles: set[str], brand_posts: set[str], brand_ids: set[str]
) -> bool:
    """Whether a post speaks to the brand: a DM, an @mention, a reply to the brand, or a comment on its post."""
    if post.kind == "direct_message":
        return True
    mentioned = {m.lower() for m in re.findall(r"(?<![\w@])@([\w.]+)", post.text or "")}
    if mentioned & handles.get(post.network, all_handles):
        return True
    if post.in_reply_to and post.in_reply_to in brand_posts:
        return True
    if post.kind == "comment" and (
        post.thread_id in brand_posts
        or post.in_reply_to in brand_posts
        or any(post.external_id.startswith(f"{i}_") for i in brand_ids)
    ):
        return True
    return bool(post.kind == "mention")


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
    return _create_or_join(
        workspace=workspace,
        person_id=person_id,
        identity_id=identity_id,
        network=network,
        language=language,
        subject=subject,
    )


def _create_or_join(
    *,
    workspace: Workspace,
    person_id: int | None,
    identity_id: int | None,
    network: str,
    language: str,
    subject: str,
) -> tuple[Conversation, bool]:
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


def _fold_inbound(
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
                direction=Direction.INBOUND,
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
    reopened = _fold_inbound(
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
        person = Person.objects.filter(pk=conv.person_id).only("tags").first() if conv.person_id else None
        sla.apply_sla(conversation=conv, tier=sla.customer_tier(person.tags if person else []), now=now)
        routing.auto_assign(conv, cache=routing_cache)
    else:
        sla.on_inbound(conversation=conv, at=created_at)
    score_conversation(conv, now=now)
    events.emit(
        "conversation.updated",
        {"workspace_id": conv.workspace_id, "conversation_id": conv.pk, "assignee_id": conv.assignee_id},
    )
    return msg


def route_posts(*, workspace: Workspace, post_ids: list[int], now: datetime | None = None) -> dict[str, int]:
    """Open or join conversations for stored posts that address the brand and need an answer; idempotent."""
    # One transaction per batch: one commit instead of dozens per post, and the batch lands in the queue at once.
    with transaction.atomic():
        return _route_posts(workspace=workspace, post_ids=post_ids, now=now)


def _route_posts(*, workspace: Workspace, post_ids: list[int], now: datetime | None) -> dict[str, int]:
    counts = {"opened": 0, "joined": 0, "skipped": 0, "duplicates": 0}
    posts = list(
        Post.objects.filter(workspace=workspace, pk__in=post_ids).select_related("author").order_by("created_at", "id")
    )
    if not posts:
        return counts
    handles, channels, brand_ids = _brand_handles(workspace)
    networks = sorted({p.network for p in posts})  # every lookup by external id names its network: index prefix
    all_handles = set().union(*handles.values()) if handles else set()
    known = set(
        Message.objects.filter(
            workspace=workspace,
            network__in=networks,
            direction=Direction.INBOUND,
            external_id__in=[p.external_id for p in posts],
        ).values_list("network", "external_id")
    )
    parents = {p.in_reply_to for p in posts if p.in_reply_to} | {p.thread_id for p in posts if p.thread_id}
    # Posts the brand wrote itself: replies to them and comments under them are addressed to the brand.
    brand_posts = set(
        Post.objects.filter(
            workspace=workspace, network__in=networks, external_id__in=parents, author__handle_key__in=all_handles
        ).values_list("external_id", flat=True)
    )
    brand_posts |= set(
        Message.objects.filter(
            workspace=workspace, network__in=networks, direction=Direction.OUTBOUND, external_id__in=parents
        ).values_list("external_id", flat=True)
    )
    open_statuses = [ConversationStatus.OPEN, ConversationStatus.PENDING, ConversationStatus.WAITING]
    thread_of = dict(
        Message.objects.filter(
            workspace=workspace, network__in=networks, conversation__status__in=open_statuses, external_id__in=parents
        ).values_list("external_id", "conversation_id")
    )
    now = now or timezone.now()
    convs, by_person, by_identity = _prefetch_conversations(workspace, posts, set(thread_of.values()))
    fresh: set[int] = set()  # conversations this batch created: no timers to look up
    items: list[tuple[Post, Conversation, str, bool]] = []
    for post in posts:
        key = (post.network, post.external_id)
        if key in known:
            counts["duplicates"] += 1
            continue
        author = post.author
        if author is not None and author.handle_key in handles.get(post.network, set()):
            counts["skipped"] += 1  # the brand's own post
            continue
        joined_thread = thread_of.get(post.in_reply_to) or thread_of.get(post.thread_id)
        if not joined_thread and not _addressed(post, handles, all_handles, brand_posts, brand_ids):
            counts["skipped"] += 1
            continue
        c = classify(post.text, sentiment_label=post.sentiment_label, sentiment_score=post.sentiment_score)
        person_id = post.person_id or (author.person_id if author else None)
        identity_id = author.pk if author else None
        created = False
        if joined_thread:
            conv = convs[joined_thread]
        else:
            conv = by_person.get(person_id) if person_id else by_identity.get(identity_id) if identity_id else None
            if conv is None and not c.needs_response:
                counts["skipped"] += 1
                continue
            if conv is None:
                conv, created = _create_or_join(
                    workspace=workspace,
                    person_id=person_id,
                    identity_id=identity_id,
                    network=post.network,
                    language=post.language,
                    subject=post.text,
                )
                conv = convs.setdefault(conv.pk, conv)
                if created:
                    fresh.add(conv.pk)
                if conv.person_id:
                    by_person[conv.person_id] = conv
                elif conv.identity_id:
                    by_identity[conv.identity_id] = conv
        if post.external_id:
            known.add(key)
        items.append((post, conv, c.category, created))
        thread_of[post.external_id] = conv.pk
    stored = _insert_messages(workspace, items, channels)
    for (_post, _conv, _category, created), msg in zip(items, stored, strict=True):
        counts["duplicates" if msg is None else "opened" if created else "joined"] += 1
    _settle(workspace, items, stored, convs, fresh=fresh, now=now)
    return counts


def _prefetch_conversations(
    workspace: Workspace, posts: list[Post], thread_conv_ids: set[int]
) -> tuple[dict[int, Conversation], dict[int, Conversation], dict[int, Conversation]]:
    """The open conversations of the batch's people and identities, and those its threads join, in two queries."""
    person_ids = {p.person_id or (p.author.person_id if p.author else None) for p in posts} - {None}
    identity_ids = {p.author_id for p in posts if p.author_id}
    convs: dict[int, Conversation] = {}
    by_person: dict[int, Conversation] = {}
    by_identity: dict[int, Conversation] = {}
    rows = Conversation.objects.filter(OPEN_Q, workspace=workspace).filter(
        Q(person_id__in=person_ids) | Q(person__isnull=True, identity_id__in=identity_ids)
    )
    for conv in rows.order_by():
        convs[conv.pk] = conv
        if conv.person_id:
            by_person.setdefault(conv.person_id, conv)
        else:
            by_identity.setdefault(conv.identity_id, conv)
    missing = thread_conv_ids - convs.keys()
    if missing:
        convs.update(Conversation.objects.in_bulk(sorted(missing)))
    return convs, by_person, by_identity


def _insert_messages(
    workspace: Workspace, items: list[tuple[Post, Conversation, str, bool]], channels: dict[str, Channel]
) -> list[Message | None]:
    """Store the batch's messages in one insert; None where a concurrent router stored the post first."""
    msgs = []
    for post, conv, _category, _created in items:
        author = post.author
        msgs.append(
            Message(
                workspace_id=workspace.pk,
                conversation=conv,
                network=post.network,
                kind=post.kind,
                external_id=post.external_id,
                in_reply_to=post.in_reply_to or "",
                direction=Direction.INBOUND,
                text=post.text,
                created_at=post.created_at,
                post=post,
                author_label=(f"@{author.handle}" if author and author.handle else "")[:200],
                brand_channel=channels.get(post.network),
            )
        )
    if not msgs:
        return []
    try:
        with transaction.atomic():
            Message.objects.bulk_create(msgs)
        return list(msgs)
    except IntegrityError:
        pass
    # Someone else stored some of these meanwhile: one savepoint per message finds which.
    out: list[Message | None] = []
    for msg in msgs:
        msg.pk = None
        msg._state.adding = True
        try:
            with transaction.atomic():
                msg.save(force_insert=True)
            out.append(msg)
        except IntegrityError:
            out.append(None)
    return out


def _settle(
    workspace: Workspace,
    items: list[tuple[Post, Conversation, str, bool]],
    stored: list[Message | None],
    convs: dict[int, Conversation],
    *,
    fresh: set[int],
    now: datetime,
) -> None:
    """Fold each touched conversation's new messages in, start SLAs and routing for new ones, score each once."""
    by_conv: dict[int, list[tuple[Message, Post, str]]] = {}
    for (post, conv, category, _created), msg in zip(items, stored, strict=True):
        if msg is not None:
            by_conv.setdefault(conv.pk, []).append((msg, post, category))
    if not by_conv:
        return
    ctx = build_context([convs[pk] for pk in by_conv], now=now)
    policies = sla.active_policies(workspace_id=workspace.pk)
    routing_cache: dict = {}
    for pk, rows in by_conv.items():
        conv = convs[pk]
        new = conv.first_inbound_at is None
        for i, (msg, post, category) in enumerate(rows):
            reopened = _fold_inbound(
                conv,
                network=post.network,
                text=post.text,
                created_at=post.created_at,
                sentiment_label=post.sentiment_label,
                sentiment_score=post.sentiment_score,
                category=category,
                brand_channel=msg.brand_channel,
            )
            if i:
                continue
            # The first message decides what add_inbound decides: resume, or timers and routing for a new one.
            if reopened:
                conv.save()  # the stored fields resume reads; a new conversation waits for the one save below
                sla.resume(conversation=conv, now=now)
            if new:
                score_with(conv, ctx=ctx, now=now, inbound=[msg], save=False)  # the tier and priority pick the SLA
                tags = (ctx.tags.get(conv.person_id) or []) if conv.person_id else []
                tier = sla.customer_tier(tags)
                sla.apply_sla(conversation=conv, tier=tier, now=now, policies=policies, fresh=pk in fresh)
                routing.auto_assign(conv, cache=routing_cache, save=False)
            else:
                # Later messages of the batch would find the next-response timer already running.
                sla.on_inbound(conversation=conv, at=post.created_at)
        score_with(conv, ctx=ctx, now=now, save=False)
        conv.save()
        events.emit(
            "conversation.updated",
            {"workspace_id": conv.workspace_id, "conversation_id": conv.pk, "assignee_id": conv.assignee_id},
        )


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
        author_label=person.name if hasattr(person, "name") else "",
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


def add_note(*, conversation: Conversation, agent: User, text: str, now: datetime | None = None) -> Message:
    """An internal note: seen by agents, never sent, no effect on SLAs."""
    return Message.objects.create(
        workspace_id=conversation.workspace_id,
        conversation=conversation,
        network="note",
        kind="note",
        direction=Direction.NOTE,
        text=text.strip(),
        created_at=now or timezone.now(),
        author_user=agent,
        author_label=agent.email,
    )


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
    return CsatResponse.objects.create(
        workspace_id=conversation.workspace_id, conversation=conversation, score=int(score), comment=comment[:2000]
    )

"""Intake: stored posts that address the brand become messages in conversations, a whole batch at a time.

A post is addressed to the brand when it is a direct message, names one of the workspace's brand handles, answers
the brand or comments under its post, or is a mention that arrived through one of the brand's own channels (its
notification feed or webhook). A file that calls every row a "mention" (the airline CSV) names the airline it was
sent to, so only the posts to this brand's handles open conversations. Posts older than the live window
(`RAPPORT_CARE_LIVE_DAYS`, default 14) are history: stored and analysed by listening, but they start no SLA clock
and never reach the live queue.

A batch of a few hundred posts costs a fixed number of queries: the posts, the brand's channels, what is already
stored, the threads they answer, the open conversations of their authors; then one insert each for new
conversations, messages and SLA timers, one prepared update for the touched conversations, and one per team whose
round-robin position moved. Only a race with another router (a unique constraint refusing a row) falls back to
row-by-row work, and it ends in the same state.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from rapport.care import routing, sla
from rapport.care.classify import classify
from rapport.care.conversations import create_or_join, fold_inbound
from rapport.care.models import OPEN_Q, AppliedSLA, Conversation, ConversationStatus, Message, MessageDirection
from rapport.care.triage import build_context, score_with
from rapport.channels.models import Channel
from rapport.core import events
from rapport.core.bulk import insert_ignore, update_fields
from rapport.core.models import Workspace
from rapport.listening.models import Post

MENTION = re.compile(r"(?<![\w@])@([\w.]+)")
# Sources that name the brand channel a post came in through: poll:NETWORK:PK, webhook:KIND:PK[...], chat:PK.
_CHANNEL_SOURCE = re.compile(r"^(?:poll:[^:]*|webhook:[^:]*|chat):(\d+)")
# The columns intake reads of a post and its author: never the raw payload or the metrics.
POST_COLUMNS = (
    "network",
    "external_id",
    "kind",
    "text",
    "in_reply_to",
    "thread_id",
    "created_at",
    "language",
    "sentiment_label",
    "sentiment_score",
    "metrics",  # reach, for triage
    "person",
    "source",
    "author",
    "author__handle",
    "author__handle_key",
    "author__person",
    "author__followers",  # reach, for triage
)
# What folding, scoring, SLA timers and routing change on a conversation: the settling save writes only these.
SETTLED_FIELDS = [
    "first_inbound_at",
    "last_inbound_at",
    "channel",
    "brand_channel",
    "sentiment_label",
    "sentiment_score",
    "needs_response",
    "tags",
    "subject",
    "status",
    "priority",
    "priority_reasons",
    "sla_due_at",
    "team",
    "assignee",
    "updated_at",
]
Item = tuple[Post, Conversation, str, bool]  # post, its conversation, its category, whether the batch opened it


def on_posts_linked(event: str, payload: dict[str, Any]) -> None:
    """Handler of identity.posts_linked: route the new posts, their authors now linked, into the inbox."""
    if not payload.get("post_ids"):
        return
    workspace = Workspace.objects.filter(pk=payload.get("workspace_id")).first()
    if workspace is not None:
        route_posts(workspace=workspace, post_ids=list(payload["post_ids"]))


def live_cutoff(now: datetime) -> datetime:
    """Posts created before this are history: they open no conversation and start no SLA clock."""
    return now - timedelta(days=settings.RAPPORT_CARE_LIVE_DAYS)


class _Brand:
    """The workspace's active brand channels, read once per batch."""

    def __init__(self, workspace: Workspace) -> None:
        self.handles: dict[str, set[str]] = {}
        self.channels: dict[str, Channel] = {}
        self.external_ids: set[str] = set()
        self.channel_ids: set[int] = set()
        for ch in Channel.objects.filter(workspace=workspace, active=True):
            if ch.handle:
                self.handles.setdefault(ch.network, set()).add(ch.handle.lower().lstrip("@"))
            self.channels.setdefault(ch.network, ch)
            self.channel_ids.add(ch.pk)
            if ch.external_id:
                self.external_ids.add(ch.external_id)
        self.all_handles: set[str] = set().union(*self.handles.values()) if self.handles else set()

    def came_through_channel(self, source: str) -> bool:
        """Whether the post arrived through one of these channels (their feed, webhook or chat), not a file."""
        m = _CHANNEL_SOURCE.match(source or "")
        return bool(m) and int(m.group(1)) in self.channel_ids


def _addressed(post: Post, brand: _Brand, brand_posts: set[str]) -> bool:
    """Whether a post speaks to the brand: a DM, an @mention of its handle, a reply to the brand, a comment on its
    post, or a mention the brand's own channel delivered."""
    handles, all_handles, brand_ids = brand.handles, brand.all_handles, brand.external_ids
    if post.kind == "direct_message":
        return True
    mentioned = {m.lower() for m in MENTION.findall(post.text or "")}
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
    # A mention the network delivered to the brand's account (Mastodon, Bluesky, X, Meta notifications) may not
    # spell the handle out; a mention read from a file or the API must.
    return post.kind == "mention" and brand.came_through_channel(post.source)


def _may_route(post: Post, brand: _Brand) -> bool:
    """Whether a post could open or join a conversation, decided from the post alone: one that answers nothing
    (no reply, no thread) and is not addressed to the brand is skipped before any lookup."""
    return bool(post.in_reply_to or post.thread_id) or _addressed(post, brand, set())


def route_posts(*, workspace: Workspace, post_ids: list[int], now: datetime | None = None) -> dict[str, int]:
    """Open or join conversations for stored posts that address the brand and need an answer; idempotent."""
    # One transaction per batch: one commit instead of dozens per post, and the batch lands in the queue at once.
    with transaction.atomic():
        return _route_posts(workspace=workspace, post_ids=post_ids, now=now)


def _route_posts(*, workspace: Workspace, post_ids: list[int], now: datetime | None) -> dict[str, int]:
    counts = {"opened": 0, "joined": 0, "skipped": 0, "duplicates": 0, "backfill": 0}
    now = now or timezone.now()
    cutoff = live_cutoff(now)
    loaded = list(
        Post.objects.filter(workspace=workspace, pk__in=post_ids)
        .select_related("author")
        .only(*POST_COLUMNS)  # what routing reads: not the raw payload or the pipeline's bookkeeping
        .order_by("created_at", "id")
    )
    posts = [p for p in loaded if p.created_at >= cutoff]
    counts["backfill"] = len(loaded) - len(posts)  # history: never opens, joins or times a conversation
    if not posts:
        return counts
    brand = _Brand(workspace)
    handles, channels, all_handles = brand.handles, brand.channels, brand.all_handles
    candidates = [p for p in posts if _may_route(p, brand)]
    counts["skipped"] = len(posts) - len(candidates)
    if not candidates:
        return counts
    posts = candidates
    networks = sorted({p.network for p in posts})  # every lookup by external id names its network: index prefix
    known = set(
        Message.objects.filter(
            workspace=workspace,
            network__in=networks,
            direction=MessageDirection.INBOUND,
            external_id__in=[p.external_id for p in posts],
        ).values_list("network", "external_id")
    )
    parents = {p.in_reply_to for p in posts if p.in_reply_to} | {p.thread_id for p in posts if p.thread_id}
    brand_posts: set[str] = set()
    thread_ids: dict[str, int] = {}
    if parents:
        # Posts the brand wrote itself: replies to them and comments under them are addressed to the brand.
        brand_posts = set(
            Post.objects.filter(
                workspace=workspace, network__in=networks, external_id__in=parents, author__handle_key__in=all_handles
            ).values_list("external_id", flat=True)
        )
        brand_posts |= set(
            Message.objects.filter(
                workspace=workspace, network__in=networks, direction=MessageDirection.OUTBOUND, external_id__in=parents
            ).values_list("external_id", flat=True)
        )
        open_statuses = [ConversationStatus.OPEN, ConversationStatus.PENDING, ConversationStatus.WAITING]
        thread_ids = dict(
            Message.objects.filter(
                workspace=workspace,
                network__in=networks,
                conversation__status__in=open_statuses,
                external_id__in=parents,
            ).values_list("external_id", "conversation_id")
        )
    convs, by_person, by_identity = _prefetch_conversations(workspace, posts, set(thread_ids.values()))
    thread_of = {ext: convs[pk] for ext, pk in thread_ids.items() if pk in convs}
    opening: list[Conversation] = []  # conversations this batch opens, inserted together below
    items: list[Item] = []
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
        if not joined_thread and not _addressed(post, brand, brand_posts):
            counts["skipped"] += 1
            continue
        c = classify(post.text, sentiment_label=post.sentiment_label, sentiment_score=post.sentiment_score)
        person_id = post.person_id or (author.person_id if author else None)
        identity_id = author.pk if author else None
        created = False
        if joined_thread:
            conv = joined_thread
        else:
            conv = by_person.get(person_id) if person_id else by_identity.get(identity_id) if identity_id else None
            if conv is None and not c.needs_response:
                counts["skipped"] += 1
                continue
            if conv is None:
                conv = Conversation(
                    workspace=workspace,
                    person_id=person_id,
                    identity_id=identity_id,
                    channel=post.network,
                    language=post.language or "",
                    subject=post.text[:200],
                )
                opening.append(conv)
                created = True
                if person_id:
                    by_person[person_id] = conv
                elif identity_id:
                    by_identity[identity_id] = conv
        if post.external_id:
            known.add(key)
        items.append((post, conv, c.category, created))
        thread_of[post.external_id] = conv
    items = _open_conversations(workspace, opening, items, convs)
    fresh = {conv.pk for _post, conv, _category, created in items if created}  # no timers to look up
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


def _open_conversations(
    workspace: Workspace, opening: list[Conversation], items: list[Item], convs: dict[int, Conversation]
) -> list[Item]:
    """Insert the batch's new conversations at once; where another router opened one meanwhile, join that one.

    The insert skips rows a unique index refuses (INSERT ... ON CONFLICT DO NOTHING) instead of failing the whole
    statement: workers routing the same authors at once lose only the conflicting rows, which join the winner's
    conversation, read in one query, rather than falling back to one savepoint and lookup per conversation."""
    if not opening:
        return items
    fields = [f for f in Conversation._meta.concrete_fields if not f.primary_key]
    rows = [[f.pre_save(conv, True) for f in fields] for conv in opening]  # ids in arrival order: round robin
    # Within a batch each person (or, without one, each identity) opens at most one conversation: the key finds it.
    # One INSERT ... VALUES whatever the batch's size, as bulk_create did: a batch opens at most a few hundred
    # conversations, where COPY's temporary table (a CREATE and a DROP per call) saves nothing.
    returned = insert_ignore(
        Conversation,
        [f.name for f in fields],
        rows,
        conflict=None,
        returning=("id", "person", "identity"),
        copy=False,
    )
    inserted = {(person, None if person else identity): pk for pk, person, identity in returned}
    lost: list[Conversation] = []
    for conv in opening:
        pk = inserted.get((conv.person_id, None if conv.person_id else conv.identity_id))
        if pk is None:
            lost.append(conv)
            continue
        conv.pk = pk
        conv._state.adding, conv._state.db = False, "default"
        convs[pk] = conv
    if not lost:
        return items
    # Another router opened these people's conversations first (its commit ended our wait): join them.
    winners = Conversation.objects.filter(OPEN_Q, workspace=workspace).filter(
        Q(person_id__in={c.person_id for c in lost if c.person_id})
        | Q(person__isnull=True, identity_id__in={c.identity_id for c in lost if not c.person_id})
    )
    by_key = {(w.person_id, None if w.person_id else w.identity_id): w for w in winners.order_by()}
    swap: dict[int, tuple[Conversation, bool]] = {}
    for new in lost:
        winner = by_key.get((new.person_id, None if new.person_id else new.identity_id))
        if winner is None:  # resolved again meanwhile, or refused for another reason: the one-row path decides
            new.pk = None
            winner, created = create_or_join(
                workspace=workspace,
                person_id=new.person_id,
                identity_id=new.identity_id,
                network=new.channel,
                language=new.language,
                subject=new.subject,
            )
        else:
            created = False
        swap[id(new)] = (convs.setdefault(winner.pk, winner), created)
    out: list[Item] = []
    for post, conv, category, created in items:
        if id(conv) in swap:
            conv, created = swap[id(conv)]
        out.append((post, conv, category, created))
    return out


def _insert_messages(workspace: Workspace, items: list[Item], channels: dict[str, Channel]) -> list[Message | None]:
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
                direction=MessageDirection.INBOUND,
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
    items: list[Item],
    stored: list[Message | None],
    convs: dict[int, Conversation],
    *,
    fresh: set[int],
    now: datetime,
) -> None:
    """Fold each touched conversation's new messages in, start SLAs and routing for new ones, score each once;
    then write the timers, the conversations and the round-robin positions in a few statements."""
    by_conv: dict[int, list[tuple[Message, Post, str]]] = {}
    for (post, conv, category, _created), msg in zip(items, stored, strict=True):
        if msg is not None:
            by_conv.setdefault(conv.pk, []).append((msg, post, category))
    if not by_conv:
        return
    touched = [convs[pk] for pk in by_conv]
    # A conversation this batch opened has no messages but the batch's: its context needs no message query.
    ctx = build_context(touched, now=now, known_inbound={pk: [m for m, _p, _c in by_conv[pk]] for pk in fresh})
    policies = sla.active_policies(workspace_id=workspace.pk)
    applied = sla.applied_for(sorted(pk for pk in by_conv if pk not in fresh))
    timers: list[AppliedSLA] = []
    routing_cache = routing.batch_cache()
    for pk, rows in by_conv.items():
        conv = convs[pk]
        new = conv.first_inbound_at is None
        for i, (msg, post, category) in enumerate(rows):
            reopened = fold_inbound(
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
                conv.save()  # the stored fields resume reads; a new conversation waits for the one update below
                sla.resume(conversation=conv, now=now)
            if new:
                score_with(conv, ctx=ctx, now=now, inbound=[msg], save=False)  # the tier and priority pick the SLA
                tier = ctx.tier_of(conv.person_id)
                if pk in fresh:
                    timer = sla.build_sla(conversation=conv, tier=tier, now=now, policies=policies)
                    if timer is not None:
                        timers.append(timer)
                else:
                    sla.apply_sla(conversation=conv, tier=tier, now=now, policies=policies)
                routing.auto_assign(conv, cache=routing_cache, save=False)
            else:
                # Later messages of the batch would find the next-response timer already running. After a resume
                # the prefetched timers are stale, so on_inbound reads them again.
                sla.on_inbound(conversation=conv, at=post.created_at, applied=None if reopened else applied, save=False)
        score_with(conv, ctx=ctx, now=now, save=False)
    if timers:
        AppliedSLA.objects.bulk_create(timers)
    routing.save_positions(routing_cache)
    update_fields(touched, SETTLED_FIELDS)  # one prepared UPDATE for the whole batch
    for conv in touched:
        events.emit(
            "conversation.updated",
            {"workspace_id": conv.workspace_id, "conversation_id": conv.pk, "assignee_id": conv.assignee_id},
        )

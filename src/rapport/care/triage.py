"""Explainable triage priority: each factor adds points and says why, so agents can trust the order."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Max, Sum
from django.utils import timezone

from rapport.care.models import Conversation, ConversationStatus, Message, MessageDirection
from rapport.care.sla import customer_tier
from rapport.contacts.models import Person, Touchpoint, TouchpointKind
from rapport.identity.models import SocialIdentity

URGENT = re.compile(
    r"\b(urgent|asap|immediately|right now|today|tonight|tomorrow|emergency|stranded|stuck|charged|refund|"
    r"cancel\w*|unacceptable|lawyer|legal|never again|still|again|hours?)\b",
    re.IGNORECASE,
)
TIER_POINTS = {"vip": 10.0, "platinum": 10.0, "gold": 8.0, "silver": 4.0}


@dataclass
class Factor:
    factor: str
    points: float
    detail: str

    def as_dict(self) -> dict:
        return {"factor": self.factor, "points": round(self.points, 1), "detail": self.detail}


def factors(
    *,
    sentiment_label: str,
    sentiment_score: float | None,
    texts: list[str],
    followers: int | None,
    engagement: int,
    spend: Decimal,
    tier: str,
    sla_due_at: datetime | None,
    inbound_count: int,
    earlier_conversations: int,
    category: str,
    now: datetime,
    influence: tuple[int, str] | None = None,
) -> list[Factor]:
    """The contributions of every factor; pure so it can be tested and explained without a database."""
    out: list[Factor] = []
    if sentiment_label == "negative":
        strength = min(1.0, abs(sentiment_score or 0.5))
        out.append(Factor("sentiment", 10 + 12 * strength, f"negative ({sentiment_score or 0:+.2f})"))
    words = sorted({m.group(0).lower() for t in texts for m in URGENT.finditer(t)})
    if words:
        out.append(Factor("urgency", min(15.0, 5.0 * len(words)), "words: " + ", ".join(words[:5])))
    if influence is not None:  # the influence score (score, its explanation), not raw followers, which are bought
        out.append(Factor("influence", min(30.0, max(0.0, (influence[0] - 30) * 0.6)), influence[1]))
    elif followers:
        out.append(Factor("influence", min(30.0, 5 * math.log10(1 + followers)), f"{followers:,} followers"))
    if engagement:
        out.append(Factor("engagement", min(10.0, 3 * math.log10(1 + engagement)), f"{engagement:,} interactions"))
    if spend > 0:
        out.append(
            Factor("customer value", min(20.0, 4 * math.log10(1 + float(spend))), f"lifetime spend {spend:,.2f}")
        )
    if tier:
        out.append(Factor("tier", TIER_POINTS.get(tier, 0.0), f"{tier} customer"))
    if sla_due_at is not None:
        left = (sla_due_at - now).total_seconds() / 60
        if left <= 0:
            out.append(Factor("sla", 15.0, f"SLA breached {int(-left)} min ago"))
        elif left < 120:
            out.append(Factor("sla", 15.0 * (1 - left / 120), f"SLA due in {int(left)} min"))
    repeats = max(0, inbound_count - 1) + earlier_conversations
    if repeats:
        out.append(Factor("repeat contact", min(15.0, 4.0 * repeats), f"{repeats} earlier contacts on this"))
    if category == "complaint":
        out.append(Factor("needs response", 5.0, "complaint"))
    elif category == "question":
        out.append(Factor("needs response", 3.0, "question"))
    return out


@dataclass
class TriageContext:
    """What scoring needs about a batch of conversations, fetched with a few grouped queries."""

    inbound: dict[int, list[Message]]
    tags: dict[int, list[str]]
    spend: dict[int, Decimal]
    resolved: dict[int, list[int]]
    person_followers: dict[int, int | None]
    identity_followers: dict[int, int | None]
    influence: dict[str, tuple[int, str]] = field(default_factory=dict)  # "p<id>"/"i<id>" -> (score, why)
    tiers: dict[int, str] = field(default_factory=dict)  # person id -> loyalty tier

    def tier_of(self, person_id: int | None) -> str:
        """The person's tier: the loyalty programme's, else the tier their tags name."""
        if not person_id:
            return ""
        return customer_tier(self.tags.get(person_id) or [], self.tiers.get(person_id, ""))


def build_context(
    conversations: list[Conversation], *, now: datetime, known_inbound: dict[int, list[Message]] | None = None
) -> TriageContext:
    """Prefetch messages, people's tags, spend, recent resolved conversations and audiences for a batch.

    known_inbound gives the complete inbound messages of some conversations (those a batch just opened), in order;
    they are not read again.
    """
    known_inbound = known_inbound or {}
    conv_ids = [c.pk for c in conversations]
    person_ids = sorted({c.person_id for c in conversations if c.person_id})
    identity_ids = sorted({c.identity_id for c in conversations if c.identity_id and not c.person_id})
    workspace_ids = sorted({c.workspace_id for c in conversations})
    inbound: dict[int, list[Message]] = {pk: list(known_inbound.get(pk, [])) for pk in conv_ids}
    unknown = [pk for pk in conv_ids if pk not in known_inbound]
    if unknown:
        rows = (
            Message.objects.filter(conversation_id__in=unknown, direction=MessageDirection.INBOUND)
            .select_related("post__author")
            .defer("post__raw")  # the network's payload, the largest column, is not scored
            .order_by("created_at", "id")
        )
        for m in rows:
            inbound[m.conversation_id].append(m)
    tags: dict[int, list[str]] = {}
    spend: dict[int, Decimal] = {}
    resolved: dict[int, list[int]] = {}
    tiers: dict[int, str] = {}
    person_followers: dict[int, int | None] = {}
    if person_ids:
        tags = dict(Person.objects.filter(pk__in=person_ids).values_list("pk", "tags"))
        spend = dict(
            Touchpoint.objects.filter(person_id__in=person_ids, kind=TouchpointKind.PURCHASE)
            .values("person_id")
            .annotate(s=Sum("amount"))
            .values_list("person_id", "s")
        )
        for pid, cid in Conversation.objects.filter(
            workspace_id__in=workspace_ids,
            person_id__in=person_ids,
            status=ConversationStatus.RESOLVED,
            resolved_at__gte=now - timedelta(days=30),
        ).values_list("person_id", "pk"):
            resolved.setdefault(pid, []).append(cid)
        # Orders own purchases: where a value summary exists its spend and loyalty tier win over old touchpoints.
        from rapport.commerce.services import standing

        for pid, (tier, total) in standing(person_ids).items():
            if tier:
                tiers[pid] = tier
            if total:
                spend[pid] = total
        person_followers = dict(
            SocialIdentity.objects.filter(workspace_id__in=workspace_ids, person_id__in=person_ids)
            .values("person_id")
            .annotate(m=Max("followers"))
            .values_list("person_id", "m")
        )
    identity_followers: dict[int, int | None] = {}
    if identity_ids:
        identity_followers = dict(
            SocialIdentity.objects.filter(workspace_id__in=workspace_ids, pk__in=identity_ids).values_list(
                "pk", "followers"
            )
        )
    from rapport.influence.services import explanation, scores_for

    influence = {
        key: (row.score, explanation(row))
        for ws in workspace_ids
        for key, row in scores_for(
            ws,
            person_ids=person_ids,
            identity_ids=sorted({c.identity_id for c in conversations if c.identity_id}),
        ).items()
    }
    return TriageContext(inbound, tags, spend, resolved, person_followers, identity_followers, influence, tiers)


def score_with(
    conversation: Conversation,
    *,
    ctx: TriageContext,
    now: datetime,
    inbound: list[Message] | None = None,
    save: bool = True,
) -> float:
    """Priority and priority_reasons from prefetched data; inbound overrides the stored messages."""
    if inbound is None:
        inbound = ctx.inbound.get(conversation.pk, [])
    since_answer = [
        m for m in inbound if not conversation.last_outbound_at or m.created_at > conversation.last_outbound_at
    ]
    followers = None
    engagement = 0
    for m in inbound:
        if m.post is not None:
            if m.post.author is not None and m.post.author.followers:
                followers = max(followers or 0, m.post.author.followers)
            engagement = max(engagement, sum(int(v) for v in (m.post.metrics or {}).values() if isinstance(v, int)))
    if followers is None:
        # No post metrics (calls, emails, seeded history): fall back to the person's best-known audience.
        if conversation.person_id:
            followers = ctx.person_followers.get(conversation.person_id)
        elif conversation.identity_id:
            followers = ctx.identity_followers.get(conversation.identity_id)
    pid = conversation.person_id
    earlier = len([c for c in ctx.resolved.get(pid, []) if c != conversation.pk]) if pid else 0
    parts = factors(
        sentiment_label=conversation.sentiment_label,
        sentiment_score=conversation.sentiment_score,
        texts=[m.text for m in (since_answer or inbound[-1:])],
        followers=followers,
        engagement=engagement,
        spend=(ctx.spend.get(pid) or Decimal(0)) if pid else Decimal(0),
        tier=ctx.tier_of(pid),
        sla_due_at=conversation.sla_due_at,
        inbound_count=len(inbound),
        earlier_conversations=earlier,
        category=conversation.needs_response,
        now=now,
        influence=ctx.influence.get(f"p{pid}" if pid else f"i{conversation.identity_id}"),
    )
    parts.sort(key=lambda f: -f.points)
    conversation.priority = round(sum(f.points for f in parts), 2)
    conversation.priority_reasons = [f.as_dict() for f in parts]
    if save:
        conversation.save(update_fields=["priority", "priority_reasons", "updated_at"])
    return conversation.priority


def score_conversation(conversation: Conversation, *, now: datetime | None = None, save: bool = True) -> float:
    """Recompute priority and priority_reasons from the conversation, its person and its messages."""
    now = now or timezone.now()
    return score_with(conversation, ctx=build_context([conversation], now=now), now=now, save=save)

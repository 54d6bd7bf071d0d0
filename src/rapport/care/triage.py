"""Explainable triage priority: each factor adds points and says why, so agents can trust the order."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Max, Sum
from django.utils import timezone

from rapport.care.models import Conversation, ConversationStatus, Direction, Message
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


def lifetime_spend(person_id: int | None) -> Decimal:
    """Sum of the person's purchase touchpoints."""
    if person_id is None:
        return Decimal(0)
    total = Touchpoint.objects.filter(person_id=person_id, kind=TouchpointKind.PURCHASE).aggregate(s=Sum("amount"))
    return total["s"] or Decimal(0)


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
) -> list[Factor]:
    """The contributions of every factor; pure so it can be tested and explained without a database."""
    out: list[Factor] = []
    if sentiment_label == "negative":
        strength = min(1.0, abs(sentiment_score or 0.5))
        out.append(Factor("sentiment", 10 + 12 * strength, f"negative ({sentiment_score or 0:+.2f})"))
    words = sorted({m.group(0).lower() for t in texts for m in URGENT.finditer(t)})
    if words:
        out.append(Factor("urgency", min(15.0, 5.0 * len(words)), "words: " + ", ".join(words[:5])))
    if followers:
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


def score_conversation(conversation: Conversation, *, now: datetime | None = None, save: bool = True) -> float:
    """Recompute priority and priority_reasons from the conversation, its person and its messages."""
    now = now or timezone.now()
    person = Person.objects.filter(pk=conversation.person_id).only("tags").first() if conversation.person_id else None
    inbound = list(
        Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
        .select_related("post__author")
        .order_by("created_at")
    )
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
        idents = SocialIdentity.objects.filter(workspace_id=conversation.workspace_id)
        if conversation.person_id:
            idents = idents.filter(person_id=conversation.person_id)
        else:
            idents = idents.filter(pk=conversation.identity_id) if conversation.identity_id else idents.none()
        followers = idents.aggregate(m=Max("followers"))["m"]
    earlier = 0
    if conversation.person_id:
        earlier = (
            Conversation.objects.filter(
                workspace_id=conversation.workspace_id,
                person_id=conversation.person_id,
                status=ConversationStatus.RESOLVED,
                resolved_at__gte=now - timedelta(days=30),
            )
            .exclude(pk=conversation.pk)
            .count()
        )
    parts = factors(
        sentiment_label=conversation.sentiment_label,
        sentiment_score=conversation.sentiment_score,
        texts=[m.text for m in (since_answer or inbound[-1:])],
        followers=followers,
        engagement=engagement,
        spend=lifetime_spend(conversation.person_id),
        tier=customer_tier(person.tags if person else []),
        sla_due_at=conversation.sla_due_at,
        inbound_count=len(inbound),
        earlier_conversations=earlier,
        category=conversation.needs_response,
        now=now,
    )
    parts.sort(key=lambda f: -f.points)
    conversation.priority = round(sum(f.points for f in parts), 2)
    conversation.priority_reasons = [f.as_dict() for f in parts]
    if save:
        conversation.save(update_fields=["priority", "priority_reasons", "updated_at"])
    return conversation.priority

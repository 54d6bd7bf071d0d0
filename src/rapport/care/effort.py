"""Customer Effort: what one conversation cost the customer, and CES / CSAT reported per team and channel."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from datetime import datetime

from rapidfuzz import fuzz
from unidecode import unidecode

from rapport.care.models import Conversation, CsatResponse, EffortScore, Message, MessageDirection

REPEAT_SIMILARITY = 60  # token-set ratio above which two messages restate the same issue
_HANDLE = re.compile(r"@\w+|https?://\S+")


def _norm(text: str) -> str:
    return unidecode(_HANDLE.sub(" ", text or "")).lower()


def count_repeats(texts: list[str]) -> int:
    """Messages that restate an earlier message of the same conversation (text similarity)."""
    repeats = 0
    seen: list[str] = []
    for text in map(_norm, texts):
        if len(text.split()) >= 3 and any(fuzz.token_set_ratio(text, s) >= REPEAT_SIMILARITY for s in seen):
            repeats += 1
        seen.append(text)
    return repeats


def effort_figure(
    *, contacts: int, channel_switches: int, repeats: int, transfers: int, resolution_minutes: float | None
) -> float:
    """A 1 (effortless) to 7 (very high) score in the spirit of the CES scale, from observed effort."""
    hours = (resolution_minutes or 0) / 60
    raw = (
        0.6 * max(0, contacts - 1)
        + 0.8 * channel_switches
        + 1.0 * repeats
        + 0.7 * transfers
        + 0.4 * math.log2(1 + hours)
    )
    return round(min(7.0, 1.0 + raw), 2)


def compute_effort(conversation: Conversation) -> EffortScore:
    """Compute and store the conversation's effort figures."""
    inbound = list(
        Message.objects.filter(conversation=conversation, direction=MessageDirection.INBOUND).order_by(
            "created_at", "id"
        )
    )
    networks = [m.network for m in inbound]
    switches = sum(1 for a, b in zip(networks, networks[1:], strict=False) if a != b)
    repeats = count_repeats([m.text for m in inbound])
    minutes = None
    if conversation.resolved_at and conversation.first_inbound_at:
        minutes = (conversation.resolved_at - conversation.first_inbound_at).total_seconds() / 60
    values = {
        "contacts": len(inbound),
        "channel_switches": switches,
        "repeats": repeats,
        "transfers": conversation.transfers,
        "resolution_minutes": minutes,
    }
    score = effort_figure(**values)
    effort, _ = EffortScore.objects.update_or_create(
        conversation=conversation, defaults={**values, "score": score, "workspace_id": conversation.workspace_id}
    )
    return effort


def effort_report(*, workspace_id: int, since: datetime | None = None, until: datetime | None = None) -> dict:
    """Average effort and CSAT per team and per channel over resolved conversations opened in [since, until)."""
    by: dict[str, dict[str, list[float]]] = {"team": defaultdict(list), "channel": defaultdict(list)}
    csat: dict[str, dict[str, list[int]]] = {"team": defaultdict(list), "channel": defaultdict(list)}
    period = {}
    if since is not None:
        period["conversation__created_at__gte"] = since
    if until is not None:
        period["conversation__created_at__lt"] = until
    rows = EffortScore.objects.filter(workspace_id=workspace_id, **period).select_related("conversation__team")
    for e in rows:
        conv = e.conversation
        by["team"][conv.team.name if conv.team else "unassigned"].append(e.score)
        by["channel"][conv.channel or "other"].append(e.score)
    for r in CsatResponse.objects.filter(workspace_id=workspace_id, **period).select_related("conversation__team"):
        conv = r.conversation
        csat["team"][conv.team.name if conv.team else "unassigned"].append(r.score)
        csat["channel"][conv.channel or "other"].append(r.score)

    def summary(dim: str) -> dict:
        keys = sorted(set(by[dim]) | set(csat[dim]))
        return {
            k: {
                "conversations": len(by[dim][k]),
                "ces": round(sum(by[dim][k]) / len(by[dim][k]), 2) if by[dim][k] else None,
                "csat": round(sum(csat[dim][k]) / len(csat[dim][k]), 2) if csat[dim][k] else None,
            }
            for k in keys
        }

    return {"teams": summary("team"), "channels": summary("channel")}

"""SLA policies: matching, business-hours due times, pauses, warnings before a breach, breaches and the report."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from rapport.care.models import AppliedSLA, Conversation, SLAPolicy
from rapport.core import events

TARGETS = ("first_response", "next_response", "resolution")
MAX_DAYS = 400  # a calendar with no open hours must not loop forever


def human_duration(seconds: float) -> str:
    """A time span as agents read it: "45 min", "2 h 15 min", "1 d 4 h", "3 d" (never "103315h")."""
    minutes = int(abs(seconds) // 60)
    if minutes < 1:
        return "< 1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, mins = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    days, hours = divmod(hours, 24)
    if days < 3 and hours:
        return f"{days} d {hours} h"
    return f"{days} d"


def sla_left(due: datetime | None, now: datetime | None = None) -> str:
    """Time to an SLA target ("2 h 15 min"), or how long ago it was missed ("overdue 3 d")."""
    if due is None:
        return ""
    left = (due - (now or timezone.now())).total_seconds()
    return human_duration(left) if left >= 0 else f"overdue {human_duration(left)}"


def priority_band(priority: float) -> str:
    """urgent, high, normal or low, the names SLA policies filter on."""
    if priority >= 70:
        return "urgent"
    if priority >= 50:
        return "high"
    if priority >= 25:
        return "normal"
    return "low"


def customer_tier(tags: list[str], loyalty_tier: str = "") -> str:
    """The person's tier: the loyalty programme's when they hold one, else (workspaces without a programme) the
    highest tier named in their tags, or "" for none."""
    if loyalty_tier:
        return loyalty_tier.strip().lower()
    lowered = {str(t).lower() for t in tags or []}
    for tier in ("vip", "platinum", "gold", "silver"):
        if tier in lowered:
            return tier
    return ""


def _windows(calendar: dict, day: date, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    if str(day) in set(calendar.get("holidays", [])):
        return []
    hours = calendar.get("hours", {}).get(str(day.weekday()))
    if not hours:
        return []
    start, end = (time.fromisoformat(h) for h in hours)
    return [(datetime.combine(day, start, tz), datetime.combine(day, end, tz))]


def add_business_minutes(start: datetime, minutes: float, calendar: dict | None) -> datetime:
    """The moment `minutes` of open business time after start (calendar empty: around the clock)."""
    if not calendar or not calendar.get("hours"):
        return start + timedelta(minutes=minutes)
    tz = ZoneInfo(calendar.get("tz", "UTC"))
    remaining = timedelta(minutes=minutes)
    local = start.astimezone(tz)
    for offset in range(MAX_DAYS):
        for open_at, close_at in _windows(calendar, local.date() + timedelta(days=offset), tz):
            begin = max(open_at, local)
            if begin >= close_at:
                continue
            if begin + remaining <= close_at:
                return (begin + remaining).astimezone(start.tzinfo)
            remaining -= close_at - begin
    raise ValueError("the business-hours calendar has no open time")


def business_minutes_between(start: datetime, end: datetime, calendar: dict | None) -> float:
    """Open business minutes from start to end (negative if end is earlier)."""
    if end < start:
        return -business_minutes_between(end, start, calendar)
    if not calendar or not calendar.get("hours"):
        return (end - start).total_seconds() / 60
    tz = ZoneInfo(calendar.get("tz", "UTC"))
    a, b = start.astimezone(tz), end.astimezone(tz)
    total = timedelta()
    for offset in range((b.date() - a.date()).days + 1):
        for open_at, close_at in _windows(calendar, a.date() + timedelta(days=offset), tz):
            lo, hi = max(open_at, a), min(close_at, b)
            if hi > lo:
                total += hi - lo
    return total.total_seconds() / 60


def active_policies(*, workspace_id: int) -> list[SLAPolicy]:
    """The workspace's active policies in matching order; fetched once per routed batch."""
    return list(SLAPolicy.objects.filter(workspace_id=workspace_id, active=True))


def match_policy(
    *, conversation: Conversation, tier: str = "", policies: list[SLAPolicy] | None = None
) -> SLAPolicy | None:
    """The first active policy (by position) whose channel, priority and tier filters all match."""
    band = priority_band(conversation.priority)
    if policies is None:
        policies = active_policies(workspace_id=conversation.workspace_id)
    for policy in policies:
        if policy.channels and conversation.channel not in policy.channels:
            continue
        if policy.priorities and band not in policy.priorities:
            continue
        if policy.tiers and tier not in policy.tiers:
            continue
        return policy
    return None


def _nearest_due(sla: AppliedSLA | None) -> datetime | None:
    if sla is None or sla.paused_at is not None or sla.stopped_at is not None:
        return None
    pending = [getattr(sla, f"{t}_due") for t in TARGETS if getattr(sla, f"{t}_met") is None]
    pending = [d for d in pending if d is not None]
    return min(pending) if pending else None


def _refresh_due(conversation: Conversation, sla: AppliedSLA | None, *, save: bool = True) -> None:
    conversation.sla_due_at = _nearest_due(sla)
    if save:
        conversation.save(update_fields=["sla_due_at", "updated_at"])


def apply_sla(
    *,
    conversation: Conversation,
    tier: str = "",
    now: datetime | None = None,
    policies: list[SLAPolicy] | None = None,
    fresh: bool = False,
) -> AppliedSLA | None:
    """Start the matching policy's timers from the first inbound message, once per conversation.

    fresh says the conversation was just created in this transaction, so it cannot have timers yet.
    """
    if not fresh:
        existing = AppliedSLA.objects.filter(conversation=conversation).first()
        if existing is not None:
            return existing
    sla = build_sla(conversation=conversation, tier=tier, now=now, policies=policies)
    if sla is not None:
        sla.save(force_insert=True)
        conversation.save(update_fields=["sla_due_at", "updated_at"])
    return sla


def build_sla(
    *,
    conversation: Conversation,
    tier: str = "",
    now: datetime | None = None,
    policies: list[SLAPolicy] | None = None,
) -> AppliedSLA | None:
    """The matching policy's timers for a conversation without any, unsaved (a routed batch inserts them at once);
    the conversation's sla_due_at is set in memory."""
    policy = match_policy(conversation=conversation, tier=tier, policies=policies)
    if policy is None:
        return None
    start = conversation.first_inbound_at or now or timezone.now()
    cal = policy.calendar

    def due(minutes: int | None) -> datetime | None:
        return add_business_minutes(start, minutes, cal) if minutes else None

    sla = AppliedSLA(
        workspace_id=conversation.workspace_id,
        conversation=conversation,
        policy=policy,
        first_response_due=due(policy.first_response_minutes),
        resolution_due=due(policy.resolution_minutes),
    )
    _refresh_due(conversation, sla, save=False)
    return sla


def applied_for(conversation_ids: list[int]) -> dict[int, AppliedSLA]:
    """Each conversation's timers (with their policy) in one query, as on_inbound would read them one by one."""
    out: dict[int, AppliedSLA] = {}
    for sla in AppliedSLA.objects.filter(conversation_id__in=conversation_ids).select_related("policy").order_by("id"):
        out.setdefault(sla.conversation_id, sla)
    return out


def on_inbound(
    *, conversation: Conversation, at: datetime, applied: dict[int, AppliedSLA] | None = None, save: bool = True
) -> None:
    """A customer wrote again after our answer: the next-response timer starts.

    applied: timers prefetched by applied_for (one query per batch); save=False leaves sla_due_at for the caller.
    """
    if applied is None:
        sla = AppliedSLA.objects.filter(conversation=conversation).select_related("policy").first()
    else:
        sla = applied.get(conversation.pk)
    if sla is None or sla.stopped_at or sla.first_response_met is None or not sla.policy.next_response_minutes:
        return
    if sla.next_response_met is None and sla.next_response_due:
        return  # still waiting for our answer to an earlier message
    sla.next_response_due = add_business_minutes(at, sla.policy.next_response_minutes, sla.policy.calendar)
    sla.next_response_met = None
    sla.warned = [t for t in sla.warned if t != "next_response"]
    sla.breached = [t for t in sla.breached if t != "next_response"]
    sla.save()
    _refresh_due(conversation, sla, save=save)


def on_outbound(*, conversation: Conversation, at: datetime) -> None:
    """Our answer meets the first- or next-response target that was running."""
    sla = AppliedSLA.objects.filter(conversation=conversation).first()
    if sla is None or sla.stopped_at:
        return
    if sla.first_response_met is None and sla.first_response_due:
        sla.first_response_met = at <= sla.first_response_due
    elif sla.next_response_met is None and sla.next_response_due:
        sla.next_response_met = at <= sla.next_response_due
    sla.save()
    _refresh_due(conversation, sla)


def pause(*, conversation: Conversation, now: datetime) -> None:
    """Stop the clock while we wait on the customer."""
    sla = AppliedSLA.objects.filter(conversation=conversation, paused_at__isnull=True, stopped_at__isnull=True).first()
    if sla is not None:
        sla.paused_at = now
        sla.save(update_fields=["paused_at"])
        _refresh_due(conversation, sla)


def resume(*, conversation: Conversation, now: datetime) -> None:
    """Restart the clock: every running target moves later by the business time spent paused."""
    sla = AppliedSLA.objects.filter(conversation=conversation, paused_at__isnull=False).select_related("policy").first()
    if sla is None:
        return
    cal = sla.policy.calendar
    for target in TARGETS:
        due = getattr(sla, f"{target}_due")
        if due is not None and getattr(sla, f"{target}_met") is None:
            left = business_minutes_between(sla.paused_at, due, cal)
            setattr(sla, f"{target}_due", add_business_minutes(now, max(left, 0), cal) if left > 0 else due)
    sla.paused_at = None
    sla.save()
    _refresh_due(conversation, sla)


def stop(*, conversation: Conversation, now: datetime) -> None:
    """Resolution stops every timer; the resolution target is met if it was reached in time."""
    sla = AppliedSLA.objects.filter(conversation=conversation, stopped_at__isnull=True).first()
    if sla is None:
        return
    if sla.resolution_due and sla.resolution_met is None:
        sla.resolution_met = now <= sla.resolution_due if sla.paused_at is None else True
    sla.stopped_at = now
    sla.save()
    _refresh_due(conversation, sla)


def running() -> QuerySet[AppliedSLA]:
    """Applied SLAs whose clock is running."""
    return AppliedSLA.objects.filter(stopped_at__isnull=True, paused_at__isnull=True)


def check_slas(*, now: datetime | None = None, workspace_id: int | None = None) -> dict[str, int]:
    """Record warnings before a breach and breaches; emit conversation.sla_warning / conversation.sla_breached."""
    now = now or timezone.now()
    counts = {"warnings": 0, "breaches": 0}
    qs = running().select_related("policy", "conversation")
    if workspace_id is not None:
        qs = qs.filter(workspace_id=workspace_id)
    for sla in qs.iterator(chunk_size=500):
        changed = False
        for target in TARGETS:
            due = getattr(sla, f"{target}_due")
            if due is None or getattr(sla, f"{target}_met") is not None:
                continue
            payload = {
                "workspace_id": sla.workspace_id,
                "conversation_id": sla.conversation_id,
                "target": target,
                "due_at": due.isoformat(),
            }
            if now >= due and target not in sla.breached:
                sla.breached = [*sla.breached, target]
                events.emit("conversation.sla_breached", payload)
                counts["breaches"] += 1
                changed = True
            elif due - timedelta(minutes=sla.policy.warn_before_minutes) <= now < due and target not in sla.warned:
                sla.warned = [*sla.warned, target]
                events.emit("conversation.sla_warning", payload)
                counts["warnings"] += 1
                changed = True
        if changed:
            sla.save()
    return counts


def sla_report(*, workspace_id: int, since: datetime | None = None, until: datetime | None = None) -> dict:
    """Share of SLA targets met, overall and per channel, over targets already decided, of the conversations
    opened in [since, until)."""
    qs = AppliedSLA.objects.filter(workspace_id=workspace_id).select_related("conversation")
    if since is not None:
        qs = qs.filter(conversation__created_at__gte=since)
    if until is not None:
        qs = qs.filter(conversation__created_at__lt=until)
    overall = {"met": 0, "missed": 0}
    per_channel: dict[str, dict[str, int]] = {}
    for sla in qs.iterator(chunk_size=1000):
        bucket = per_channel.setdefault(sla.conversation.channel or "other", {"met": 0, "missed": 0})
        for target in TARGETS:
            met = getattr(sla, f"{target}_met")
            if met is None and target in sla.breached:
                met = False
            if met is None:
                continue
            key = "met" if met else "missed"
            overall[key] += 1
            bucket[key] += 1

    def share(d: dict[str, int]) -> float | None:
        total = d["met"] + d["missed"]
        return round(d["met"] / total, 4) if total else None

    return {
        "overall": {**overall, "share_met": share(overall)},
        "channels": {c: {**d, "share_met": share(d)} for c, d in sorted(per_channel.items())},
    }

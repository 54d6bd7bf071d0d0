"""The workspace's messaging policy, enforced by campaign sending and by journeys alike.

- Frequency cap: at most `cap_messages` marketing messages per person in any `cap_days` days, counted across every
  campaign send and journey email that went (sent, or uncertain: it may have gone). Service messages are exempt
  and are not counted.
- Quiet hours: from `quiet_start` to `quiet_end` in the workspace's time zone (a window may run past midnight),
  nothing is sent; a message due then waits until they end."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.db.models import Count

from rapport.campaigns.models import CampaignSend, MessagingPolicy, SendStatus, StepRun, StepStatus
from rapport.consent.models import Purpose
from rapport.core.errors import FieldErrors

EXEMPT = {Purpose.SERVICE.value}
COUNTED_SENDS = (SendStatus.SENT, SendStatus.UNCERTAIN)
COUNTED_STEPS = (StepStatus.SENT, StepStatus.UNCERTAIN, StepStatus.SENDING)


@dataclass(frozen=True)
class Policy:
    workspace_id: int
    time_zone: str = "UTC"
    quiet_start: time | None = None
    quiet_end: time | None = None
    cap_messages: int = 0
    cap_days: int = 7

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def has_quiet(self) -> bool:
        return self.quiet_start is not None and self.quiet_end is not None and self.quiet_start != self.quiet_end

    def capped(self, purpose: str) -> bool:
        """Does the cap count (and so limit) messages of this purpose?"""
        return self.cap_messages > 0 and purpose not in EXEMPT

    def quiet_until(self, now: datetime) -> datetime | None:
        """When the quiet hours `now` falls in end (an aware datetime), or None when `now` is not in them."""
        if not self.has_quiet:
            return None
        local = now.astimezone(self.tz)
        t = local.time().replace(tzinfo=None)
        start, end = self.quiet_start, self.quiet_end
        if start < end:
            inside = start <= t < end
            end_day = local.date()
        else:  # past midnight, e.g. 21:00 to 08:00
            inside = t >= start or t < end
            end_day = local.date() + timedelta(days=1) if t >= start else local.date()
        if not inside:
            return None
        return datetime.combine(end_day, end, tzinfo=self.tz)


def policy_for(workspace_id: int) -> Policy:
    row = MessagingPolicy.objects.filter(workspace_id=workspace_id).first()
    if row is None:
        return Policy(workspace_id)
    return Policy(
        workspace_id,
        time_zone=row.time_zone or "UTC",
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        cap_messages=row.cap_messages,
        cap_days=max(row.cap_days, 1),
    )


def _time(errors: dict[str, str], field: str, value) -> time | None:
    if value in (None, ""):
        return None
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        errors[field] = f"{value!r} is not a time of day (HH:MM)"
        return None


def save_policy(*, workspace_id: int, data: dict) -> MessagingPolicy:
    """Validate and store the workspace's policy; FieldErrors names each bad field."""
    errors: dict[str, str] = {}
    tz = (data.get("time_zone") or "UTC").strip()
    try:
        ZoneInfo(tz)
        if tz not in available_timezones() and tz != "UTC":
            raise ZoneInfoNotFoundError(tz)
    except (ZoneInfoNotFoundError, ValueError):
        errors["time_zone"] = f"unknown time zone {tz!r} (an IANA name such as Europe/Amsterdam)"
    start = _time(errors, "quiet_start", data.get("quiet_start"))
    end = _time(errors, "quiet_end", data.get("quiet_end"))
    if (start is None) != (end is None) and "quiet_start" not in errors and "quiet_end" not in errors:
        errors["quiet_end" if end is None else "quiet_start"] = "quiet hours need both a start and an end"
    cap, days = data.get("cap_messages", 0), data.get("cap_days", 7)
    try:
        cap = int(cap or 0)
        if cap < 0:
            raise ValueError
    except (TypeError, ValueError):
        errors["cap_messages"] = "a whole number of messages, 0 for no cap"
    try:
        days = int(days or 7)
        if not 1 <= days <= 365:
            raise ValueError
    except (TypeError, ValueError):
        errors["cap_days"] = "a number of days from 1 to 365"
    if errors:
        raise FieldErrors(errors)
    row, _ = MessagingPolicy.objects.update_or_create(
        workspace_id=workspace_id,
        defaults={"time_zone": tz, "quiet_start": start, "quiet_end": end, "cap_messages": cap, "cap_days": days},
    )
    return row


def recent_counts(policy: Policy, person_ids: Iterable[int], now: datetime) -> Counter:
    """Marketing messages each person was sent in the cap's window before `now`, campaigns and journeys together
    (two grouped queries, whatever the number of people)."""
    ids = list(person_ids)
    out: Counter = Counter()
    if not ids or policy.cap_messages <= 0:
        return out
    since = now - timedelta(days=policy.cap_days)
    for start in range(0, len(ids), 1000):
        part = ids[start : start + 1000]
        sends = (
            CampaignSend.objects.filter(
                workspace_id=policy.workspace_id, person_id__in=part, status__in=COUNTED_SENDS, sent_at__gte=since
            )
            .exclude(campaign__purpose__in=EXEMPT)
            .values_list("person_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        # A hand-over interrupted before it was recorded has no sent_at; its claim time counts instead.
        claimed = (
            CampaignSend.objects.filter(
                workspace_id=policy.workspace_id,
                person_id__in=part,
                status__in=(SendStatus.UNCERTAIN, SendStatus.SENDING),
                sent_at__isnull=True,
                claimed_at__gte=since,
            )
            .exclude(campaign__purpose__in=EXEMPT)
            .values_list("person_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        steps = (
            StepRun.objects.filter(
                workspace_id=policy.workspace_id, person_id__in=part, status__in=COUNTED_STEPS, at__gte=since
            )
            .exclude(purpose__in=EXEMPT)
            .values_list("person_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        for rows in (sends, claimed, steps):
            for pid, n in rows:
                out[pid] += n
    return out


def next_permitted(policy: Policy, person_id: int, now: datetime) -> datetime:
    """The first moment after `now` at which one more marketing message keeps the person within the cap: when
    enough of the messages counted in the window have aged out of it."""
    since = now - timedelta(days=policy.cap_days)
    ws = policy.workspace_id
    times = list(
        CampaignSend.objects.filter(workspace_id=ws, person_id=person_id, status__in=COUNTED_SENDS, sent_at__gte=since)
        .exclude(campaign__purpose__in=EXEMPT)
        .values_list("sent_at", flat=True)
    )
    times += (
        CampaignSend.objects.filter(
            workspace_id=ws,
            person_id=person_id,
            status__in=(SendStatus.UNCERTAIN, SendStatus.SENDING),
            sent_at__isnull=True,
            claimed_at__gte=since,
        )
        .exclude(campaign__purpose__in=EXEMPT)
        .values_list("claimed_at", flat=True)
    )
    times += (
        StepRun.objects.filter(workspace_id=ws, person_id=person_id, status__in=COUNTED_STEPS, at__gte=since)
        .exclude(purpose__in=EXEMPT)
        .values_list("at", flat=True)
    )
    times.sort()
    over = len(times) - policy.cap_messages  # this many must leave the window, oldest first, before one more fits
    if over < 0:
        return now
    return max(now, times[over] + timedelta(days=policy.cap_days, seconds=1))


def _system_now() -> datetime:
    from django.utils import timezone

    return timezone.now()


clock = _system_now  # the one clock of campaign sending and journeys; tests replace it to simulate time


def now() -> datetime:
    return clock()

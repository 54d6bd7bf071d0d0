"""Campaigns: create and validate them, resolve their audience (segments minus suppression minus those without
consent), and count what happened to them."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone

from rapport.campaigns.models import (
    Bounce,
    BounceKind,
    Campaign,
    CampaignResponse,
    CampaignSend,
    CampaignStatus,
    ResponseKind,
    SendStatus,
)
from rapport.campaigns.rendering import TemplateError, compile_template, context_for, render
from rapport.commerce import services as commerce
from rapport.consent import services as consent
from rapport.consent.models import ContactChannel, Purpose
from rapport.contacts.models import Person
from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.core.models import Workspace
from rapport.core.services import record_audit
from rapport.segments.models import Segment, SegmentMember

CHANNELS = (ContactChannel.EMAIL,)  # the channels a campaign can be sent on today
CHUNK = 1000
MAX_VARIANTS = 10
ATTRIBUTION_DAYS = 7  # an order within this many days of a click on a campaign's link is counted as its conversion


def _clean(workspace: Workspace, data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = "a campaign needs a name"
    channel = data.get("channel") or ""
    if channel not in CHANNELS:
        errors["channel"] = f"unknown channel {channel!r}: one of {', '.join(CHANNELS)}"
    purpose = data.get("purpose") or ""
    if purpose not in Purpose.values:
        errors["purpose"] = f"unknown purpose {purpose!r}: one of {', '.join(Purpose.values)}"
    segment_ids = list(dict.fromkeys(data.get("segment_ids") or []))
    if not segment_ids:
        errors["segment_ids"] = "name at least one segment"
    else:
        known = set(Segment.objects.filter(workspace=workspace, pk__in=segment_ids).values_list("pk", flat=True))
        unknown = [str(i) for i in segment_ids if i not in known]
        if unknown:
            errors["segment_ids"] = f"unknown segment {', '.join(unknown)}"
    for field in ("subject", "body"):
        if not (data.get(field) or "").strip():
            errors[field] = f"a campaign needs a {field}"
        else:
            try:
                compile_template(data[field])
            except TemplateError as exc:
                errors[field] = f"template error: {exc}"
    variants = data.get("variants") or []
    if len(variants) > MAX_VARIANTS:
        errors["variants"] = f"at most {MAX_VARIANTS} variants"
    names = {"A"}
    for i, v in enumerate(variants[:MAX_VARIANTS]):
        vname = (v.get("name") or chr(ord("B") + i)).strip()
        if vname in names:
            errors[f"variants.{i}.name"] = f"variant name {vname!r} is used twice"
        names.add(vname)
        v["name"] = vname
        for field in ("subject", "body"):
            source = v.get(field) or data.get(field) or ""
            try:
                compile_template(source)
            except TemplateError as exc:
                errors[f"variants.{i}.{field}"] = f"template error: {exc}"
            v[field] = source
    if errors:
        raise FieldErrors(errors)
    return {
        "name": name[:200],
        "segment_ids": segment_ids,
        "channel": channel,
        "purpose": purpose,
        "subject": data["subject"],
        "body": data["body"],
        "variants": variants,
        "track_opens": bool(data.get("track_opens", False)),
        "track_clicks": bool(data.get("track_clicks", True)),
    }


@transaction.atomic
def create_campaign(*, workspace: Workspace, actor: Actor, data: dict[str, Any]) -> Campaign:
    """Validate and save a draft campaign (nothing is sent until `queue_send`)."""
    campaign = Campaign.objects.create(workspace=workspace, created_by=actor.label, **_clean(workspace, data))
    record_audit(
        workspace=workspace,
        actor=actor,
        action="campaign.created",
        object_type="campaign",
        object_id=campaign.pk,
        after={"name": campaign.name, "purpose": campaign.purpose},
    )
    return campaign


def queue_send(*, actor: Actor, campaign: Campaign) -> Campaign:
    """Hand the campaign to the job runner; sending again after a failure resumes where it stopped."""
    from rapport.campaigns.tasks import send_campaign

    if campaign.status in (CampaignStatus.QUEUED, CampaignStatus.SENDING, CampaignStatus.SENT):
        return campaign
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.QUEUED, queued_at=timezone.now(), error="")
    campaign.refresh_from_db()
    record_audit(
        workspace=campaign.workspace,
        actor=actor,
        action="campaign.queued",
        object_type="campaign",
        object_id=campaign.pk,
        after={"name": campaign.name},
    )
    transaction.on_commit(lambda: send_campaign.enqueue(campaign.pk))
    return campaign


MAX_SCHEDULE_DAYS = 366


def parse_when(workspace_id: int, at: str | datetime) -> datetime:
    """An aware time from ISO text; without an offset it is read in the workspace's time zone (the messaging
    policy's). FieldErrors({"at": ...}) when it does not parse, is past, or is more than a year ahead."""
    from rapport.campaigns import policy

    if isinstance(at, datetime):
        when = at
    else:
        try:
            when = datetime.fromisoformat(str(at).strip())
        except ValueError:
            raise FieldErrors({"at": f"{at!r} is not a date and time (e.g. 2026-12-24T09:00)"}) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=policy.policy_for(workspace_id).tz)
    now = policy.now()
    if when <= now:
        raise FieldErrors({"at": f"{when.isoformat()} is not in the future"})
    if when > now + timedelta(days=MAX_SCHEDULE_DAYS):
        raise FieldErrors({"at": "at most a year ahead"})
    return when


def schedule(*, actor: Actor, campaign: Campaign, at: str | datetime) -> Campaign:
    """Schedule a draft (or move a scheduled) campaign to start at `at`: a job waits in the runner until then. The
    job finds the campaign as it is then: cancelled or moved, it does nothing (the moved one has its own job)."""
    from rapport.campaigns.tasks import send_campaign

    when = parse_when(campaign.workspace_id, at)
    with transaction.atomic():
        moved = Campaign.objects.filter(
            pk=campaign.pk, status__in=(CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)
        ).update(status=CampaignStatus.SCHEDULED, scheduled_at=when, error="")
        if not moved:
            raise FieldErrors({"status": f"a {campaign.get_status_display().lower()} campaign cannot be scheduled"})
        before = campaign.scheduled_at
        campaign.refresh_from_db()
        record_audit(
            workspace=campaign.workspace,
            actor=actor,
            action="campaign.scheduled",
            object_type="campaign",
            object_id=campaign.pk,
            before={"scheduled_at": before.isoformat() if before else None},
            after={"scheduled_at": when.isoformat()},
        )
        transaction.on_commit(lambda: send_campaign.using(run_after=when).enqueue(campaign.pk))
    return campaign


def unschedule(*, actor: Actor, campaign: Campaign) -> Campaign:
    """Cancel a schedule that has not started: the campaign is a draft again (its waiting job then does nothing)."""
    with transaction.atomic():
        if not Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SCHEDULED).update(
            status=CampaignStatus.DRAFT, scheduled_at=None
        ):
            state = campaign.get_status_display().lower()
            raise FieldErrors({"status": f"a {state} campaign has no schedule to cancel"})
        before = campaign.scheduled_at
        campaign.refresh_from_db()
        record_audit(
            workspace=campaign.workspace,
            actor=actor,
            action="campaign.unscheduled",
            object_type="campaign",
            object_id=campaign.pk,
            before={"scheduled_at": before.isoformat() if before else None},
            after={"scheduled_at": None},
        )
    return campaign


def preview(subject: str, body: str, person: Person) -> dict[str, str]:
    """One person's message as it would be rendered (links as written; a send makes them tracking links)."""
    ctx = context_for(person)
    return {
        "subject": " ".join(render(compile_template(subject), ctx).split())[:300],
        "body": render(compile_template(body), ctx),
        "to": person.email,
        "name": " ".join(p for p in (person.first_name, person.last_name) if p) or person.email,
    }


# --- the audience -------------------------------------------------------------------------------------------------


def member_ids(campaign: Campaign) -> list[int]:
    """Distinct live people in any of the campaign's segments, in id order."""
    qs = (
        SegmentMember.objects.filter(
            workspace_id=campaign.workspace_id, segment_id__in=campaign.segment_ids, person__merged_into__isnull=True
        )
        .values_list("person_id", flat=True)
        .distinct()
        .order_by("person_id")
    )
    return list(qs)


def classify(campaign: Campaign, person_ids: list[int]) -> dict[str, set[int]]:
    """Split people into who may be sent the campaign and why the others may not (one chunk of queries each)."""
    ws = campaign.workspace_id
    ids = set(person_ids)
    with_address = set(Person.objects.filter(pk__in=ids).exclude(email="").values_list("pk", flat=True))
    no_address = ids - with_address
    suppressed = consent.suppressed_people(ws, with_address, campaign.channel)
    rest = with_address - suppressed
    allowed = consent.permitted(ws, rest, campaign.purpose, campaign.channel)
    return {
        SendStatus.PENDING: allowed,
        SendStatus.SUPPRESSED: suppressed,
        SendStatus.NO_CONSENT: rest - allowed,
        SendStatus.NO_ADDRESS: no_address,
    }


def resolve(campaign: Campaign) -> None:
    """Fix the audience as one send row per person (idempotent: rows that exist are kept as they are)."""
    ids = member_ids(campaign)
    for start in range(0, len(ids), CHUNK):
        groups = classify(campaign, ids[start : start + CHUNK])
        rows = [
            CampaignSend(workspace_id=campaign.workspace_id, campaign=campaign, person_id=pid, status=status)
            for status, people in groups.items()
            for pid in sorted(people)  # rows, and so sends, in person order on every database
        ]
        CampaignSend.objects.bulk_create(rows, ignore_conflicts=True, batch_size=CHUNK)
    Campaign.objects.filter(pk=campaign.pk).update(resolved_at=timezone.now())
    campaign.resolved_at = timezone.now()


# --- stats --------------------------------------------------------------------------------------------------------

_NOT_ADDRESSABLE = (SendStatus.SUPPRESSED, SendStatus.NO_CONSENT, SendStatus.WITHDRAWN, SendStatus.NO_ADDRESS)


def stats(campaign: Campaign) -> dict[str, Any]:
    """audience (who may be sent it), suppressed, no_consent (including withdrawals before the message went), sent,
    unique_messages (distinct rendered messages sent), and the measured response (see `response`)."""
    if campaign.resolved_at is None:
        groups: dict[str, int] = {}
        ids = member_ids(campaign)
        for start in range(0, len(ids), CHUNK):
            for status, people in classify(campaign, ids[start : start + CHUNK]).items():
                groups[status] = groups.get(status, 0) + len(people)
        unique = 0
    else:
        groups = dict(
            CampaignSend.objects.filter(campaign=campaign).values_list("status").annotate(n=Count("id")).order_by()
        )
        unique = (
            CampaignSend.objects.filter(campaign=campaign, status=SendStatus.SENT)
            .values("message_hash")
            .distinct()
            .count()
        )
    total = sum(groups.values())
    not_addressable = sum(groups.get(s, 0) for s in _NOT_ADDRESSABLE)
    out = {
        "members": total,
        "audience": total - not_addressable,
        "suppressed": groups.get(SendStatus.SUPPRESSED, 0),
        "no_consent": groups.get(SendStatus.NO_CONSENT, 0) + groups.get(SendStatus.WITHDRAWN, 0),
        "no_address": groups.get(SendStatus.NO_ADDRESS, 0),
        "pending": groups.get(SendStatus.PENDING, 0) + groups.get(SendStatus.SENDING, 0),
        "sent": groups.get(SendStatus.SENT, 0),
        "failed": groups.get(SendStatus.FAILED, 0),
        "uncertain": groups.get(SendStatus.UNCERTAIN, 0),
        "capped": groups.get(SendStatus.CAPPED, 0),
        "unique_messages": unique,
    }
    return out | bounce_counts(campaign) | response(campaign)


def bounce_counts(campaign: Campaign) -> dict[str, int]:
    """bounced (sends with a hard or soft bounce), hard_bounced, complained (sends marked as spam)."""
    if campaign.resolved_at is None:
        return {"bounced": 0, "hard_bounced": 0, "complained": 0}
    rows = Bounce.objects.filter(campaign=campaign, send__isnull=False)
    by_kind = dict(rows.values_list("kind").annotate(n=Count("send_id", distinct=True)).order_by())
    return {
        "bounced": rows.filter(kind__in=(BounceKind.HARD, BounceKind.SOFT)).values("send_id").distinct().count(),
        "hard_bounced": by_kind.get(BounceKind.HARD, 0),
        "complained": by_kind.get(BounceKind.COMPLAINT, 0),
    }


def response(campaign: Campaign) -> dict[str, Any]:
    """opened (an image loaded or a link clicked: opens alone are unreliable), clicked, unsubscribed (people sent
    it who may no longer be sent its purpose on its channel), converted (clickers who ordered within
    ATTRIBUTION_DAYS of their first click) and that revenue (order totals less returns)."""
    if campaign.resolved_at is None:
        return {"opened": 0, "clicked": 0, "unsubscribed": 0, "converted": 0, "revenue": 0.0}
    responses = CampaignResponse.objects.filter(campaign=campaign)
    opened = responses.values("send_id").distinct().count()
    first_clicks = dict(
        responses.filter(kind=ResponseKind.CLICK)
        .values("send__person_id")
        .annotate(first=Min("created_at"))
        .values_list("send__person_id", "first")
        .order_by()
    )
    sent_to = list(
        CampaignSend.objects.filter(campaign=campaign, status=SendStatus.SENT).values_list("person_id", flat=True)
    )
    still = set()
    for start in range(0, len(sent_to), CHUNK):
        part = sent_to[start : start + CHUNK]
        still |= consent.permitted(campaign.workspace_id, part, campaign.purpose, campaign.channel)
    converted, revenue = _conversions(campaign.workspace_id, first_clicks)
    return {
        "opened": opened,
        "clicked": len(first_clicks),
        "unsubscribed": len(sent_to) - len(still),
        "converted": converted,
        "revenue": float(revenue),
    }


def _conversions(workspace_id: int, first_clicks: dict[int, Any]) -> tuple[int, Decimal]:
    if not first_clicks:
        return 0, Decimal(0)
    window = timedelta(days=ATTRIBUTION_DAYS)
    people: set[int] = set()
    revenue = Decimal(0)
    ids = list(first_clicks)
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        earliest = min(first_clicks[p] for p in part)
        for pid, at, net in commerce.orders_since(workspace_id=workspace_id, person_ids=part, since=earliest):
            if first_clicks[pid] <= at <= first_clicks[pid] + window:
                people.add(pid)
                revenue += net
    return len(people), revenue

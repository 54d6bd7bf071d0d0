"""Campaign pages for marketers: the list with each campaign's response, a campaign with its funnel (audience, sent,
opened, clicked, converted), and the form that writes one with a preview of one person's message."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from rapport.campaigns import experiments, policy, services, testsend
from rapport.campaigns.models import Campaign, CampaignStatus
from rapport.campaigns.rendering import TemplateError
from rapport.consent.models import Purpose
from rapport.contacts.models import Person
from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.core.services import has_permission
from rapport.segments.models import Segment
from rapport.web.views import workspace_required

PREVIEW_PEOPLE = 25
FUNNEL = (
    ("audience", "Audience"),
    ("sent", "Sent"),
    ("opened", "Opened"),
    ("clicked", "Clicked"),
    ("converted", "Converted"),
)
RESOLVED = (CampaignStatus.SENDING, CampaignStatus.SENT, CampaignStatus.FAILED)


def _can_manage(request: HttpRequest) -> bool:
    return has_permission(role=request.role, permission="campaigns.manage")


def funnel(stats: dict[str, Any], *, width: int = 720, row: int = 34) -> dict[str, Any]:
    """Horizontal bars, each step's share of the audience (the first bar is the whole width)."""
    top = max(stats.get("audience", 0), stats.get("sent", 0), 1)
    steps = []
    for i, (key, label) in enumerate(FUNNEL):
        n = stats.get(key, 0)
        share = n / top
        steps.append(
            {
                "key": key,
                "label": label,
                "n": n,
                "pct": round(100 * share, 1),
                "y": i * row,
                "w": round(max(share * width, 2 if n else 0), 1),
            }
        )
    return {"steps": steps, "width": width, "height": row * len(FUNNEL), "row": row}


@workspace_required("campaigns.view")
def campaign_list(request: HttpRequest) -> HttpResponse:
    rows = []
    for c in Campaign.objects.filter(workspace=request.workspace).order_by("-created_at", "-id")[:200]:
        rows.append({"c": c, "stats": services.stats(c) if c.resolved_at else None})
    return render(
        request,
        "campaigns/list.html",
        {"nav": "campaigns", "rows": rows, "can_manage": _can_manage(request)},
    )


def _preview_people(workspace, segment_ids: list[int]) -> list[Person]:
    if not segment_ids:
        return []
    probe = Campaign(workspace=workspace, segment_ids=segment_ids)
    ids = services.member_ids(probe)[:PREVIEW_PEOPLE]
    people = Person.objects.in_bulk(ids)
    return [people[i] for i in ids if i in people]


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


@workspace_required("campaigns.manage")
def campaign_create(request: HttpRequest) -> HttpResponse:
    segments = list(Segment.objects.filter(workspace=request.workspace).order_by("name"))
    data: dict[str, Any] = {
        "name": "",
        "segment_ids": [],
        "purpose": "newsletter" if "newsletter" in Purpose.values else Purpose.values[0],
        "channel": "email",
        "subject": "",
        "body": "",
        "track_opens": False,
        "track_clicks": True,
    }
    errors: dict[str, str] = {}
    preview = None
    status = 200
    if request.method == "POST":
        data |= {
            "name": request.POST.get("name", ""),
            "segment_ids": _ids(request.POST.getlist("segment_ids")),
            "purpose": request.POST.get("purpose", ""),
            "subject": request.POST.get("subject", ""),
            "body": request.POST.get("body", ""),
            "track_opens": request.POST.get("track_opens") == "on",
            "track_clicks": request.POST.get("track_clicks") == "on",
        }
        if request.POST.get("action") == "save":
            try:
                campaign = services.create_campaign(
                    workspace=request.workspace, actor=Actor.for_user(request.user), data=dict(data)
                )
            except FieldErrors as exc:
                errors, status = exc.errors, 422
            else:
                messages.success(request, f"Campaign “{campaign.name}” saved as a draft.")
                return redirect("campaigns:detail", pk=campaign.pk)
    people = _preview_people(request.workspace, data["segment_ids"])
    wanted = request.POST.get("preview_person", "")
    chosen = next((p for p in people if str(p.pk) == wanted), people[0] if people else None)
    if request.method == "POST" and chosen is not None and not errors:
        try:
            preview = services.preview(data["subject"], data["body"], chosen)
        except TemplateError as exc:
            errors = {"body": f"template error: {exc}"}
            status = 422
    ctx = {
        "nav": "campaigns",
        "data": data,
        "errors": errors,
        "segments": segments,
        "purposes": Purpose.choices,
        "people": people,
        "chosen": chosen,
        "preview": preview,
    }
    return render(request, "campaigns/form.html", ctx, status=status)


def _detail(
    request: HttpRequest,
    campaign: Campaign,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
    posted: dict[str, str] | None = None,
) -> HttpResponse:
    stats = services.stats(campaign)
    segments = Segment.objects.filter(workspace=request.workspace, pk__in=campaign.segment_ids).order_by("name")
    people = _preview_people(request.workspace, list(campaign.segment_ids))
    preview = services.preview(campaign.subject, campaign.body, people[0]) if people else None
    pol = policy.policy_for(request.workspace.pk)
    can_manage = _can_manage(request)
    local = campaign.scheduled_at.astimezone(pol.tz) if campaign.scheduled_at else None  # the workspace's time
    ctx = {
        "nav": "campaigns",
        "campaign": campaign,
        "stats": stats,
        "funnel": funnel(stats),
        "segments": segments,
        "preview": preview,
        "preview_person": people[0] if people else None,
        "people": people,
        "variant_names": ["A"] + [v.get("name", "") for v in campaign.variants or []],
        "can_manage": can_manage,
        "can_send": can_manage
        and campaign.status in (CampaignStatus.DRAFT, CampaignStatus.FAILED, CampaignStatus.SCHEDULED),
        "can_schedule": can_manage and campaign.status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED),
        "scheduled_local": local.strftime("%Y-%m-%d %H:%M") if local else "",
        "scheduled_input": local.strftime("%Y-%m-%dT%H:%M") if local else "",
        "time_zone": pol.time_zone,
        "experiment": experiments.results(campaign) if campaign.variants and campaign.resolved_at else None,
        "attribution_days": services.ATTRIBUTION_DAYS,
        "errors": errors or {},
        "posted": posted or {},
    }
    return render(request, "campaigns/detail.html", ctx, status=status)


@workspace_required("campaigns.view")
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.filter(workspace=request.workspace), pk=pk)
    return _detail(request, campaign)


@workspace_required("campaigns.manage")
@require_POST
def campaign_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the campaign as a test to the addresses typed (or the chosen member's)."""
    campaign = get_object_or_404(Campaign.objects.filter(workspace=request.workspace), pk=pk)
    posted = {k: request.POST.get(k, "") for k in ("to", "person_id", "variant")}
    pid = posted["person_id"]
    try:
        result = testsend.campaign_test(
            campaign=campaign,
            actor=Actor.for_user(request.user),
            to=posted["to"],
            person_id=int(pid) if pid.isdigit() else None,
            variant=posted["variant"] or None,
        )
    except FieldErrors as exc:
        return _detail(
            request, campaign, errors={f"test_{k}": v for k, v in exc.errors.items()}, status=422, posted=posted
        )
    except testsend.MailServerDown as exc:
        return _detail(request, campaign, errors={"test_to": str(exc)}, status=502, posted=posted)
    messages.success(request, f"Test sent to {', '.join(result.to)}: “{result.subject}”. It is not counted.")
    return redirect("campaigns:detail", pk=campaign.pk)


@workspace_required("campaigns.manage")
@require_POST
def campaign_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.filter(workspace=request.workspace), pk=pk)
    actor = Actor.for_user(request.user)
    try:
        if request.POST.get("action") == "cancel":
            services.unschedule(actor=actor, campaign=campaign)
            messages.success(request, "Schedule cancelled: the campaign is a draft again.")
        else:
            campaign = services.schedule(actor=actor, campaign=campaign, at=request.POST.get("at", ""))
            messages.success(request, "Scheduled: the job runner starts sending then.")
    except FieldErrors as exc:
        return _detail(
            request,
            campaign,
            errors={f"schedule_{k}": v for k, v in exc.errors.items()},
            status=422,
            posted={"at": request.POST.get("at", "")},
        )
    return redirect("campaigns:detail", pk=campaign.pk)


@workspace_required("campaigns.manage")
@require_POST
def campaign_send(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.filter(workspace=request.workspace), pk=pk)
    before = campaign.status
    campaign = services.queue_send(actor=Actor.for_user(request.user), campaign=campaign)
    if campaign.status == CampaignStatus.QUEUED and before != CampaignStatus.QUEUED:
        messages.success(request, "Queued: the job runner resolves the audience and sends.")
    return redirect("campaigns:detail", pk=campaign.pk)

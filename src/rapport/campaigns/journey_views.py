"""Journey pages for marketers: the list, each journey's map (server-rendered SVG with per-step counts and the
conversion), the form that writes one as a list of steps, and the messaging policy (frequency cap, quiet hours)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from rapport.campaigns import journeys, policy, testsend
from rapport.campaigns.models import Journey, JourneyStatus
from rapport.consent.models import Purpose
from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.core.services import has_permission
from rapport.segments.models import Segment
from rapport.web.views import workspace_required

BOX_W, BOX_H, GAP, TOP = 420, 58, 26, 70
BLANK_ROWS = 3
STEP_FIELDS = (
    "id",
    "type",
    "label",
    "days",
    "hours",
    "minutes",
    "until",
    "offset_days",
    "then",
    "else",
    "subject",
    "body",
    "text",
)
COND_FIELDS = ("kind", "segment_id", "purpose", "channel", "field", "op", "value")


def journey_map(journey: Journey, counts: dict[str, Any]) -> dict[str, Any]:
    """The layout of the map: the trigger, one box per step with its counts, arrows to the next step and a branch's
    jumps (drawn on the right), and the goal at the foot."""
    steps = counts["steps"]
    index = {s["id"]: i for i, s in enumerate(steps)}
    boxes, arrows, jumps = [], [], []
    for i, s in enumerate(steps):
        y = TOP + i * (BOX_H + GAP)
        boxes.append({**s, "x": 0, "y": y, "cy": y + BOX_H // 2})
    for i, (s, raw) in enumerate(zip(steps, journey.steps or [], strict=False)):
        y = TOP + i * (BOX_H + GAP)
        falls_through = s["type"] != "exit" and not (
            s["type"] == "branch" and raw.get("then", "next") != "next" and raw.get("else", "next") != "next"
        )
        if falls_through and i + 1 < len(steps):
            arrows.append({"x": BOX_W // 2, "y1": y + BOX_H, "y2": y + BOX_H + GAP - 2})
        if s["type"] == "branch":
            for arm, n, lane in (("then", s["yes"], 1), ("else", s["no"], 2)):
                target = raw.get(arm, "next")
                if target == "next":
                    continue
                x = BOX_W + 30 * lane
                y1 = y + BOX_H // 2 + (lane - 1) * 12 - 6
                if target == "exit":
                    jumps.append(
                        {
                            "arm": arm,
                            "n": n,
                            "path": f"M{BOX_W},{y1} H{x + 30}",
                            "tx": x + 34,
                            "ty": y1 + 4,
                            "label": "exit",
                        }
                    )
                elif target in index:
                    ty = TOP + index[target] * (BOX_H + GAP) + BOX_H // 2 + (lane - 1) * 12 - 6
                    jumps.append(
                        {
                            "arm": arm,
                            "n": n,
                            "path": f"M{BOX_W},{y1} H{x} V{ty} H{BOX_W + 4}",
                            "tx": x + 4,
                            "ty": (y1 + ty) // 2,
                            "label": "yes" if arm == "then" else "no",
                        }
                    )
    height = TOP + len(steps) * (BOX_H + GAP) + 60
    return {
        "boxes": boxes,
        "arrows": arrows,
        "jumps": jumps,
        "width": BOX_W + 150,
        "height": height,
        "box_w": BOX_W,
        "box_h": BOX_H,
        "goal_y": height - 50,
        "first_arrow_y2": TOP - 2,
        "conversion_pct": round(100 * counts["conversion"], 1),
    }


def _can_manage(request: HttpRequest) -> bool:
    return has_permission(role=request.role, permission="campaigns.manage")


@workspace_required("campaigns.view")
def journey_list(request: HttpRequest) -> HttpResponse:
    rows = [
        {"j": j, "counts": journeys.counts(j)}
        for j in Journey.objects.filter(workspace=request.workspace).order_by("-created_at", "-id")[:200]
    ]
    return render(
        request,
        "campaigns/journeys_list.html",
        {"nav": "journeys", "rows": rows, "can_manage": _can_manage(request), "triggers": journeys.TRIGGERS},
    )


@workspace_required("campaigns.view")
def journey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    journey = get_object_or_404(Journey.objects.filter(workspace=request.workspace), pk=pk)
    return _detail(request, journey)


def _detail(request: HttpRequest, journey: Journey, *, errors=None, posted=None, status: int = 200) -> HttpResponse:
    counts = journeys.counts(journey)
    ctx = {
        "nav": "journeys",
        "journey": journey,
        "counts": counts,
        "map": journey_map(journey, counts),
        "trigger_label": journeys.TRIGGERS.get(journey.trigger, journey.trigger),
        "can_manage": _can_manage(request),
        "email_steps": [s for s in journey.steps or [] if s.get("type") in ("email", "invite")],
        "errors": errors or {},
        "posted": posted or {},
    }
    return render(request, "campaigns/journey_detail.html", ctx, status=status)


@workspace_required("campaigns.manage")
@require_POST
def journey_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Send one email step as a test to the addresses typed, rendered as the person with the email given."""
    journey = get_object_or_404(Journey.objects.filter(workspace=request.workspace), pk=pk)
    posted = {k: request.POST.get(k, "").strip() for k in ("step_id", "to", "as_email")}
    person_id = None
    if posted["as_email"]:
        from rapport.contacts.models import Person

        found = (
            Person.objects.filter(
                workspace=request.workspace, merged_into__isnull=True, email__iexact=posted["as_email"]
            )
            .values_list("pk", flat=True)
            .first()
        )
        if found is None:
            return _detail(
                request,
                journey,
                errors={"as_email": f"nobody has the address {posted['as_email']}"},
                posted=posted,
                status=422,
            )
        person_id = found
    try:
        result = testsend.journey_test(
            journey=journey,
            step_id=posted["step_id"],
            actor=Actor.for_user(request.user),
            to=posted["to"],
            person_id=person_id,
        )
    except FieldErrors as exc:
        return _detail(request, journey, errors=exc.errors, posted=posted, status=422)
    except testsend.MailServerDown as exc:
        return _detail(request, journey, errors={"to": str(exc)}, posted=posted, status=502)
    messages.success(request, f"Test sent to {', '.join(result.to)}: “{result.subject}”. It is not counted.")
    return redirect("campaigns:journey-detail", pk=journey.pk)


def _posted_steps(post) -> list[dict]:
    out = []
    n = int(post.get("step_count", "0") or 0)
    for i in range(min(n, journeys.MAX_STEPS + BLANK_ROWS)):
        kind = post.get(f"steps-{i}-type", "")
        if not kind or post.get(f"steps-{i}-delete") == "on":
            continue
        step: dict[str, Any] = {}
        for f in STEP_FIELDS:
            v = post.get(f"steps-{i}-{f}", "").strip() if f not in ("body", "text") else post.get(f"steps-{i}-{f}", "")
            if v != "":
                step[f] = v
        if kind == "branch":
            cond = {f: post.get(f"steps-{i}-cond-{f}", "").strip() for f in COND_FIELDS}
            cond = {k: v for k, v in cond.items() if v}
            if cond.get("segment_id", "").isdigit():
                cond["segment_id"] = int(cond["segment_id"])
            step["condition"] = cond
        out.append(step)
    return out


def _form_data(post) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if post.get("trigger_segment_id", "").isdigit():
        config["segment_id"] = int(post["trigger_segment_id"])
    if post.get("trigger_value"):
        config["value"] = post["trigger_value"]
    if post.get("trigger_first_only") == "on":
        config["first_only"] = True
    if post.get("trigger_max_score"):
        config["max_score"] = post["trigger_max_score"]
    if post.get("trigger_who"):
        config["who"] = post["trigger_who"]
    return {
        "name": post.get("name", ""),
        "trigger": post.get("trigger", ""),
        "trigger_config": config,
        "purpose": post.get("purpose", ""),
        "status": post.get("status", JourneyStatus.DRAFT),
        "reentry_days": post.get("reentry_days") or None,
        "goal_days": post.get("goal_days") or None,
        "when_capped": post.get("when_capped") or "skip",
        "steps": _posted_steps(post),
    }


def _form(request: HttpRequest, journey: Journey | None) -> HttpResponse:
    errors: dict[str, str] = {}
    status = 200
    if journey is not None:
        data = {
            "name": journey.name,
            "trigger": journey.trigger,
            "trigger_config": journey.trigger_config,
            "purpose": journey.purpose,
            "status": journey.status,
            "reentry_days": journey.reentry_days,
            "goal_days": journey.goal_days,
            "when_capped": journey.when_capped,
            "steps": list(journey.steps),
        }
    else:
        data = {
            "name": "",
            "trigger": "life_event",
            "trigger_config": {},
            "purpose": "offers",
            "status": JourneyStatus.DRAFT,
            "reentry_days": None,
            "goal_days": None,
            "when_capped": "skip",
            "steps": [],
        }
    if request.method == "POST":
        data = _form_data(request.POST)
        actor = Actor.for_user(request.user)
        try:
            if journey is None:
                journey = journeys.create_journey(workspace=request.workspace, actor=actor, data=dict(data))
            else:
                journeys.update_journey(journey=journey, actor=actor, data=dict(data))
        except FieldErrors as exc:
            errors, status = exc.errors, 422
        else:
            messages.success(request, f"Journey “{journey.name}” saved.")
            return redirect("campaigns:journey-detail", pk=journey.pk)
    rows = [
        {"i": i, "s": s, "errors": {k.split(".", 2)[2]: v for k, v in errors.items() if k.startswith(f"steps.{i}.")}}
        for i, s in enumerate([*data["steps"], *({} for _ in range(BLANK_ROWS))])
    ]
    ctx = {
        "nav": "journeys",
        "journey": journey,
        "data": data,
        "rows": rows,
        "step_count": len(rows),
        "errors": errors,
        "other_errors": {k: v for k, v in errors.items() if k.startswith("trigger_config") or k == "steps"},
        "triggers": journeys.TRIGGERS.items(),
        "life_events": journeys.LIFE_EVENTS,
        "step_types": journeys.STEP_TYPES,
        "conditions": journeys.CONDITIONS,
        "ops": journeys.OPS,
        "segments": Segment.objects.filter(workspace=request.workspace).order_by("name"),
        "purposes": Purpose.choices,
        "statuses": JourneyStatus.choices,
    }
    return render(request, "campaigns/journey_form.html", ctx, status=status)


@workspace_required("campaigns.manage")
def journey_create(request: HttpRequest) -> HttpResponse:
    return _form(request, None)


@workspace_required("campaigns.manage")
def journey_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _form(request, get_object_or_404(Journey.objects.filter(workspace=request.workspace), pk=pk))


@workspace_required("campaigns.manage")
def messaging_policy(request: HttpRequest) -> HttpResponse:
    p = policy.policy_for(request.workspace.pk)
    data = {
        "time_zone": p.time_zone,
        "quiet_start": p.quiet_start.strftime("%H:%M") if p.quiet_start else "",
        "quiet_end": p.quiet_end.strftime("%H:%M") if p.quiet_end else "",
        "cap_messages": p.cap_messages,
        "cap_days": p.cap_days,
    }
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        data = {k: request.POST.get(k, "") for k in data}
        try:
            policy.save_policy(workspace_id=request.workspace.pk, data=dict(data))
        except FieldErrors as exc:
            errors, status = exc.errors, 422
        else:
            messages.success(request, "Messaging policy saved: campaigns and journeys follow it from now on.")
            return redirect("campaigns:policy")
    return render(request, "campaigns/policy.html", {"nav": "journeys", "data": data, "errors": errors}, status=status)

"""Journeys API: list, create, read (with the map's counts) and change journeys; the workspace's messaging policy
(frequency cap and quiet hours) that campaigns and journeys share."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from rapport.campaigns import journeys, policy, testsend
from rapport.campaigns.models import Journey
from rapport.campaigns.schemas import (
    JourneyIn,
    JourneyList,
    JourneyOut,
    JourneyPatch,
    PolicyIn,
    PolicyOut,
    TestSendIn,
    TestSendOut,
)
from rapport.core.apiauth import require
from rapport.core.apitypes import Id

router = Router(tags=["journeys"])
policy_router = Router(tags=["journeys"])


def journey_out(j: Journey) -> dict:
    return {
        "id": j.pk,
        "name": j.name,
        "status": j.status,
        "trigger": j.trigger,
        "trigger_config": dict(j.trigger_config or {}),
        "steps": list(j.steps or []),
        "purpose": j.purpose,
        "channel": j.channel,
        "reentry_days": j.reentry_days,
        "goal_days": j.goal_days,
        "when_capped": j.when_capped,
        "created_by": j.created_by,
        "created_at": j.created_at,
        "updated_at": j.updated_at,
        "counts": journeys.counts(j),
    }


def _steps(payload) -> list[dict]:
    return [s.dict(by_alias=True, exclude_none=True) for s in payload.steps or []]


@router.get("", response=JourneyList)
def list_journeys(request: HttpRequest):
    """Every journey of the workspace with its counts, newest first."""
    require(request, "campaigns.view")
    rows = Journey.objects.filter(workspace=request.workspace).order_by("-created_at", "-id")[:200]
    return {"items": [journey_out(j) for j in rows]}


@router.post("", response={201: JourneyOut})
def create_journey(request: HttpRequest, payload: JourneyIn):
    """Save a journey; 422 names an unknown trigger, segment, step type or target, or a template that does not
    parse (as steps.N.field)."""
    require(request, "campaigns.manage")
    data = payload.dict(exclude_none=True) | {"steps": _steps(payload)}
    j = journeys.create_journey(workspace=request.workspace, actor=request.actor, data=data)
    return Status(201, journey_out(j))


@router.get("/{journey_id}", response=JourneyOut)
def get_journey(request: HttpRequest, journey_id: Id):
    """One journey with the counts its map shows: entered, waiting, sent, converted and exited, per step."""
    require(request, "campaigns.view")
    return journey_out(get_object_or_404(Journey.objects.filter(workspace=request.workspace), pk=journey_id))


@router.patch("/{journey_id}", response=JourneyOut)
def update_journey(request: HttpRequest, journey_id: Id, payload: JourneyPatch):
    """Change a journey (e.g. {"status": "active"}); fields left out stay as they are."""
    require(request, "campaigns.manage")
    j = get_object_or_404(Journey.objects.filter(workspace=request.workspace), pk=journey_id)
    data = payload.dict(exclude_unset=True)
    if "steps" in data:
        data["steps"] = _steps(payload)
    return journey_out(journeys.update_journey(journey=j, actor=request.actor, data=data))


@router.post("/{journey_id}/steps/{step_id}/test", response={200: TestSendOut, 502: dict})
def test_step(request: HttpRequest, journey_id: Id, step_id: str, payload: TestSendIn):
    """Send one email step of the journey, marked as a test, to chosen addresses (or the person's), rendered as the
    person: not counted, not capped. 422 names an unknown step, a step that is not an email, a bad address."""
    require(request, "campaigns.manage")
    journey = get_object_or_404(Journey.objects.filter(workspace=request.workspace), pk=journey_id)
    try:
        result = testsend.journey_test(
            journey=journey, step_id=step_id, actor=request.actor, to=payload.to, person_id=payload.person_id
        )
    except testsend.MailServerDown as exc:
        return Status(502, {"detail": str(exc)})
    return result.as_dict()


def policy_out(p: policy.Policy) -> dict:
    return {
        "time_zone": p.time_zone,
        "quiet_start": p.quiet_start.strftime("%H:%M") if p.quiet_start else None,
        "quiet_end": p.quiet_end.strftime("%H:%M") if p.quiet_end else None,
        "cap_messages": p.cap_messages,
        "cap_days": p.cap_days,
    }


@policy_router.get("", response=PolicyOut)
def get_policy(request: HttpRequest):
    """The workspace's frequency cap and quiet hours, shared by campaigns and journeys."""
    require(request, "campaigns.view")
    return policy_out(policy.policy_for(request.workspace.pk))


@policy_router.put("", response=PolicyOut)
def put_policy(request: HttpRequest, payload: PolicyIn):
    """Set the frequency cap (service messages are exempt) and quiet hours in the workspace's time zone."""
    require(request, "campaigns.manage")
    policy.save_policy(workspace_id=request.workspace.pk, data=payload.dict())
    return policy_out(policy.policy_for(request.workspace.pk))

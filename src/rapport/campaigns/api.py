"""Campaigns API: create a campaign for segments, send it through the job runner, read its stats."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from rapport.campaigns import experiments, recommendations, services, testsend
from rapport.campaigns.models import Campaign
from rapport.campaigns.schemas import (
    CampaignIn,
    CampaignOut,
    ExperimentOut,
    RecommendationList,
    ScheduleIn,
    TestSendIn,
    TestSendOut,
)
from rapport.contacts.models import Person
from rapport.core.apiauth import require
from rapport.core.apitypes import Id

router = Router(tags=["campaigns"])
contact_router = Router(tags=["recommendations"])


def campaign_out(c: Campaign) -> dict:
    return {
        "id": c.pk,
        "name": c.name,
        "segment_ids": list(c.segment_ids),
        "channel": c.channel,
        "purpose": c.purpose,
        "subject": c.subject,
        "body": c.body,
        "variants": list(c.variants or []),
        "track_opens": c.track_opens,
        "track_clicks": c.track_clicks,
        "status": c.status,
        "error": c.error,
        "created_by": c.created_by,
        "created_at": c.created_at,
        "queued_at": c.queued_at,
        "scheduled_at": c.scheduled_at,
        "finished_at": c.finished_at,
        "stats": services.stats(c),
    }


def _campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    return get_object_or_404(Campaign.objects.filter(workspace=request.workspace), pk=campaign_id)


@router.post("", response={201: CampaignOut})
def create_campaign(request: HttpRequest, payload: CampaignIn):
    """Save a draft campaign; 422 names an unknown segment, purpose or channel, or a template that does not parse."""
    require(request, "campaigns.manage")
    campaign = services.create_campaign(
        workspace=request.workspace, actor=request.actor, data=payload.dict(exclude_none=True)
    )
    return Status(201, campaign_out(campaign))


@router.get("/{campaign_id}", response=CampaignOut)
def get_campaign(request: HttpRequest, campaign_id: Id):
    """One campaign with its stats (before sending: who it would reach now)."""
    require(request, "campaigns.view")
    return campaign_out(_campaign(request, campaign_id))


@router.post("/{campaign_id}/send", response={202: CampaignOut})
def send_campaign(request: HttpRequest, campaign_id: Id):
    """Queue the campaign: a job resolves the audience and sends; after a failure this resumes it."""
    require(request, "campaigns.manage")
    campaign = services.queue_send(actor=request.actor, campaign=_campaign(request, campaign_id))
    return Status(202, campaign_out(campaign))


@router.get("/{campaign_id}/experiment", response=ExperimentOut)
def campaign_experiment(request: HttpRequest, campaign_id: Id):
    """Per-variant sent, clicks and conversions, and which variant wins at what confidence (a two-proportion test
    of the leader against each other variant, Bonferroni-corrected; on clicks while nobody converted)."""
    require(request, "campaigns.view")
    return experiments.results(_campaign(request, campaign_id))


@router.post("/{campaign_id}/test", response={200: TestSendOut, 502: dict})
def test_campaign(request: HttpRequest, campaign_id: Id, payload: TestSendIn):
    """Send the campaign, marked as a test, to chosen addresses, rendered as a chosen member (or the first): not
    counted, not capped, no timeline entry. 422 names a bad address, person or variant; 502 when the mail server
    could not take it."""
    require(request, "campaigns.manage")
    try:
        result = testsend.campaign_test(
            campaign=_campaign(request, campaign_id),
            actor=request.actor,
            to=payload.to,
            person_id=payload.person_id,
            variant=payload.variant,
        )
    except testsend.MailServerDown as exc:
        return Status(502, {"detail": str(exc)})
    return result.as_dict()


@router.post("/{campaign_id}/schedule", response={200: CampaignOut})
def schedule_campaign(request: HttpRequest, campaign_id: Id, payload: ScheduleIn):
    """Schedule a draft (or reschedule a scheduled) campaign to start sending at a time; the job runner starts it.
    422 names a time that does not parse or is not in the future, or a campaign already sending."""
    require(request, "campaigns.manage")
    campaign = services.schedule(actor=request.actor, campaign=_campaign(request, campaign_id), at=payload.at)
    return campaign_out(campaign)


@router.delete("/{campaign_id}/schedule", response={200: CampaignOut})
def unschedule_campaign(request: HttpRequest, campaign_id: Id):
    """Cancel a schedule before it starts: the campaign is a draft again. 422 once it has started."""
    require(request, "campaigns.manage")
    campaign = services.unschedule(actor=request.actor, campaign=_campaign(request, campaign_id))
    return campaign_out(campaign)


class RecommendationQuery(Schema):
    limit: int = Field(default=10, ge=1, le=50)


@contact_router.get("/{person_id}/recommendations", response=RecommendationList)
def person_recommendations(request: HttpRequest, person_id: Id, query: Query[RecommendationQuery]):
    """Next products for the person from what they and similar customers bought, excluding what they own."""
    require(request, "contacts.view")
    person = get_object_or_404(
        Person.objects.filter(workspace=request.workspace, merged_into__isnull=True), pk=person_id
    )
    return {"items": [vars(r) for r in recommendations.recommend(person, limit=query.limit)]}

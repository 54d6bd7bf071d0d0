"""The demo's sent campaign: an after-sale check-in to the VIP customers (a survey, on legitimate interest: everyone
who has not objected or been suppressed), with a care guide rather than "we recommend". It is really rendered and
sent through the sending job (into an in-memory mailbox: nothing leaves the machine), dated a week ago. Its response
is made up for the demo, in the same rows the tracking links write: about half opened, some clicked, and a few
clickers placed an order two days later (recorded through commerce's services), so the funnel has revenue to show."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.core import mail
from django.test.utils import override_settings
from django.utils import timezone

from rapport.campaigns import sending, services
from rapport.campaigns.models import Campaign, CampaignResponse, CampaignSend, CampaignStatus, ResponseKind, SendStatus
from rapport.commerce.services import LineIn, OrderIn, record_order
from rapport.core.actors import Actor
from rapport.core.models import Workspace
from rapport.segments import services as segments
from rapport.segments.models import Segment

NAME = "How is it going? (after-sale check-in)"
AUDIENCE = "VIP customers"
AUDIENCE_DEFINITION = {"field": "tags", "op": "contains", "value": "vip"}
PURPOSE = "surveys"
SUBJECT = "{{ first_name }}, how are you getting on with your purchases?"
BODY = """Dear {{ name }},

Thank you for staying with us. Two minutes to tell us how your last purchases are working out helps us and
the next customer: https://shop.example/feedback

A few minutes of care keeps things working for longer; our guide, step by step:
https://shop.example/guides/care
{% if city %}Questions? The team in {{ city }} is happy to help.{% endif %}"""


def seed_campaigns(workspace: Workspace) -> str:
    """Idempotent by name: a second run leaves the campaign as it is."""
    if Campaign.objects.filter(workspace=workspace, name=NAME).exists():
        return "campaigns: the demo campaign is already there"
    actor = Actor.system("demo")
    segment = Segment.objects.filter(workspace=workspace, name=AUDIENCE).first()
    if segment is None:
        segment = segments.create_segment(
            workspace=workspace,
            actor=actor,
            data={"name": AUDIENCE, "description": "Tagged vip", "definition": AUDIENCE_DEFINITION},
        )
    campaign = services.create_campaign(
        workspace=workspace,
        actor=actor,
        data={
            "name": NAME,
            "segment_ids": [segment.pk],
            "channel": "email",
            "purpose": PURPOSE,
            "subject": SUBJECT,
            "body": BODY,
            "track_opens": True,
            "track_clicks": True,
        },
    )
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.QUEUED)
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        stats = sending.run(campaign.pk)
    mail.outbox = []
    sent_at = timezone.now() - timedelta(days=7)
    sends = list(CampaignSend.objects.filter(campaign=campaign, status=SendStatus.SENT).order_by("id"))
    CampaignSend.objects.filter(pk__in=[s.pk for s in sends]).update(sent_at=sent_at, claimed_at=sent_at)
    Campaign.objects.filter(pk=campaign.pk).update(
        queued_at=sent_at, resolved_at=sent_at, finished_at=sent_at + timedelta(minutes=2)
    )
    rng = random.Random(17)
    links = len(BODY.split("https://")) - 1
    responses, clickers = [], []
    for s in sends:
        if rng.random() >= 0.5:
            continue
        opened = sent_at + timedelta(hours=rng.uniform(1, 48))
        responses.append((s, ResponseKind.OPEN, None, opened))
        if rng.random() < 0.35:
            link = rng.randrange(links)
            responses.append((s, ResponseKind.CLICK, link, opened + timedelta(minutes=1)))
            clickers.append((s, opened + timedelta(minutes=1)))
    urls = sending.tracking.links_of(BODY)
    rows = CampaignResponse.objects.bulk_create(
        [
            CampaignResponse(
                workspace=workspace,
                campaign=campaign,
                send=s,
                kind=kind,
                link=link,
                url=urls[link] if link is not None else "",
            )
            for s, kind, link, _ in responses
        ]
    )
    for row, (_, _, _, at) in zip(rows, responses, strict=True):
        CampaignResponse.objects.filter(pk=row.pk).update(created_at=at)
    orders = 0
    for s, clicked in clickers[: max(1, len(clickers) // 3)] if clickers else []:
        record_order(
            workspace=workspace,
            order=OrderIn(
                order_id=f"check-in-{s.pk}",
                source="webshop",
                ordered_at=clicked + timedelta(days=2),
                email=s.person.email,
                lines=[LineIn(sku="CARE-KIT", name="Spring care kit", category="Accessories", amount=Decimal("39.00"))],
            ),
        )
        orders += 1
    return (
        f"campaigns: {NAME!r} sent to {stats['sent']} of {stats['members']} VIP customers ({stats['no_consent']} "
        f"objected, {stats['no_address']} without an email), {len(clickers)} clicked, {orders} ordered after clicking"
    )

"""Demo enrichment: the wedding and the wildlife lens. Jonas (camera in repair) and Amelia (asks about cameras)
allow enrichment through the tester form's wording; their public posts say he marries on Saturday and she shoots
wildlife, and each writes to the brand. Mikkel posts that he is moving house but never allowed enrichment: his
contact shows nothing."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from rapport.care.models import Conversation
from rapport.care.services import set_tags
from rapport.consent import services as consent
from rapport.consent.models import EnrichmentFact, Purpose
from rapport.contacts.models import Person
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.core.models import Workspace
from rapport.listening.models import Post
from rapport.pipeline.connectors.base import utc_iso
from rapport.pipeline.ingest import process_batch

WORDING = "Yes, use what I post publicly (interests, big moments) to give me better service and offers."


def _post(n: str, network: str, handle: str, external_id: str, text: str, at, kind: str = "post") -> dict:
    return {
        "network": network,
        "external_id": f"demo-enrich-{n}",
        "created_at": utc_iso(at),
        "text": text,
        "kind": kind,
        "in_reply_to": None,
        "url": f"https://{'www.instagram.com/p' if network == 'instagram' else 'twitter.com/' + handle + '/status'}/"
        f"demo-enrich-{n}",
        "metrics": {},
        "author": {"external_id": external_id, "handle": handle, "name": None, "followers": 800},
        "raw": {"demo": "enrichment"},
    }


def seed_enrichment(workspace: Workspace) -> str:
    """Idempotent: does nothing once the wedding post is stored."""
    if Post.objects.filter(workspace=workspace, external_id="demo-enrich-1").exists():
        return "enrichment: already seeded"
    jonas = Person.objects.filter(workspace=workspace, external_id="story-wedding").first()
    amelia = Person.objects.filter(workspace=workspace, external_id="story-wildlife").first()
    if jonas is None or amelia is None:
        return "enrichment: the story people are missing"
    mikkel = create_person(
        workspace=workspace,
        actor=Actor.system("demo seed"),
        data={"first_name": "Mikkel", "last_name": "Lund", "email": "mikkel.lund@mail.example", "country": "DK"},
        identities=[{"network": "twitter", "handle": "mikkel_lund", "external_id": "tw-5150"}],
    )
    now = timezone.now()
    for person in (jonas, amelia):
        consent.record(
            person,
            Purpose.ENRICHMENT,
            granted=True,
            source="form",
            wording=WORDING,
            wording_version="1",
            evidence={"ip": "198.51.100.77", "user_agent": "Mozilla/5.0 (demo)", "form": "testers"},
            occurred_at=now - timedelta(days=40),
        )
    ig, tw = ("jonas.weber.photo", "ig-3131"), ("ameliahart_wild", "tw-888123")
    process_batch(
        workspace_id=workspace.pk,
        posts=[
            _post(
                "1",
                "instagram",
                *ig,
                "Getting married Saturday!! Three days until we say yes #wedding",
                now - timedelta(hours=20),
            ),
            _post(
                "2",
                "twitter",
                *tw,
                "Otters at dawn again. Wildlife photography is the best reason to be up at 4",
                now - timedelta(days=3),
            ),
            _post(
                "3",
                "twitter",
                "mikkel_lund",
                "tw-5150",
                "We're moving house next week, boxes everywhere",
                now - timedelta(days=1),
            ),
        ],
        source="demo",
    )
    process_batch(
        workspace_id=workspace.pk,
        posts=[
            _post(
                "4",
                "instagram",
                *ig,
                "Hi! My camera has been in repair for a week now. Any news? I need it soon",
                now - timedelta(hours=2),
                kind="direct_message",
            ),
            _post(
                "5",
                "twitter",
                *tw,
                "Which of your cameras is best for birds in flight?",
                now - timedelta(hours=1),
                kind="direct_message",
            ),
        ],
        source="demo",
    )
    conv = Conversation.objects.filter(workspace=workspace, person=jonas).order_by("-id").first()
    if conv is not None and "repair" not in conv.tags:
        set_tags(conversation=conv, tags=[*conv.tags, "repair"])
    facts = EnrichmentFact.objects.filter(workspace=workspace, person__in=[jonas, amelia, mikkel]).count()
    return f"enrichment: {facts} facts for Jonas and Amelia (consented), none for {mikkel.first_name} (not consented)"

"""The wedding and the wildlife lens: a customer's camera is in repair for a week; his (consented) public posts say he
marries on Saturday, so the agent is shown this and the loan-camera suggestion. Another customer asking about
cameras posts about wildlife photography: the agent is prompted to offer the telephoto lens. The same people
without the enrichment purpose show nothing, and withdrawing it deletes what was read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rapport.care.models import Conversation
from rapport.consent import services as consent
from rapport.consent.models import EnrichmentFact, Purpose
from rapport.contacts.services import create_person
from rapport.core import events
from rapport.core.actors import Actor
from rapport.listening.models import Post
from rapport.pipeline.ingest import process_batch
from rapport.pipeline.tests.factories import make_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def arrive(workspace, django_capture_on_commit_callbacks):
    """What the stream does with posts: the pipeline stores them and, once committed, its listeners run."""

    def run(*posts: dict) -> list[Post]:
        with django_capture_on_commit_callbacks(execute=True):
            process_batch(workspace_id=workspace.pk, posts=list(posts))
        return [Post.objects.get(network=p["network"], external_id=p["external_id"]) for p in posts]

    return run


def _customer(workspace, first: str, handle: str, *, enrichment: bool):
    person = create_person(
        workspace=workspace,
        actor=Actor.system("crm"),
        data={"first_name": first, "last_name": "Test", "email": f"{handle}@example.dk", "lifecycle_stage": "customer"},
        identities=[{"network": "twitter", "handle": handle}],
    )
    if enrichment:
        consent.record(person, Purpose.ENRICHMENT, granted=True, source="form", wording="Use my public posts")
    return person


def _dm(n: int, text: str, handle: str, at: datetime) -> dict:
    return make_post(n, text, handle=handle, at=at, kind="direct_message")


def _story(workspace, arrive, *, enrichment: bool, offset: int):
    """Jonas's wedding post and his repair conversation; Astrid's wildlife post and her camera question."""
    now = datetime.now(UTC).replace(microsecond=0)
    posted = now - timedelta(hours=2)
    jonas = _customer(workspace, "Jonas", f"jonas{offset}", enrichment=enrichment)
    astrid = _customer(workspace, "Astrid", f"astrid{offset}", enrichment=enrichment)
    wedding, wildlife = arrive(
        make_post(offset + 1, "Getting married Saturday!! Counting the hours", handle=f"jonas{offset}", at=posted),
        make_post(
            offset + 2,
            "Dawn in the marshes again: wildlife photography is the best reason to get up at 4",
            handle=f"astrid{offset}",
            at=posted,
        ),
    )
    arrive(
        _dm(offset + 3, "My camera has been in repair for a week now, when do I get it back?", f"jonas{offset}", now),
        _dm(offset + 4, "Which camera would you recommend for fast birds in flight?", f"astrid{offset}", now),
    )
    return jonas, astrid, wedding, wildlife, posted


@pytest.fixture
def announced():
    """The consent.life_event_detected payloads delivered during the test (journeys subscribe to exactly this)."""
    seen: list[dict] = []

    def handler(name: str, payload: dict) -> None:
        seen.append(payload)

    events.subscribe("consent.life_event_detected", handler)
    yield seen
    events.unsubscribe("consent.life_event_detected", handler)


def _coming_saturday(posted: datetime):
    ahead = (5 - posted.date().weekday()) % 7 or 7
    return posted.date() + timedelta(days=ahead)


def test_with_consent_the_agent_sees_the_wedding_and_the_loan_camera_and_the_telephoto_lens(
    workspace, arrive, api, admin_client, announced
):
    jonas, astrid, wedding, wildlife, posted = _story(workspace, arrive, enrichment=True, offset=0)
    saturday = _coming_saturday(posted)

    got = api.get(f"/contacts/{jonas.pk}/enrichment").json()
    assert got["permitted"] is True
    facts = {f["value"]: f for f in got["facts"]}
    assert facts["wedding"]["kind"] == "life_event"
    assert facts["wedding"]["event_date"] == saturday.isoformat()
    assert facts["wedding"]["source_post"] == wedding.pk
    assert facts["wedding"]["source_url"] == wedding.url
    assert facts["wedding"]["confidence"] >= 0.8
    suggestions = got["suggestions"]
    assert [s["name"] for s in suggestions] == ["Wedding while the camera is in repair"]
    assert "loan camera" in suggestions[0]["action"]
    assert "wedding" in suggestions[0]["because"] and "repair" in suggestions[0]["because"]
    assert announced[-1]["person_id"] == jonas.pk and announced[-1]["value"] == "wedding"
    assert announced[-1]["event_date"] == saturday.isoformat() and announced[-1]["source_post"] == wedding.pk

    astrid_view = api.get(f"/contacts/{astrid.pk}/enrichment").json()
    assert {f["value"] for f in astrid_view["facts"]} >= {"wildlife_photography", "photography"}
    assert [s["name"] for s in astrid_view["suggestions"]] == ["Wildlife photographer asking about cameras"]
    assert "telephoto" in astrid_view["suggestions"][0]["action"]
    assert "camera" in astrid_view["suggestions"][0]["because"]

    # The agent sees the same on the conversation in the inbox and on the contact page.
    conv = Conversation.objects.get(person=jonas)
    page = admin_client.get(f"/inbox/{conv.pk}/").content.decode()
    assert f"/contacts/{jonas.pk}/enrichment/?conversation={conv.pk}" in page
    panel = admin_client.get(f"/contacts/{jonas.pk}/enrichment/?conversation={conv.pk}").content.decode()
    assert "Getting married Saturday" in panel and "Offer a loan camera" in panel
    assert saturday.strftime("%-d %b %Y") in panel and wedding.url in panel
    assert f"/contacts/{jonas.pk}/enrichment/" in admin_client.get(f"/contacts/{jonas.pk}/").content.decode()
    astrid_panel = admin_client.get(f"/contacts/{astrid.pk}/enrichment/").content.decode()
    assert "telephoto lens" in astrid_panel and "Wildlife photography" in astrid_panel


def test_the_same_people_without_the_enrichment_purpose_show_nothing(workspace, arrive, api, admin_client):
    jonas, astrid, *_ = _story(workspace, arrive, enrichment=False, offset=100)
    assert not EnrichmentFact.objects.filter(person__in=[jonas, astrid]).exists()  # nothing was even stored
    for person in (jonas, astrid):
        got = api.get(f"/contacts/{person.pk}/enrichment").json()
        assert got == {"contact_id": person.pk, "permitted": False, "facts": [], "suggestions": []}
        panel = admin_client.get(f"/contacts/{person.pk}/enrichment/").content.decode()
        assert "has not allowed it" in panel and "telephoto" not in panel and "married" not in panel


def test_withdrawing_enrichment_hides_and_deletes_what_was_read(workspace, arrive, api):
    jonas, astrid, *_ = _story(workspace, arrive, enrichment=True, offset=200)
    assert EnrichmentFact.objects.filter(person=jonas).exists()
    api.post(f"/contacts/{jonas.pk}/consents", {"purpose": "enrichment", "granted": False, "source": "agent"})
    assert api.get(f"/contacts/{jonas.pk}/enrichment").json()["facts"] == []
    assert not EnrichmentFact.objects.filter(person=jonas).exists()
    assert EnrichmentFact.objects.filter(person=astrid).exists()  # her permission stands

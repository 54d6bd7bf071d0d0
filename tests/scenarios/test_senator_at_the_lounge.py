"""The senator at the lounge: a gold, high-spending, influential frequent flyer complains on X. Her conversation
must top the queue above louder but less valuable complaints, with the reasons shown, under the VIP SLA."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rapport.care.evaluate import data_path as care_data_path
from rapport.care.models import Conversation, Message, SLAPolicy
from rapport.care.tests.helpers import brand, person, post
from rapport.contacts.models import Person
from rapport.core.models import Role
from rapport.demo.care import seed_care
from rapport.demo.seed import seed_stories
from rapport.identity.models import IdentityClaim

pytestmark = pytest.mark.django_db
SENATOR = "Refused entry to the lounge despite Gold status. An hour of useless back and forth. Unacceptable. @united"


def test_senator_ranks_first_through_the_posts_api(workspace, api_factory, django_capture_on_commit_callbacks):
    seed_stories(workspace=workspace)
    brand(workspace, handle="united")
    SLAPolicy.objects.create(workspace=workspace, name="VIP", position=1, tiers=["vip"], first_response_minutes=15)
    SLAPolicy.objects.create(workspace=workspace, name="Social", position=2, first_response_minutes=60)
    # Louder complaints from people with fewer followers or no purchase history.
    for i, followers in enumerate([40, 900, 5200, 25000]):
        person(workspace, f"Angry{i}", "Flyer", handle=f"angry{i}", followers=followers)
    now = datetime.now(tz=UTC)
    noise = [
        post(
            f"@united worst airline ever, lost my bag AGAIN, refund now!!! #{i}",
            handle=f"angry{i}",
            followers=f,
            created_at=now - timedelta(minutes=30 + i),
        )
        for i, f in enumerate([40, 900, 5200, 25000])
    ]
    senator = post(
        SENATOR, handle="SenEllison", author_id="tw-55501", followers=180000, created_at=now - timedelta(minutes=5)
    )
    admin = api_factory(workspace, Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        r = admin.post("/posts", [*noise, senator])
    assert r.json()["stored"] == 5
    items = admin.get("/conversations", order="priority").json()["items"]
    assert len(items) == 5
    top = items[0]
    margaret = Person.objects.get(workspace=workspace, external_id="story-senator")
    assert top["contact"]["id"] == margaret.pk
    assert top["sentiment"]["label"] == "negative"
    factors = {r["factor"]: r for r in top["priority_reasons"]}
    assert {"sentiment", "influence", "customer value", "tier"} <= set(factors)
    assert "180,000 followers" in factors["influence"]["detail"]
    assert sum(r["points"] for r in top["priority_reasons"]) == pytest.approx(top["priority"], abs=0.5)
    # The VIP policy applies to her: 15 minutes from her tweet.
    conv = Conversation.objects.get(pk=top["id"])
    assert conv.sla.policy.name == "VIP"
    assert conv.sla_due_at == conv.first_inbound_at + timedelta(minutes=15)


def test_demo_seed_puts_the_senator_first(workspace):
    seed_stories(workspace=workspace)
    first = seed_care(workspace, threads=80)
    again = seed_care(workspace, threads=80)
    assert first["story_conversations"] == 4 and again["story_conversations"] == 0  # idempotent
    assert again["thread_conversations"] == 0
    # The real customer-care threads come from ../shared/data; without them the demo still seeds the stories.
    if care_data_path().exists():
        assert first["thread_conversations"] > 40
        # The corpus's HTML escaping is undone: agents read "&", not "&amp;".
        assert Message.objects.filter(workspace=workspace, text__contains="&").exists()
        assert not Message.objects.filter(workspace=workspace, text__contains="&amp;").exists()
    else:
        assert first["thread_conversations"] == 0
    top = Conversation.objects.filter(workspace=workspace).exclude(status="resolved").order_by("-priority").first()
    assert top.person.external_id == "story-senator"
    assert top.team.name == "VIP desk"
    # An unknown account giving her frequent-flyer number only claims to be her: it does not open on her file.
    impostor = Conversation.objects.get(workspace=workspace, messages__external_id="story-claim-dm")
    assert impostor.person is None and impostor.identity.handle == "ellison_travels"
    assert impostor.brand_channel.handle == "united"
    claim = IdentityClaim.objects.get(identity=impostor.identity)
    assert (claim.person, claim.how, claim.status) == (top.person, "customer_number", "pending")

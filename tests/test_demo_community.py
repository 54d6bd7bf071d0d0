"""The demo community tells A1's story: kohlmark is the iPhone 5 expert and last month's hero."""

import pytest
from django.test import Client

from rapport.community import services
from rapport.demo.community import seed_community

pytestmark = pytest.mark.django_db


def test_demo_community_story(workspace):
    assert "hero of" in seed_community(workspace)
    assert seed_community(workspace) == "community: already seeded"
    experts = services.experts(workspace=workspace, topic="iPhone 5")
    assert experts[0].member.handle == "kohlmark" and experts[0].accepted == 3
    assert any(r.startswith("away:") for r in experts[0].reasons)
    assert services.hero(workspace=workspace).member.handle == "kohlmark"
    page = Client().get(f"/community/{workspace.slug}/")
    assert page.status_code == 200 and "kohlmark" in page.content.decode()
    assert "@community.example" not in page.content.decode()
    # A new member's first post waits for the moderators and is not public.
    from rapport.community import moderation

    (held,) = moderation.queue(workspace)
    assert held.post.title == "Cheap iPhone 5 batteries?" and held.state == "pending"
    assert "Cheap iPhone 5 batteries" not in page.content.decode()
    kohlmark = services.experts(workspace=workspace, topic="iPhone 5")[0].member
    assert kohlmark.trust_level >= 1

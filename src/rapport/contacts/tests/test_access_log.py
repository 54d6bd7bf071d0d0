"""Who read whose personal data: the person page, the API, the inbox's conversation and consent's pages note it once
per reader, record and place in ten minutes, and the DPO reads it; the person page's own trail shows changes."""

from __future__ import annotations

import pytest
from conftest import login
from django.core.cache import cache

from rapport.care.models import Conversation
from rapport.care.tests.helpers import brand, ingest, person, post, social_policy
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


def views_of(pk: int) -> list[tuple[str, str]]:
    return list(
        AuditEvent.objects.filter(action="contact.viewed", object_id=str(pk))
        .order_by("id")
        .values_list("actor_label", "after__what")
    )


def test_each_reader_of_a_person_is_noted_once_per_place_and_the_dpo_sees_them(workspace, member_factory, api_factory):
    eva = create_person(workspace=workspace, actor=Actor.system("t"), data={"first_name": "Eva", "email": "eva@x.se"})
    agent = member_factory(workspace, Role.AGENT)
    other = member_factory(workspace, Role.AGENT, email="second.agent@acme.example")
    page = login(agent)
    for _ in range(3):  # reloading is one view
        assert page.get(f"/contacts/{eva.pk}/").status_code == 200
    assert views_of(eva.pk) == [(agent.user.email, "person page")]
    assert login(other).get(f"/contacts/{eva.pk}/").status_code == 200
    api = api_factory(workspace, Role.MARKETER)
    assert api.get(f"/contacts/{eva.pk}").status_code == 200
    seen = views_of(eva.pk)
    assert seen[:2] == [(agent.user.email, "person page"), (other.user.email, "person page")]
    assert len(seen) == 3 and seen[2][1] == "API" and "API token" in seen[2][0]
    # Ten minutes on (the window is the cache's), the same reader is noted again.
    cache.clear()
    page.get(f"/contacts/{eva.pk}/")
    assert len(views_of(eva.pk)) == 4
    # The person page's trail is of changes; the reads are the DPO's.
    html = page.get(f"/contacts/{eva.pk}/").content.decode()
    assert "contact.viewed" not in html and "contact.created" in html
    log = api_factory(workspace, Role.DPO).get("/privacy/access", contact_id=eva.pk).json()["items"]
    assert [(i["who"], i["what"]["what"]) for i in log][-1] == (agent.user.email, "person page")
    assert len(log) == 4
    # An agent may not read the log.
    assert api_factory(workspace, Role.AGENT).get("/privacy/access").status_code == 403


def test_opening_a_customers_conversation_is_a_view_of_the_customer(
    workspace, member_factory, api_factory, django_capture_on_commit_callbacks
):
    brand(workspace)
    social_policy(workspace)
    ada = person(workspace, "Ada", "Lind", handle="adal")
    ingest(workspace, [post("@acmeair my bag is lost", handle="adal")], django_capture_on_commit_callbacks)
    conv = Conversation.objects.get(workspace=workspace, person=ada)
    agent = member_factory(workspace, Role.AGENT)
    assert login(agent).get(f"/inbox/{conv.pk}/").status_code == 200
    assert views_of(ada.pk) == [(agent.user.email, "conversation")]
    assert api_factory(workspace, Role.AGENT).get(f"/conversations/{conv.pk}").status_code == 200
    assert [what for _, what in views_of(ada.pk)] == ["conversation", "conversation"]

"""Influence API: the ranking with components and pages, topics, a contact's influence and history, roles."""

from __future__ import annotations

import pytest

from rapport.consent.models import Purpose
from rapport.consent.services import object_to
from rapport.contacts.models import Person
from rapport.identity.models import SocialIdentity
from rapport.influence import services
from rapport.influence.models import Score
from rapport.influence.tests.helpers import NOW, ingest, population
from rapport.listening.models import TrackingRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(workspace, django_capture_on_commit_callbacks):
    TrackingRule.objects.create(workspace=workspace, name="Travel", query="travel")
    ingest(workspace, population(), django_capture_on_commit_callbacks)
    person = Person.objects.create(workspace=workspace, first_name="Ada", last_name="Author")
    SocialIdentity.objects.filter(workspace=workspace, handle_key="a1").update(person=person)
    services.recompute(workspace.pk, now=NOW)
    return person


def test_ranking_pages_through_everyone_highest_first_with_components(api, scored):
    seen, cursor = [], None
    while True:
        page = api.get("/influence", limit=7, **({"cursor": cursor} if cursor else {})).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 40 and len({i["rank_key"] for i in seen}) == 40  # the person once, not per account
    assert [i["score"] for i in seen] == sorted((i["score"] for i in seen), reverse=True)
    ada = next(i for i in seen if i["person_id"] == scored.pk)
    assert ada["name"] == "Ada Author" and ada["handle"] == "a1"
    for item in seen:
        assert sum(c["value"] for c in item["components"]) == item["score"]
        assert all(c["detail"] for c in item["components"])


def test_ranking_by_topic_and_bad_input(api, scored, workspace):
    rule = TrackingRule.objects.get(workspace=workspace, name="Travel")
    by_name = api.get("/influence", topic="travel").json()["items"]
    by_id = api.get("/influence", topic=str(rule.pk)).json()["items"]
    assert by_name == by_id and by_name
    assert Score.objects.filter(workspace=workspace, topic=rule.pk).exists()
    r = api.get("/influence", topic="no such rule")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "topic"
    assert api.get("/influence", limit=0).status_code == 422
    assert api.get("/influence", cursor="nonsense").status_code == 422


def test_contact_carries_influence_and_history(api, scored):
    body = api.get(f"/contacts/{scored.pk}").json()
    inf = body["influence"]
    assert inf["score"] == Score.objects.get(subject=f"p{scored.pk}", topic=0).score
    assert {c["name"] for c in inf["components"]} == {"reach", "engagement", "amplification", "network", "topical"}
    assert inf["updated_at"]
    history = api.get(f"/contacts/{scored.pk}/influence/history").json()
    assert [p["score"] for p in history["items"]] == [inf["score"]]
    object_to(scored, Purpose.PROFILING, source="form")
    assert api.get(f"/contacts/{scored.pk}").json()["influence"] is None
    assert api.get(f"/contacts/{scored.pk}/influence/history").json()["items"] == []
    assert scored.pk not in {i["person_id"] for i in api.get("/influence", limit=100).json()["items"]}


def test_an_identity_score_and_workspace_isolation(api, api_factory, other_workspace, scored, workspace):
    ident = SocialIdentity.objects.get(workspace=workspace, handle_key="a2")
    r = api.get(f"/influence/identities/{ident.pk}")
    assert r.status_code == 200 and r.json()["score"] >= 1
    other = api_factory(other_workspace)
    assert other.get(f"/influence/identities/{ident.pk}").status_code == 404
    assert other.get("/influence").json()["items"] == []
    assert other.get(f"/contacts/{scored.pk}/influence/history").status_code == 404


def test_needs_a_token(client):
    assert client.get("/api/v1/influence").status_code == 401

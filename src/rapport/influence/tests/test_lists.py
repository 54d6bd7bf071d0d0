"""'Add to a list' from the Influencers page: people tagged, the list's segment made once, roles and bad input."""

from __future__ import annotations

import pytest

from rapport.consent.models import Purpose
from rapport.consent.services import object_to
from rapport.contacts.models import Person
from rapport.core.models import AuditEvent, Role, Workspace
from rapport.identity.models import SocialIdentity
from rapport.influence import services
from rapport.influence.tests.helpers import NOW, ingest, population
from rapport.segments.models import Segment, SegmentMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(workspace, django_capture_on_commit_callbacks):
    ingest(workspace, population(), django_capture_on_commit_callbacks)
    out = []
    for k in range(3):
        person = Person.objects.create(workspace=workspace, first_name=f"Fan{k}", last_name="Author", tags=["vip"])
        SocialIdentity.objects.filter(workspace=workspace, handle_key=f"a{k}").update(person=person)
        out.append(person)
    services.recompute(workspace.pk, now=NOW)
    return out


def _marketer(client, member_factory, workspace):
    client.force_login(member_factory(workspace, Role.MARKETER).user)


def test_page_lets_a_marketer_pick_contacts_only(client, member_factory, workspace, people):
    _marketer(client, member_factory, workspace)
    html = client.get("/influencers/").content.decode()
    assert "Add to list" in html
    for p in people:
        assert f'name="person" value="{p.pk}"' in html
    assert 'disabled title="not a contact yet"' in html  # unlinked accounts are listed but cannot be picked


def test_adding_tags_the_people_and_makes_one_segment_campaigns_can_use(client, member_factory, workspace, people):
    _marketer(client, member_factory, workspace)
    r = client.post(
        "/influencers/list/", {"person": [people[0].pk, people[1].pk], "list": "Test drive panel"}, follow=True
    )
    assert r.status_code == 200
    assert "2 added to the list &#x27;test drive panel&#x27;" in r.content.decode()
    for p in people[:2]:
        p.refresh_from_db()
        assert p.tags == ["vip", "test drive panel"]
    segment = Segment.objects.get(workspace=workspace, name="Test drive panel")
    assert segment.definition == {"field": "tags", "op": "contains", "value": "test drive panel"}
    assert set(SegmentMember.objects.filter(segment=segment).values_list("person_id", flat=True)) == {
        people[0].pk,
        people[1].pk,
    }
    assert AuditEvent.objects.filter(workspace=workspace, action="segment.created", object_id=str(segment.pk)).exists()

    r = client.post(
        "/influencers/list/", {"person": [people[1].pk, people[2].pk], "list": "Test drive panel"}, follow=True
    )
    assert "1 added" in r.content.decode() and "1 already on it" in r.content.decode()
    assert Segment.objects.filter(workspace=workspace, name="Test drive panel").count() == 1
    assert SegmentMember.objects.filter(segment=segment).count() == 3  # the segment follows the tag


def test_others_people_and_objectors_are_left_out(client, member_factory, workspace, people):
    other = Workspace.objects.create(slug="other", name="Other")
    stranger = Person.objects.create(workspace=other, first_name="Not", last_name="Ours")
    object_to(people[2], Purpose.PROFILING, source="form")
    _marketer(client, member_factory, workspace)
    r = client.post(
        "/influencers/list/", {"person": [people[0].pk, people[2].pk, stranger.pk], "list": "Panel"}, follow=True
    )
    assert "1 added" in r.content.decode() and "2 left out" in r.content.decode()
    stranger.refresh_from_db()
    people[2].refresh_from_db()
    assert stranger.tags == [] and "panel" not in people[2].tags


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"person": ["1"], "list": "  "}, "list: give the list a name"),
        ({"person": ["x1"], "list": "Panel"}, "person: not a contact id"),
        ({"list": "Panel"}, "person: pick at least one person"),
    ],
)
def test_bad_input_names_the_field(client, member_factory, workspace, people, data, message):
    _marketer(client, member_factory, workspace)
    r = client.post("/influencers/list/", data, follow=True)
    assert r.status_code == 200 and message in r.content.decode()
    assert not Segment.objects.filter(workspace=workspace).exists()


def test_a_segment_name_taken_another_way_is_refused(client, member_factory, workspace, people):
    Segment.objects.create(
        workspace=workspace, name="Panel", definition={"field": "lifecycle_stage", "op": "eq", "value": "customer"}
    )
    _marketer(client, member_factory, workspace)
    r = client.post("/influencers/list/", {"person": [people[0].pk], "list": "Panel"}, follow=True)
    assert "already selects people another way" in r.content.decode()


def test_agents_may_not_make_lists(client, member_factory, workspace, people):
    client.force_login(member_factory(workspace, Role.AGENT).user)
    assert "Add to list" not in client.get("/influencers/").content.decode()
    r = client.post("/influencers/list/", {"person": [people[0].pk], "list": "Panel"})
    assert r.status_code == 403
    people[0].refresh_from_db()
    assert people[0].tags == ["vip"]

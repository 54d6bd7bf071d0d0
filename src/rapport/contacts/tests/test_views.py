"""Contact pages: an agent logs a call on a person's page; it lands on the timeline, audited and announced."""

import pytest
from django.test import Client

from rapport.contacts.models import Touchpoint
from rapport.contacts.services import create_person
from rapport.core import events
from rapport.core.actors import Actor
from rapport.core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


def client_for(member_factory, workspace, role=Role.AGENT):
    client = Client()
    client.force_login(member_factory(workspace, role).user)
    return client


def test_agent_logs_a_call_and_the_timeline_shows_it(member_factory, workspace, django_capture_on_commit_callbacks):
    person = create_person(workspace=workspace, actor=Actor.system("t"), data={"first_name": "Lena", "last_name": "Ek"})
    client = client_for(member_factory, workspace)
    page = client.get(f"/contacts/{person.pk}/").content.decode()
    assert 'id="log-form"' in page
    seen = []
    events.subscribe("contacts.touchpoint_logged", lambda event, payload: seen.append(payload))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/contacts/{person.pk}/log/",
            {
                "kind": "call",
                "channel": "phone",
                "direction": "inbound",
                "title": "Moving house",
                "body": "Cancel at old address",
            },
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200 and response["HX-Trigger"] == "timeline-changed"
    assert "Logged: Call" in response.content.decode()
    tp = Touchpoint.objects.get(person=person)
    assert (tp.kind, tp.channel, tp.direction, tp.title, tp.body) == (
        "call",
        "phone",
        "inbound",
        "Moving house",
        "Cancel at old address",
    )
    assert AuditEvent.objects.filter(action="touchpoint.created", object_id=str(person.pk)).exists()
    assert seen and seen[-1]["touchpoint_id"] == tp.pk and seen[-1]["direction"] == "inbound"
    assert "Moving house" in client.get(f"/contacts/{person.pk}/timeline/").content.decode()


def test_logging_needs_words_and_a_past_time_and_writes_nothing_otherwise(member_factory, workspace):
    person = create_person(workspace=workspace, actor=Actor.system("t"), data={"first_name": "Lena"})
    client = client_for(member_factory, workspace)
    empty = client.post(f"/contacts/{person.pk}/log/", {"kind": "call", "channel": "phone", "direction": "inbound"})
    assert "Write a subject or what was said." in empty.content.decode()
    future = client.post(
        f"/contacts/{person.pk}/log/",
        {"kind": "meeting", "channel": "store", "direction": "none", "title": "x", "occurred_at": "2999-01-01T10:00"},
    )
    assert "That is in the future." in future.content.decode()
    bad_kind = client.post(f"/contacts/{person.pk}/log/", {"kind": "purchase", "channel": "phone", "title": "x"})
    assert "Select a valid choice" in bad_kind.content.decode()
    assert not Touchpoint.objects.filter(person=person).exists()


def test_a_plain_form_post_is_redirected_to_the_person_or_shown_its_errors(member_factory, workspace):
    person = create_person(workspace=workspace, actor=Actor.system("t"), data={"first_name": "Lena"})
    client = client_for(member_factory, workspace)
    ok = client.post(
        f"/contacts/{person.pk}/log/", {"kind": "note", "channel": "other", "direction": "none", "title": "x"}
    )
    assert ok.status_code == 302 and ok["Location"] == f"/contacts/{person.pk}/"
    assert "Logged: Note." in client.get(ok["Location"]).content.decode()
    bad = client.post(f"/contacts/{person.pk}/log/", {"kind": "note", "channel": "other", "direction": "none"})
    page = bad.content.decode()
    assert bad.status_code == 200 and "Write a subject or what was said." in page and 'id="timeline"' in page
    assert Touchpoint.objects.filter(person=person).count() == 1


def test_roles_that_may_not_change_contacts_cannot_log_and_other_workspaces_are_hidden(
    member_factory, workspace, other_workspace
):
    person = create_person(workspace=workspace, actor=Actor.system("t"), data={"first_name": "Lena"})
    dpo = client_for(member_factory, workspace, Role.DPO)
    assert 'id="log-form"' not in dpo.get(f"/contacts/{person.pk}/").content.decode()
    assert dpo.post(f"/contacts/{person.pk}/log/", {"kind": "call", "title": "x"}).status_code == 403
    stranger = client_for(member_factory, other_workspace)
    assert stranger.post(f"/contacts/{person.pk}/log/", {"kind": "call", "title": "x"}).status_code == 404
    assert not Touchpoint.objects.filter(person=person).exists()

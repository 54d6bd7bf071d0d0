"""The DPO's screens: the request log with deadlines, a person's privacy page and its actions, the access audit."""

from __future__ import annotations

import pytest
from conftest import PASSWORD
from django.test import Client

from rapport.consent import requests, services
from rapport.consent.models import PrivacyRequest, Purpose
from rapport.contacts.models import Person
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.core.models import Role

pytestmark = pytest.mark.django_db


def signed_in(member_factory, workspace, role) -> Client:
    member = member_factory(workspace, role)
    client = Client()
    assert client.login(email=member.user.email, password=PASSWORD)
    return client


@pytest.fixture
def eva(workspace):
    return create_person(workspace=workspace, actor=Actor.system("t"), data={"first_name": "Eva", "email": "eva@x.se"})


def test_the_dpo_works_a_person_from_the_privacy_page(
    workspace, eva, member_factory, django_capture_on_commit_callbacks
):
    dpo = signed_in(member_factory, workspace, Role.DPO)
    services.record(eva, Purpose.NEWSLETTER, granted=True, channel="email", source="form", wording="News v3")
    page = dpo.get(f"/privacy/people/{eva.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and "News v3" in html and "/preferences/" in html
    act = f"/privacy/people/{eva.pk}/act/"
    assert dpo.post(act, {"action": "object", "purpose": ["profiling"]}).status_code == 302
    assert dpo.post(act, {"action": "restrict"}).status_code == 302
    assert dpo.post(act, {"action": "do_not_contact", "value": "1"}).status_code == 302
    assert dpo.post(act, {"action": "explode"}).status_code == 400
    assert not services.may_process(eva, Purpose.PROFILING) and services.flags_of(eva).do_not_contact
    access = dpo.get("/privacy/access/").content.decode()
    assert "privacy page" in access and "dpo@acme.example" in access
    with django_capture_on_commit_callbacks(execute=False):
        assert dpo.post(act, {"action": "erase"}).status_code == 302
    erasure = PrivacyRequest.objects.get(kind="erasure")
    requests.run_erasure(erasure.pk)
    log = dpo.get("/privacy/").content.decode()
    assert "Erasure" in log and f"erased (#{eva.pk})" in log and "Restriction of processing" in log
    assert not Person.objects.filter(pk=eva.pk).exists()
    # Who looked, and when, stays on record after the erasure; what they looked at is gone with the person.
    access = dpo.get("/privacy/access/").content.decode()
    assert "contact.viewed" in access and "eva@x.se" not in access


def test_other_roles_do_not_get_the_privacy_screens(workspace, eva, member_factory):
    for role in (Role.AGENT, Role.MARKETER):
        client = signed_in(member_factory, workspace, role)
        for path in (
            "/privacy/",
            f"/privacy/people/{eva.pk}/",
            f"/privacy/people/{eva.pk}/export/",
            "/privacy/access/",
        ):
            assert client.get(path).status_code == 403
        assert client.post(f"/privacy/people/{eva.pk}/act/", {"action": "erase"}).status_code == 403
    assert not PrivacyRequest.objects.exists()
    assert Client().get("/privacy/").status_code == 302  # to the sign-in page

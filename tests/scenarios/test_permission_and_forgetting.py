"""Payback's permission and a data-subject request.

A customer allowed offers by email but not by post: the email audience has them, the letter audience does not,
and a one-click unsubscribe takes them out of the email one at once. Then the DPO exports a person's data (JSON
and the readable document), erases them, and afterwards no search, list, timeline or export shows them, while
the care report still counts their conversation."""

from __future__ import annotations

import re

import pytest
from conftest import PASSWORD
from django.test import Client

from rapport.care import services as care
from rapport.care.models import Conversation
from rapport.care.tests.helpers import brand, ingest, person, post, social_policy
from rapport.consent import collection, requests, services
from rapport.consent.models import Purpose
from rapport.contacts.models import Person
from rapport.core.actors import Actor
from rapport.core.models import Role

pytestmark = pytest.mark.django_db


def test_offers_by_email_but_not_by_post(workspace):
    lena = person(workspace, "Lena", "Voss", handle="lenav")
    Person.objects.filter(pk=lena.pk).update(email="lena@example.de")
    lena.refresh_from_db()
    other = person(workspace, "Max", "Roth", handle="maxr")
    services.record(lena, Purpose.OFFERS, granted=True, channel="email", source="form", wording="Offers by email")
    services.record(lena, Purpose.OFFERS, granted=False, channel="post", source="form", wording="Offers by post")
    everyone = [lena.pk, other.pk]
    assert services.permitted(workspace.pk, everyone, Purpose.OFFERS, "email") == {lena.pk}
    assert services.permitted(workspace.pk, everyone, Purpose.OFFERS, "post") == set()
    url = collection.unsubscribe_headers(lena, Purpose.OFFERS)["List-Unsubscribe"]
    path = re.search(r"<https?://[^/]+(/[^>]+)>", url).group(1)
    Client().post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert services.permitted(workspace.pk, everyone, Purpose.OFFERS, "email") == set()


def test_the_dpo_exports_then_erases_and_nothing_shows_them(
    workspace, member_factory, api_factory, django_capture_on_commit_callbacks
):
    brand(workspace)
    social_policy(workspace)
    subject = person(workspace, "Nora", "Quist", handle="noraq")
    ingest(workspace, [post("@acmeair lost my suitcase", handle="noraq")], django_capture_on_commit_callbacks)
    conversation = Conversation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        care.resolve(conversation=conversation, actor=Actor.system("t"))

    api = api_factory(workspace, Role.DPO)
    export = api.get(f"/contacts/{subject.pk}/export").json()
    assert export["identities"][0]["handle"] == "noraq"
    assert export["posts"][0]["text"] == "@acmeair lost my suitcase"
    assert export["conversations"][0]["messages"][0]["text"] == "@acmeair lost my suitcase"
    member = member_factory(workspace, Role.DPO, email="dpo2@acme.example")
    browser = Client()
    browser.login(email=member.user.email, password=PASSWORD)
    assert "lost my suitcase" in browser.get(f"/privacy/people/{subject.pk}/export/").content.decode()

    with django_capture_on_commit_callbacks(execute=False):
        request_id = api.post(f"/contacts/{subject.pk}/erase").json()["request_id"]
    requests.run_erasure(request_id)

    agent = api_factory(workspace, Role.AGENT)
    assert agent.get("/contacts", q="Quist").json()["items"] == []
    assert agent.get("/contacts").json()["items"] == []
    assert agent.get(f"/contacts/{subject.pk}/timeline").status_code == 404
    assert api.get(f"/contacts/{subject.pk}/export").status_code == 404
    assert "noraq" not in str(agent.get("/mentions").json())
    # The inbox report still counts the conversation, with nobody attached.
    assert Conversation.objects.filter(workspace=workspace).count() == 1
    assert Conversation.objects.get().person_id is None
    request = api.get(f"/privacy/requests/{request_id}").json()
    assert request["status"] == "done" and request["subject"] == ""

"""Deleting a person destroys nothing silently: each relation is deleted, kept detached, or refuses, as registered."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models

from rapport.care.models import Conversation
from rapport.care.tests.helpers import brand, ingest, post
from rapport.contacts.models import Affiliation, Person, Touchpoint
from rapport.contacts.relations import OnDelete, person_relations
from rapport.contacts.services import PersonInUse, create_person, delete_person
from rapport.core.actors import Actor
from rapport.core.models import AuditEvent
from rapport.identity.merging import merge_contacts, undo_merge
from rapport.identity.models import Merge, SocialIdentity
from rapport.listening.models import Post

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")


def test_every_foreign_key_to_a_person_has_a_deletion_policy():
    registered = {(r.model.lower(), r.field) for r in person_relations()}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.ForeignKey) and field.related_model is Person:
                key = (model._meta.label_lower, field.name)
                assert key in registered, f"{key} points at a person with no registered policy"


def test_deletion_keeps_conversations_posts_and_accounts_and_records_what_went(
    workspace, django_capture_on_commit_callbacks
):
    brand(workspace)
    ana = create_person(
        workspace=workspace,
        actor=ACTOR,
        data={"first_name": "Ana", "last_name": "Lopez"},
        organisations=[{"name": "Acme"}],
        identities=[{"network": "twitter", "handle": "analopez", "external_id": "twitter-analopez"}],
    )
    ingest(workspace, [post("@acmeair where is my refund?", handle="analopez")], django_capture_on_commit_callbacks)
    conversation = Conversation.objects.get(person=ana)
    assert Touchpoint.objects.filter(person=ana).exists() and Affiliation.objects.filter(person=ana).exists()
    ana_id = ana.pk
    counts = delete_person(workspace=workspace, actor=ACTOR, person=ana)
    assert not Person.objects.filter(pk=ana_id).exists()
    conversation.refresh_from_db()
    assert conversation.person_id is None and conversation.messages.count() == 1
    assert Post.objects.get().person_id is None
    assert SocialIdentity.objects.get(handle_key="analopez").person_id is None
    assert not Touchpoint.objects.filter(person_id=ana_id).exists()
    assert not Affiliation.objects.filter(person_id=ana_id).exists()
    assert counts["conversations"] == 1 and counts["touchpoints"] >= 1 and counts["affiliations"] == 1
    audit = AuditEvent.objects.get(action="contact.deleted", object_id=str(ana_id))
    assert audit.before["first_name"] == "Ana"
    assert audit.after["detached"]["conversations"] == [conversation.pk]
    assert audit.after["removed"]["affiliations"]


def test_a_person_with_an_undoable_merge_is_not_deleted_and_told_why(workspace):
    kept = create_person(workspace=workspace, actor=ACTOR, data={"first_name": "Hanne", "email": "h@example.dk"})
    dup = create_person(workspace=workspace, actor=ACTOR, data={"first_name": "Hanne", "phone": "+4520123456"})
    merge = merge_contacts(workspace=workspace, keep=kept, absorb=dup, actor=ACTOR)
    with pytest.raises(PersonInUse, match="undo those merges first"):
        delete_person(workspace=workspace, actor=ACTOR, person=kept)
    assert Person.objects.filter(pk__in=[kept.pk, dup.pk]).count() == 2
    assert Merge.objects.filter(pk=merge.pk).exists()
    undo_merge(workspace=workspace, merge=merge, actor=ACTOR)
    kept.refresh_from_db()
    counts = delete_person(workspace=workspace, actor=ACTOR, person=kept)
    assert counts["merges_kept"] == 1
    assert Person.objects.filter(pk=dup.pk, merged_into__isnull=True).exists()


def test_the_api_answers_409_with_the_reason(api, workspace):
    a = api.post("/contacts", {"first_name": "Bo", "email": "bo@example.se"}).json()
    b = api.post("/contacts", {"first_name": "Bo", "phone": "+46701234567"}).json()
    assert api.post(f"/contacts/{a['id']}/merge", {"absorb_id": b["id"]}).status_code == 201
    refused = api.delete(f"/contacts/{a['id']}")
    assert refused.status_code == 409 and "undo those merges first" in refused.json()["detail"]


def test_policies_are_the_documented_ones():
    policy = {r.label: r.on_delete for r in person_relations()}
    assert policy["conversations"] == OnDelete.DETACH
    assert policy["posts"] == OnDelete.DETACH
    assert policy["identities"] == OnDelete.DETACH
    assert policy["touchpoints"] == OnDelete.DELETE
    assert policy["absorbed_people"] == OnDelete.REFUSE

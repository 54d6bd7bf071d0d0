"""Identity web pages: review queue with accept / reject, merge from a contact page, un-merge from its history."""

import re

import pytest
from django.test import Client

from rapport.contacts.models import Person
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.core.models import Role
from rapport.identity.models import Merge, ReviewItem
from rapport.identity.services import queue_review

pytestmark = [pytest.mark.django_db, pytest.mark.urls("rapport.identity.tests.urls")]


def client_for(member_factory, workspace, role=Role.ADMIN):
    client = Client()
    client.force_login(member_factory(workspace, role).user)
    return client


def person(workspace, **data):
    return create_person(workspace=workspace, actor=Actor.system("t"), data=data)


def test_review_page_shows_both_records_and_the_explanation_then_accepts(member_factory, workspace):
    left = person(workspace, first_name="Jonathan", last_name="Miller", email="jon@example.com", city="Bristol")
    right = person(workspace, first_name="Jon", last_name="Millar", city="Bristol")
    item = queue_review(
        workspace=workspace,
        left=left,
        right=right,
        score=0.6,
        source="import",
    )
    item.explanation = {"fields": [{"field": "last_name", "level": "fuzzy", "weight": 1.5}]}
    item.save()
    client = client_for(member_factory, workspace)
    page = client.get("/identity/review/").content.decode()
    assert "Jonathan Miller" in page and "Jon Millar" in page and "jon@example.com" in page
    assert "Last name: agrees (fuzzy)" in page and "Same person: merge" in page
    assert "Review matches" in client.get("/contacts/").content.decode()
    card = client.post(f"/identity/review/{item.pk}/decide/", {"decision": "accept"}, HTTP_HX_REQUEST="true")
    assert card.status_code == 200 and "Accepted" in card.content.decode()
    assert Person.objects.get(pk=right.pk).merged_into_id == left.pk
    assert "Nothing to review" in client.get("/identity/review/").content.decode()


def test_review_card_tells_where_the_score_stands_and_what_agrees(member_factory, workspace):
    """A pair above the link threshold is not called "between the thresholds", and a field that agrees is shown
    as agreeing even when the fitted model gives it a negative weight (a common surname says little)."""
    left = person(workspace, first_name="Margaret", last_name="Ellison", country="US")
    right = person(workspace, first_name="Maggie", last_name="Ellison", country="US")
    likely = queue_review(workspace=workspace, left=left, right=right, score=1.0, source="dedupe")
    likely.explanation = {
        "fields": [
            {"field": "first_name", "level": "nickname", "weight": 0.914},
            {"field": "last_name", "level": "exact", "weight": -0.405},
            {"field": "country", "level": "exact", "weight": -1.696},
            {"field": "city", "level": "disagree", "weight": -1.535},
            {"field": "alias_name", "level": "none", "weight": -0.2},
        ]
    }
    likely.save()
    other = person(workspace, first_name="Jon", last_name="Millar")
    possible = queue_review(workspace=workspace, left=other, right=person(workspace, first_name="Jonathan"), score=0.55)
    page = client_for(member_factory, workspace, Role.AGENT).get("/identity/review/").content.decode()

    cards = {int(m.group(1)): m.group(0) for m in re.finditer(r'id="review-(\d+)".*?</details>', page, re.S)}
    assert "Likely the same person" in cards[likely.pk] and "at or above the link threshold (0.75)" in cards[likely.pk]
    assert "between the review" not in cards[likely.pk]
    assert "Possibly the same person" in cards[possible.pk]
    assert "between the review (0.40) and link (0.75) thresholds" in cards[possible.pk]
    by_field = {f: v for v, f in re.findall(r'<li class="(\w+)" data-field="(\w+)"', cards[likely.pk])}
    assert by_field == {
        "first_name": "agree",
        "last_name": "agree",
        "country": "agree",
        "city": "disagree",
        "alias_name": "neutral",
    }
    assert 'Country: agrees <span class="muted">(weak evidence)' in cards[likely.pk]


def test_review_page_is_for_roles_that_review_and_shows_only_this_workspace(member_factory, workspace, other_workspace):
    theirs = queue_review(
        workspace=other_workspace,
        left=person(other_workspace, first_name="Secret", last_name="Agent"),
        right=person(other_workspace, first_name="Secret", last_name="Agents"),
        score=0.5,
    )
    assert client_for(member_factory, workspace, Role.DPO).get("/identity/review/").status_code == 403
    client = client_for(member_factory, workspace)
    assert "Secret" not in client.get("/identity/review/").content.decode()
    assert client.post(f"/identity/review/{theirs.pk}/decide/", {"decision": "reject"}).status_code == 404
    assert ReviewItem.objects.get(pk=theirs.pk).status == "pending"


def test_merge_from_the_contact_page_and_unmerge_from_its_history(member_factory, workspace):
    kept = person(workspace, first_name="Åse", last_name="Holm", email="ase@example.no")
    other = person(workspace, first_name="Aase", last_name="Holm", phone="+4791234567")
    client = client_for(member_factory, workspace)
    detail = client.get(f"/contacts/{kept.pk}/").content.decode()
    assert f"/contacts/{kept.pk}/merges/" in detail
    panel = client.get(f"/contacts/{kept.pk}/merges/").content.decode()
    assert "Merge another contact" in panel and "No merges" in panel
    found = client.get(f"/contacts/{kept.pk}/merge-candidates/", {"q": "holm"}).content.decode()
    assert f'"absorb_id": "{other.pk}"' in found and f'"absorb_id": "{kept.pk}"' not in found
    done = client.post(f"/contacts/{kept.pk}/merge/", {"absorb_id": other.pk}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200 and done["HX-Refresh"] == "true"
    merge = Merge.objects.get()
    assert (merge.kept_id, merge.absorbed_id) == (kept.pk, other.pk)
    assert Person.objects.get(pk=kept.pk).phone == "+4791234567"
    assert "Un-merge" in client.get(f"/contacts/{kept.pk}/merges/").content.decode()
    again = client.post(f"/contacts/{kept.pk}/merge/", {"absorb_id": other.pk}).content.decode()
    assert "already merged" in again
    client.post(f"/merges/{merge.pk}/undo/", HTTP_HX_REQUEST="true")
    assert Person.objects.get(pk=other.pk).merged_into_id is None
    assert Person.objects.get(pk=kept.pk).phone == ""
    assert "undone" in client.get(f"/contacts/{kept.pk}/merges/").content.decode()


def test_merge_pages_respect_roles_and_workspaces(member_factory, workspace, other_workspace):
    mine = person(workspace, first_name="Mine")
    theirs = person(other_workspace, first_name="Theirs")
    dpo = client_for(member_factory, workspace, Role.DPO)
    assert "Merge another contact" not in dpo.get(f"/contacts/{mine.pk}/merges/").content.decode()
    assert dpo.post(f"/contacts/{mine.pk}/merge/", {"absorb_id": theirs.pk}).status_code == 403
    admin = client_for(member_factory, workspace)
    assert admin.get(f"/contacts/{theirs.pk}/merges/").status_code == 404
    refused = admin.post(f"/contacts/{mine.pk}/merge/", {"absorb_id": theirs.pk}).content.decode()
    assert "not in this workspace" in refused and Merge.objects.count() == 0
    assert admin.get(f"/contacts/{mine.pk}/merge-candidates/", {"q": "theirs"}).content.decode().strip() == (
        '<li class="muted">No other contact matches “theirs”.</li>'
    )

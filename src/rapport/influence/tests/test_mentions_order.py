"""Mentions sorted by their authors' influence: the order influence registers on listening's list and API."""

from __future__ import annotations

import pytest

from rapport.consent.models import Purpose
from rapport.consent.services import object_to
from rapport.contacts.models import Person
from rapport.core.models import Role
from rapport.identity.models import SocialIdentity
from rapport.influence import services
from rapport.influence.models import Score
from rapport.influence.tests.helpers import NOW, ingest, population
from rapport.listening.models import Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(workspace, django_capture_on_commit_callbacks):
    ingest(workspace, population(), django_capture_on_commit_callbacks)
    services.recompute(workspace.pk, now=NOW)


def _author_scores(workspace) -> dict[str, int]:
    return {
        handle: score
        for handle, score in Score.objects.filter(workspace=workspace, topic=0, identity__isnull=False).values_list(
            "identity__handle", "score"
        )
    }


def _all_pages(api, **params) -> list[dict]:
    seen, cursor = [], None
    while True:
        page = api.get("/mentions", limit=9, **params, **({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.content
        seen += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            return seen


def test_api_sorts_mentions_by_author_influence_across_pages(api, workspace, scored):
    scores = _author_scores(workspace)
    seen = _all_pages(api, sort="influence")
    assert len(seen) == Post.objects.filter(workspace=workspace).count()
    assert len({m["id"] for m in seen}) == len(seen)  # the keyset pages neither skip nor repeat
    keys = [(scores.get(m["author"]["handle"], 0), m["created_at"]) for m in seen]
    assert keys == sorted(keys, reverse=True)  # most influential authors first, newest first among equals
    assert len({k for k, _ in keys}) > 5  # a real spread of scores, not one tie
    newest = _all_pages(api)
    assert [m["created_at"] for m in newest] == sorted((m["created_at"] for m in newest), reverse=True)
    assert [m["id"] for m in newest] != [m["id"] for m in seen]


def test_a_linked_persons_score_orders_their_posts_and_an_objector_goes_last(api, workspace, scored):
    scores = _author_scores(workspace)
    low = min(scores, key=scores.get)
    person = Person.objects.create(workspace=workspace, first_name="Low", last_name="Author")
    ident = SocialIdentity.objects.get(workspace=workspace, handle=low)
    ident.person = person
    ident.save(update_fields=["person"])
    Post.objects.filter(author=ident).update(person=person)
    Score.objects.create(
        workspace=workspace, subject=f"p{person.pk}", person=person, score=100, components={}, updated_at=NOW
    )
    seen = _all_pages(api, sort="influence")
    assert seen[0]["author"]["handle"] == low  # the person's score, not the account's

    object_to(person, Purpose.PROFILING, source="form")
    seen = _all_pages(api, sort="influence")
    assert seen[-1]["author"]["handle"] == low  # objected: no score, never ranked ahead of anyone


def test_an_unknown_sort_is_a_422_naming_the_field(api, scored):
    r = api.get("/mentions", sort="loudest")
    assert r.status_code == 422
    assert "sort" in r.content.decode() and "influence" in r.content.decode()


def test_mentions_page_offers_the_order_and_shows_each_authors_score(client, member_factory, workspace, scored):
    client.force_login(member_factory(workspace, Role.MARKETER).user)
    html = client.get("/mentions/").content.decode()
    assert "Most influential authors first" in html
    r = client.get("/mentions/", {"sort": "influence"})
    html = r.content.decode()
    top = max(_author_scores(workspace).values())
    assert f"influence {top}</div>" in html
    assert 'value="influence" selected' in html
    r = client.get("/mentions/", {"sort": "loudest"}, follow=True)
    assert r.status_code == 200 and "not an order this workspace offers" in r.content.decode()

"""Recognise me: "If I tweet a company, it should know me without asking my contact details, and have my complete
history." Posts arrive through the pipeline; each author resolves to the person behind it, or to nobody. Giving a
customer's number or address in a message only claims to be that customer until an agent or the customer confirms."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from rapport.contacts.models import Person, Touchpoint
from rapport.contacts.services import create_person, log_touchpoint, timeline
from rapport.core.actors import Actor
from rapport.identity.models import IdentityClaim, SocialIdentity
from rapport.identity.stream import resolve_author
from rapport.listening.models import Post
from rapport.pipeline.ingest import process_batch
from rapport.pipeline.tests.factories import make_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def arrive(workspace, django_capture_on_commit_callbacks):
    """What the stream does with one post: the pipeline stores it and, once committed, its listeners run."""

    def run(post: dict) -> Post:
        with django_capture_on_commit_callbacks(execute=True):
            process_batch(workspace_id=workspace.pk, posts=[post])
        return Post.objects.select_related("author").get(network=post["network"], external_id=post["external_id"])

    return run


@pytest.fixture
def grethe(workspace):
    person = create_person(
        workspace=workspace,
        actor=Actor.system("crm"),
        data={
            "first_name": "Margrethe",
            "last_name": "Sørensen",
            "email": "grethe.s@example.dk",
            "customer_number": "LC-10442",
            "lifecycle_stage": "customer",
        },
        identities=[{"network": "twitter", "handle": "grethe_s"}],
    )
    log_touchpoint(
        workspace=workspace,
        actor=Actor.system("shop"),
        person=person,
        kind="purchase",
        channel="store",
        occurred_at=datetime(2026, 2, 1, 12, tzinfo=UTC),
        title="Camera body",
    )
    return person


def test_a_known_customer_tweets_and_is_recognised_with_her_history(workspace, grethe, arrive):
    post = arrive(make_post(1, "@acme my camera is broken again", handle="Grethe_S"))
    assert post.person == grethe
    author = post.author
    assert resolve_author(workspace=workspace, network="twitter", handle=author.handle, text=post.text)[1:] == (
        grethe,
        "identity",
    )
    history, _ = timeline(workspace=workspace, person_ids=[grethe.pk])
    assert [t.kind for t in history] == ["post", "purchase"]


def test_an_unknown_handle_giving_her_customer_number_claims_to_be_her_until_an_agent_confirms(
    workspace, grethe, arrive, api
):
    earlier = arrive(make_post(2, "points missing again!!", network="instagram", handle="g.sorensen.photo"))
    assert earlier.person is None
    post = arrive(
        make_post(
            3, "Hi, my loyalty number is LC10442, where are my points?", network="instagram", handle="g.sorensen.photo"
        )
    )
    # Anyone who knows her number can type it: the post is a claim, and nothing of her shows on it yet.
    assert post.person is None and SocialIdentity.objects.get(pk=post.author_id).person is None
    assert [t.kind for t in timeline(workspace=workspace, person_ids=[grethe.pk])[0]] == ["purchase"]
    pending = api.get("/identity/claims").json()["items"]
    assert [(c["contact_id"], c["how"], c["account"]["handle"], c["post_id"]) for c in pending] == [
        (grethe.pk, "customer_number", "g.sorensen.photo", post.pk)
    ]
    # The agent asks her something only she knows, then confirms: her earlier post joins her history too.
    confirmed = api.post(f"/identity/claims/{pending[0]['id']}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert Post.objects.get(pk=earlier.pk).person == grethe and Post.objects.get(pk=post.pk).person == grethe
    later = arrive(make_post(4, "thanks, all sorted", network="instagram", handle="g.sorensen.photo"))
    assert later.person == grethe
    titles = [t.title for t in timeline(workspace=workspace, person_ids=[grethe.pk])[0]]
    assert titles == [
        "thanks, all sorted",
        "Hi, my loyalty number is LC10442, where are my points?",
        "points missing again!!",
        "Camera body",
    ]
    assert api.post(f"/identity/claims/{pending[0]['id']}/confirm").status_code == 409  # decided once


def test_an_unknown_handle_giving_her_email_is_linked_when_she_follows_the_mailed_link(
    workspace, grethe, arrive, api, mailoutbox
):
    post = make_post(5, "you can reach me at Grethe.S@example.dk about the repair", network="mastodon", handle="grethe")
    post["author"]["name"] = "Grethe"
    stored = arrive(post)
    assert stored.person is None
    claim = api.get("/identity/claims").json()["items"][0]
    assert (claim["contact_id"], claim["how"]) == (grethe.pk, "email")
    assert api.post(f"/identity/claims/{claim['id']}/verify").status_code == 200
    (mail,) = mailoutbox
    assert mail.to == ["grethe.s@example.dk"]  # the address on file, not one the author chose
    link = re.search(r"http\S+/identity/claims/verify/\S+/", mail.body).group(0)
    path = link[link.index("/identity/") :]
    page = Client().get(path)  # a mail scanner opening the link confirms nothing
    assert page.status_code == 200 and "Was it you" in page.content.decode()
    assert SocialIdentity.objects.get(pk=stored.author_id).person is None
    assert "Thank you" in Client().post(path).content.decode()
    assert SocialIdentity.objects.get(pk=stored.author_id).person == grethe
    assert Post.objects.get(pk=stored.pk).person == grethe
    again = Client().post(path)
    assert again.status_code == 400 and "already used" in again.content.decode()
    assert Client().get(path[:-5] + "xxxx/").status_code == 400  # a tampered link


@pytest.mark.parametrize(
    "text",
    [
        "your service is a joke",
        "email me at test@example.com or call 123456",
        "my customer number is 0000",
        "n/a n/a n/a",
        "Grethe Sørensen is my neighbour",  # a name alone is not an identifier
        "my friend grethe.s@example.dk says hi",  # her email, but the author's name says it is someone else
    ],
)
def test_garbage_never_links(workspace, grethe, arrive, text):
    post = make_post(6, text, handle="troll_42")
    post["author"]["name"] = "Troll Hunter"
    assert arrive(post).person is None
    assert SocialIdentity.objects.get(handle_key="troll_42").person is None
    assert Person.objects.filter(workspace=workspace).count() == 1
    assert not Touchpoint.objects.filter(person=grethe, kind="post").exists()
    assert not IdentityClaim.objects.exists()

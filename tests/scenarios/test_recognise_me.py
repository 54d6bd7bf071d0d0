"""Recognise me: "If I tweet a company, it should know me without asking my contact details, and have my complete
history." Posts arrive through the pipeline; each author resolves to the person behind it, or to nobody."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rapport.contacts.models import Person, Touchpoint
from rapport.contacts.services import create_person, log_touchpoint, timeline
from rapport.core.actors import Actor
from rapport.identity.models import SocialIdentity
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


def test_an_unknown_handle_giving_her_customer_number_links_by_itself(workspace, grethe, arrive):
    earlier = arrive(make_post(2, "points missing again!!", network="instagram", handle="g.sorensen.photo"))
    assert earlier.person is None
    post = arrive(
        make_post(
            3, "Hi, my loyalty number is LC10442, where are my points?", network="instagram", handle="g.sorensen.photo"
        )
    )
    assert post.person == grethe and SocialIdentity.objects.get(pk=post.author_id).person == grethe
    # Her earlier post joins her history too, and her next post needs nothing.
    assert Post.objects.get(pk=earlier.pk).person == grethe
    later = arrive(make_post(4, "thanks, all sorted", network="instagram", handle="g.sorensen.photo"))
    assert later.person == grethe
    titles = [t.title for t in timeline(workspace=workspace, person_ids=[grethe.pk])[0]]
    assert titles == [
        "thanks, all sorted",
        "Hi, my loyalty number is LC10442, where are my points?",
        "points missing again!!",
        "Camera body",
    ]


def test_an_unknown_handle_giving_her_email_links_by_itself(workspace, grethe, arrive):
    post = make_post(5, "you can reach me at Grethe.S@example.dk about the repair", network="mastodon", handle="grethe")
    post["author"]["name"] = "Grethe"
    assert arrive(post).person == grethe


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

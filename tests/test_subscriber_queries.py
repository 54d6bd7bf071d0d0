"""The stream's after-store subscribers (identity linking, care intake) cost a fixed number of queries per batch,
whatever its size: measured with Django's CaptureQueriesContext at two batch sizes of the same mix."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rapport.care.intake import route_posts
from rapport.care.models import Conversation, Message
from rapport.care.tests.helpers import brand, person, post
from rapport.contacts.models import Person
from rapport.identity.models import IdentityClaim, SocialIdentity
from rapport.listening import authors
from rapport.listening.models import Post
from rapport.pipeline.ingest import process_batch

pytestmark = pytest.mark.django_db
_run = itertools.count()


def _batch(workspace, size: int) -> list[int]:
    """A brand-heavy mix: a third to the brand from strangers, a third giving a known customer's email (to the
    brand), a sixth from known customers with an open conversation, the rest not for the brand."""
    run = next(_run)
    posts = []
    for i in range(size):
        kind = i % 6
        if kind in (0, 1):
            posts.append(post(f"@acmeair where is my refund? order {i} never came", handle=f"stranger{run}x{i}"))
        elif kind in (2, 3):
            Person.objects.create(workspace=workspace, first_name=f"Kim{run}x{i}", email=f"kim{run}x{i}@post.dk")
            text = f"@acmeair I am kim{run}x{i}@post.dk, why was I charged twice?"
            posts.append(post(text, handle=f"kim{run}x{i}"))
        elif kind == 4:
            handle = f"known{run}x{i}"
            person(workspace, "Known", f"K{run}x{i}", handle=handle)
            posts.append(post(f"@acmeair still waiting, day {i}, any news?", handle=handle))
        else:
            posts.append(post(f"lovely sunset number {i}", handle=f"walker{run}x{i}"))
    before = set(Post.objects.values_list("pk", flat=True))
    process_batch(workspace_id=workspace.pk, posts=posts, detect_spikes=False)  # events left undelivered
    return sorted(set(Post.objects.values_list("pk", flat=True)) - before)


def _split(queries: list[dict]) -> tuple[int, int]:
    """(statements other than INSERT, INSERT statements)."""
    inserts = sum(1 for q in queries if q["sql"].lstrip().upper().startswith("INSERT"))
    return len(queries) - inserts, inserts


def _cost(workspace, ids: list[int]) -> dict[str, tuple[int, int]]:
    with CaptureQueriesContext(connection) as linking:
        authors.link_posts(workspace=workspace, post_ids=ids)
    with CaptureQueriesContext(connection) as routing:
        route_posts(workspace=workspace, post_ids=ids)
    return {"linking": _split(linking.captured_queries), "routing": _split(routing.captured_queries)}


def test_query_count_is_the_same_for_12_and_120_posts(workspace):
    brand(workspace)
    small = _cost(workspace, _batch(workspace, 12))
    large_ids = _batch(workspace, 120)
    large = _cost(workspace, large_ids)
    for step in ("linking", "routing"):
        (reads_small, inserts_small), (reads_large, inserts_large) = small[step], large[step]
        # Reads, updates and savepoints: the same statements for ten times the posts.
        assert reads_large == reads_small, (step, small, large)
        # Inserts are one per table, except that Django splits a bulk insert at SQLite's 999 bound parameters
        # (a few dozen rows of a wide table); PostgreSQL takes each in one statement.
        limit = inserts_small if connection.vendor != "sqlite" else inserts_small + 120 // 30
        assert inserts_large <= limit, (step, small, large)
    # and the work was done: the customers who gave their email claim to be those customers (an address typed in
    # a post is not proof, so nobody is linked by it), and the brand's posts are in the inbox
    claims = IdentityClaim.objects.filter(identity__handle__startswith="kim", status="pending")
    assert claims.count() == 2 * 2 + 2 * 20
    assert all(c.person.email.startswith(c.identity.handle) for c in claims.select_related("person", "identity"))
    assert not SocialIdentity.objects.filter(handle__startswith="kim", person__isnull=False).exists()
    to_brand = Post.objects.filter(pk__in=large_ids, text__startswith="@acmeair").count()
    assert Message.objects.filter(post_id__in=large_ids).count() == to_brand == 100
    assert Conversation.objects.count() > 0


def test_subscribers_are_idempotent(workspace):
    brand(workspace)
    ids = _batch(workspace, 24)
    _cost(workspace, ids)
    state = (Message.objects.count(), Conversation.objects.count(), Person.objects.count())
    links = dict(SocialIdentity.objects.values_list("pk", "person_id"))
    claims = sorted(IdentityClaim.objects.values_list("pk", "identity_id", "person_id"))
    assert len(claims) == 8
    assert authors.link_posts(workspace=workspace, post_ids=ids) == 0
    assert sorted(IdentityClaim.objects.values_list("pk", "identity_id", "person_id")) == claims
    again = route_posts(workspace=workspace, post_ids=ids)
    assert again["opened"] == again["joined"] == 0
    assert (Message.objects.count(), Conversation.objects.count(), Person.objects.count()) == state
    assert dict(SocialIdentity.objects.values_list("pk", "person_id")) == links

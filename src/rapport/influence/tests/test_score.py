"""The graph from payloads, additive components, calibration, robustness, consent and incremental updates."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rapport.consent.models import Purpose
from rapport.consent.services import object_to
from rapport.contacts.models import Person
from rapport.identity.models import SocialIdentity
from rapport.influence import services
from rapport.influence.features import SHARE_KINDS
from rapport.influence.graph import ingest_posts
from rapport.influence.models import FollowerSnapshot, Interaction, PendingUpdate, Score
from rapport.influence.scoring import split_points, split_points_array
from rapport.influence.tests.helpers import NOW, ingest, population, post
from rapport.listening.models import Post

pytestmark = pytest.mark.django_db


def score_of(workspace, handle: str) -> Score:
    ident = SocialIdentity.objects.get(workspace=workspace, handle_key=handle)
    return Score.objects.get(workspace=workspace, subject=f"i{ident.pk}", topic=0)


def test_x_payload_mentions_quotes_and_replies_become_edges_once(workspace, django_capture_on_commit_callbacks):
    ingest(workspace, [post(1, "alice", 500), post(2, "bob", 80)], django_capture_on_commit_callbacks)
    raw = {
        "id_str": "3",
        "entities": {"user_mentions": [{"id_str": "twitter-u-bob", "screen_name": "bob"}]},
        "quoted_status": {"id_str": "twitter-1", "user": {"id_str": "twitter-u-alice", "screen_name": "alice"}},
    }
    batch = [
        post(3, "carol", 40, text="@bob look at this", raw=raw),
        post(4, "dave", 40, text="indeed", kind="reply", in_reply_to="twitter-1"),
        post(5, "erin", 40, text="hello @nobody_known and @bob"),
    ]
    ingest(workspace, batch, django_capture_on_commit_callbacks)
    edges = {
        (e.source.handle, e.kind, e.target.handle if e.target else e.target_key) for e in Interaction.objects.all()
    }
    assert edges == {
        ("carol", "mention", "bob"),
        ("carol", "quote", "alice"),
        ("dave", "reply", "alice"),
        ("erin", "mention", "bob"),
        ("erin", "mention", "twitter:@nobody_known"),
    }
    quote = Interaction.objects.get(kind="quote")
    assert quote.target_post.external_id == "twitter-1"
    assert FollowerSnapshot.objects.filter(identity__handle="alice", followers=500).exists()
    assert PendingUpdate.objects.filter(identity__handle="alice").exists()
    ingest(workspace, batch, django_capture_on_commit_callbacks)  # redelivery adds nothing
    assert Interaction.objects.count() == 5


def test_a_second_ingest_the_same_day_overwrites_the_days_follower_count(workspace, django_capture_on_commit_callbacks):
    ingest(workspace, [post(1, "alice", 500)], django_capture_on_commit_callbacks)
    SocialIdentity.objects.filter(workspace=workspace, handle_key="alice").update(followers=650)
    ingest_posts(workspace.pk, Post.objects.filter(workspace=workspace).values_list("pk", flat=True))
    snaps = list(FollowerSnapshot.objects.filter(identity__handle="alice").values_list("followers", flat=True))
    assert snaps == [650]


def test_a_score_as_of_a_past_day_counts_nothing_posted_after_it(workspace, django_capture_on_commit_callbacks):
    posts = population()
    ingest(workspace, posts, django_capture_on_commit_callbacks)
    then = NOW - timedelta(days=10) + timedelta(minutes=1100)  # half of the population's posts are later
    services.recompute(workspace.pk, now=then)
    heard = Post.objects.filter(workspace=workspace, created_at__lte=then)
    assert 0 < heard.count() < len(posts)
    scored = Score.objects.filter(workspace=workspace, topic=0, subject__startswith="i")
    assert sum(s.features["posts"] for s in scored) == heard.count()
    amplifiers = {
        (t, s)
        for s, t in Interaction.objects.filter(
            workspace=workspace, created_at__lte=then, target__isnull=False, kind__in=SHARE_KINDS
        ).values_list("source_id", "target_id")
    }
    assert len(amplifiers) < Interaction.objects.filter(workspace=workspace, target__isnull=False).count()
    assert sum(s.features["amplifiers"] for s in scored) == len(amplifiers)


def test_components_add_up_exactly_and_the_scale_is_anchored(workspace, django_capture_on_commit_callbacks):
    ingest(workspace, population(), django_capture_on_commit_callbacks)
    result = services.recompute(workspace.pk, now=NOW)
    assert result["identities"] == 40
    rows = list(Score.objects.filter(workspace=workspace, topic=0))
    assert len(rows) == 40
    for row in rows:
        assert 1 <= row.score <= 100
        assert sum(row.components.values()) == row.score
        assert [c["name"] for c in services.components_out(row)] == [
            "reach",
            "engagement",
            "amplification",
            "network",
            "topical",
        ]
    scores = sorted(r.score for r in rows)
    assert 45 <= scores[len(scores) // 2] <= 55  # the typical active author is about 50
    assert sum(s >= 60 for s in scores) <= 4  # 60 is rare: the top 5 % or so


def test_split_points_is_exact_and_proportional():
    assert split_points(60, [1.0, 1.0, 1.0]) == [20, 20, 20]
    assert sum(split_points(61, [0.3, 0.2, 0.5])) == 61
    assert split_points(7, [0, 0, 0]) == [7, 0, 0]
    import numpy as np

    got = split_points_array(np.array([61, 7]), np.array([[0.3, 0.2, 0.5], [0.0, 0.0, 0.0]]))
    assert got.tolist() == [split_points(61, [0.3, 0.2, 0.5]), [7, 0, 0]]


def _baseline(workspace, capture):
    posts = population()
    ingest(workspace, posts, capture)
    services.recompute(workspace.pk, now=NOW)
    return posts


def test_bought_followers_move_the_score_at_most_five_points(workspace, django_capture_on_commit_callbacks):
    _baseline(workspace, django_capture_on_commit_callbacks)
    before = score_of(workspace, "a3").score
    ident = SocialIdentity.objects.get(workspace=workspace, handle_key="a3")
    SocialIdentity.objects.filter(pk=ident.pk).update(followers=ident.followers + 100_000)
    services.recompute(workspace.pk, now=NOW)
    after = score_of(workspace, "a3")
    assert after.features["followers"] >= 100_000
    assert abs(after.score - before) <= 5


def test_an_author_widely_shared_by_others_moves_up(workspace, django_capture_on_commit_callbacks):
    _baseline(workspace, django_capture_on_commit_callbacks)
    row = score_of(workspace, "a5")
    before, amplifiers = row.score, row.features["amplifiers"]
    original = row.identity.posts.first()
    shares = [
        post(5000 + i, f"sharer{i}", 200, text=f"so true {i}", kind="quote", in_reply_to=original.external_id)
        for i in range(30)
    ]
    ingest(workspace, shares, django_capture_on_commit_callbacks)
    services.recompute(workspace.pk, now=NOW)
    after = score_of(workspace, "a5")
    assert after.score > before
    assert after.features["amplifiers"] == amplifiers + 30


def test_a_ring_that_only_mentions_itself_does_not_lift_itself(workspace, django_capture_on_commit_callbacks):
    _baseline(workspace, django_capture_on_commit_callbacks)
    ring = [f"ring{i}" for i in range(8)]
    ingest(
        workspace, [post(7000 + i, h, 50, text="hello") for i, h in enumerate(ring)], django_capture_on_commit_callbacks
    )
    services.recompute(workspace.pk, now=NOW)
    alone = {h: score_of(workspace, h) for h in ring}
    chatter = [
        post(8000 + 10 * i + j, h, 50, text=" ".join(f"@{o}" for o in ring if o != h))
        for i, h in enumerate(ring)
        for j in range(5)
    ]
    ingest(workspace, chatter, django_capture_on_commit_callbacks)
    services.recompute(workspace.pk, now=NOW)
    assert Interaction.objects.filter(source__handle__in=ring, target__handle__in=ring).count() == 8 * 7 * 5
    for h in ring:
        row = score_of(workspace, h)
        assert row.features["pagerank"] <= alone[h].features["pagerank"] * 1.01
        # Five more posts each can raise engagement's shrunk estimate a little, never the network or amplification.
        assert row.components["amplification"] == 0
        assert row.score <= alone[h].score + 2, (h, alone[h].score, row.score)


def test_an_objector_has_no_score_and_is_never_ranked(workspace, django_capture_on_commit_callbacks):
    _baseline(workspace, django_capture_on_commit_callbacks)
    top = Score.objects.filter(workspace=workspace, topic=0).order_by("-score").first()
    person = Person.objects.create(workspace=workspace, first_name="Tess", last_name="Top")
    SocialIdentity.objects.filter(pk=top.identity_id).update(person=person)
    services.recompute(workspace.pk, now=NOW)
    assert services.contact_influence(person)["score"] == top.score
    rows, _ = services.ranked(workspace.pk, limit=100)
    assert person.pk in {r.person_id for r in rows}
    object_to(person, Purpose.PROFILING, source="email to the DPO")
    rows, _ = services.ranked(workspace.pk, limit=100)  # at once, before any recompute
    assert person.pk not in {r.person_id for r in rows}
    assert services.contact_influence(person) is None and services.history(person) == []
    services.recompute(workspace.pk, now=NOW)
    assert not Score.objects.filter(person=person).exists()
    assert not Score.objects.filter(identity_id=top.identity_id).exists()


def test_incremental_update_rescores_the_touched_accounts(workspace, django_capture_on_commit_callbacks):
    _baseline(workspace, django_capture_on_commit_callbacks)
    before = score_of(workspace, "a7")
    original = before.identity.posts.first()
    ingest(
        workspace,
        [post(9000 + i, f"fan{i}", 300, kind="repost", in_reply_to=original.external_id, text="rt") for i in range(20)],
        django_capture_on_commit_callbacks,
    )
    assert PendingUpdate.objects.filter(identity_id=before.identity_id).exists()
    assert services.refresh(workspace.pk, now=NOW)["rescored"] >= 21
    after = score_of(workspace, "a7")
    assert after.features["shares"] >= 20 and after.score > before.score
    assert after.features["pagerank"] == before.features["pagerank"]  # kept from the last recompute
    assert sum(after.components.values()) == after.score
    assert not PendingUpdate.objects.filter(workspace=workspace).exists()


def test_edges_to_accounts_heard_later_are_resolved_in_bulk(
    workspace, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    text = "hello @later_one @never_heard @nobody_else @ghost"
    ingest(workspace, [post(1, "erin", 40, text=text)], django_capture_on_commit_callbacks)
    assert Interaction.objects.filter(target__isnull=True).count() == 4
    ingest(workspace, [post(2, "later_one", 90)], django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(3):  # the open keys, one lookup for the handles, one update per account found
        assert services._resolve_targets(workspace.pk) == 1
    edge = Interaction.objects.get(target__isnull=False)
    assert edge.target.handle == "later_one" and edge.source.handle == "erin"
    assert Interaction.objects.filter(target__isnull=True).count() == 3


def test_incremental_sums_in_the_database_equal_the_full_recomputes_features(
    workspace, django_capture_on_commit_callbacks
):
    """The incremental update adds features up in SQL; they must be the ones features.build computes in Python,
    on posts with reactions, replies, reposts, quotes, topic matches, odd metrics and a private post."""
    import numpy as np

    from rapport.influence import features as feats
    from rapport.influence import incremental
    from rapport.listening.models import TrackingRule

    TrackingRule.objects.create(workspace=workspace, name="Travel", query="travel")
    posts = population(seed=11, authors=30)
    first = posts[0]["external_id"]
    posts += [
        post(5000 + i, f"fan{i % 4}", 50, kind="repost", in_reply_to=first, metrics={"reposts": i}) for i in range(6)
    ]
    posts += [post(5100, "odd", 10, metrics={"likes": 2.5, "reposts": "7", "replies": -3, "quotes": 4})]
    posts += [post(5101, "odd", 10, kind="quote", in_reply_to="twitter-5000", text="travel quote")]
    ingest(workspace, posts, django_capture_on_commit_callbacks)
    Post.objects.filter(workspace=workspace, external_id=posts[3]["external_id"]).update(private=True)
    since, until = NOW - timedelta(days=services.WINDOW_DAYS), NOW
    full = feats.build(*services._rows(workspace.pk, since, None, until=until)[:4])
    ids = [int(i) for i in full["ids"]]
    sql = incremental.features_for(workspace.pk, ids[::2], since, until)  # every other account
    assert len(sql["ids"]) == len(ids[::2])
    rows = [full["index"][int(i)] for i in sql["ids"]]
    for name in feats.FEATURES:
        if name != "pagerank":
            assert np.array_equal(sql[name], full[name][rows]), name
    assert full["topic_posts"].sum() > 0 and full["second_degree"].sum() > 0
    everyone = incremental.features_for(workspace.pk, ids, since, until)
    for name in ("second_degree", "topic_posts", "amplifiers", "reactions"):
        assert np.array_equal(everyone[name], full[name][[full["index"][int(i)] for i in everyone["ids"]]]), name

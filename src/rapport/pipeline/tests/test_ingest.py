"""The batch pipeline: idempotent storage, exact counts, analysis, rules, authors and the contact timeline."""

from __future__ import annotations

import pytest

from rapport.contacts.models import Person, Touchpoint
from rapport.identity.models import SocialIdentity
from rapport.listening.models import Post, PostRule, TrackingRule
from rapport.pipeline.ingest import process_batch
from rapport.pipeline.tests.factories import make_post

pytestmark = pytest.mark.django_db


def test_same_batch_twice_stores_nothing_twice(workspace):
    posts = [make_post(i) for i in range(50)]
    first = process_batch(workspace_id=workspace.pk, posts=posts)
    again = process_batch(workspace_id=workspace.pk, posts=posts)
    assert (first.received, first.stored, first.duplicates) == (50, 50, 0)
    assert (again.received, again.stored, again.duplicates) == (50, 0, 50)
    assert Post.objects.filter(workspace=workspace).count() == 50


def test_repeats_inside_a_batch_and_overlap_with_stored_are_counted_as_duplicates(workspace):
    process_batch(workspace_id=workspace.pk, posts=[make_post(i) for i in range(10)])
    batch = [make_post(i) for i in range(5, 15)] + [make_post(12), make_post(13)]
    result = process_batch(workspace_id=workspace.pk, posts=batch)
    assert (result.received, result.stored, result.duplicates) == (12, 5, 7)
    assert result.stored_keys == {("twitter", f"twitter-{i}") for i in range(10, 15)}


def test_same_external_id_on_another_network_or_workspace_is_a_different_post(workspace, other_workspace):
    process_batch(workspace_id=workspace.pk, posts=[make_post(1)])
    assert process_batch(workspace_id=workspace.pk, posts=[make_post(1, network="mastodon")]).stored == 1
    assert process_batch(workspace_id=other_workspace.pk, posts=[make_post(1)]).stored == 1


def test_posts_are_analysed_for_language_and_sentiment(workspace):
    posts = [
        make_post(1, "My bag was lost and nobody at the desk would help me, worst trip ever"),
        make_post(2, "Thank you so much, the crew was wonderful and the flight was lovely!"),
        make_post(3, "Jeg har ventet i over en time på min bagage, og ingen kan hjælpe mig"),
    ]
    process_batch(workspace_id=workspace.pk, posts=posts)
    got = {p.external_id: p for p in Post.objects.filter(workspace=workspace)}
    assert got["twitter-1"].sentiment_label == "negative" and got["twitter-1"].sentiment_score < 0
    assert got["twitter-2"].sentiment_label == "positive" and got["twitter-2"].sentiment_score > 0
    assert [got[f"twitter-{i}"].language for i in (1, 2, 3)] == ["en", "en", "da"]


def test_rules_tag_matching_posts(workspace):
    brand = TrackingRule.objects.create(workspace=workspace, name="Acme", query='acme OR @acmeair OR "acme air"')
    rival = TrackingRule.objects.create(
        workspace=workspace, name="Rival", query="globex AND NOT job", kind="competitor"
    )
    posts = [
        make_post(1, "Flying with @AcmeAir today"),
        make_post(2, "globex lost my luggage again"),
        make_post(3, "globex job offer in Berlin"),
        make_post(4, "nothing to see"),
    ]
    process_batch(workspace_id=workspace.pk, posts=posts)
    pairs = set(PostRule.objects.values_list("post__external_id", "rule__name"))
    assert pairs == {("twitter-1", "Acme"), ("twitter-2", "Rival")}
    assert brand.matches.count() == 1 and rival.matches.count() == 1


def test_authors_get_identities_and_known_people_get_a_timeline_entry(workspace):
    dave = Person.objects.create(workspace=workspace, first_name="Dave", last_name="Carroll")
    SocialIdentity.objects.create(workspace=workspace, network="twitter", handle="DaveCarrollMusic", person=dave)
    posts = [
        make_post(1, "United breaks guitars, a song", handle="davecarrollmusic"),
        make_post(2, "Some stranger posting", handle="stranger"),
        make_post(3, "Stranger again", handle="stranger"),
    ]
    result = process_batch(workspace_id=workspace.pk, posts=posts)
    assert result.identities_created == 1 and result.touchpoints == 1
    stranger = SocialIdentity.objects.get(workspace=workspace, handle_key="stranger")
    assert stranger.external_id == "twitter-u-stranger" and stranger.person is None
    assert Post.objects.filter(author=stranger).count() == 2
    dave_identity = SocialIdentity.objects.get(workspace=workspace, handle_key="davecarrollmusic")
    assert dave_identity.external_id == "twitter-u-davecarrollmusic"  # filled in from the post
    post = Post.objects.get(external_id="twitter-1")
    assert post.person == dave and post.author == dave_identity
    touch = Touchpoint.objects.get(person=dave)
    assert (touch.kind, touch.channel, touch.source, touch.source_id) == ("post", "twitter", "post", str(post.pk))


def test_a_reused_handle_goes_to_the_new_account_and_the_old_one_keeps_its_history(workspace):
    old_owner = Person.objects.create(workspace=workspace, first_name="Old", last_name="Owner")
    old = SocialIdentity.objects.create(
        workspace=workspace, network="twitter", handle="sunny", external_id="tw-1", person=old_owner
    )
    post = make_post(7, "Hello from the new sunny", handle="sunny")
    post["author"]["external_id"] = "tw-2"
    result = process_batch(workspace_id=workspace.pk, posts=[post])
    assert result.identities_created == 1
    new = SocialIdentity.objects.get(workspace=workspace, network="twitter", external_id="tw-2")
    stored = Post.objects.get(external_id="twitter-7")
    assert stored.author == new and new.handle_key == "sunny" and stored.person is None
    old.refresh_from_db()
    assert (old.external_id, old.person, old.handle_key) == ("tw-1", old_owner, "")


def test_cross_posts_are_flagged_as_near_duplicates(workspace):
    text = "Our new espresso machine is out today! https://ex.com/a"
    process_batch(workspace_id=workspace.pk, posts=[make_post(1, text)])
    process_batch(
        workspace_id=workspace.pk,
        posts=[
            make_post(2, "our NEW espresso machine is out today!!! https://fb.me/xyz", network="facebook"),
            make_post(3, "Our new coffee grinder is out today, have a look"),
        ],
    )
    original = Post.objects.get(external_id="twitter-1")
    assert Post.objects.get(external_id="facebook-2").near_duplicate_of == original
    assert Post.objects.get(external_id="twitter-3").near_duplicate_of is None
    assert original.near_duplicate_of is None

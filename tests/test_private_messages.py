"""One rule for private messages, held on every path that lists, searches, exports or shows a post's text.

A direct message in the Social team's conversation: admins and Social's agents read it (inbox, timelines); an agent
of another team, a marketer and a DPO see on a timeline that a private message exists, not what it says; the
public-listening views (mentions, their search by author, their charts) leave it out for every role.
"""

from __future__ import annotations

import importlib

import pytest
from conftest import PASSWORD, ApiClient
from django.apps import apps
from django.test import Client

from rapport.care.models import AgentProfile, Conversation, ConversationStatus, Team
from rapport.care.tests.helpers import brand, ingest, person, post
from rapport.contacts.models import Affiliation, Organization, Touchpoint
from rapport.core.models import Role
from rapport.core.privacy import Reader, is_private, readable_private_posts
from rapport.core.services import issue_token
from rapport.listening.models import HourlyCount, Post

pytestmark = pytest.mark.django_db

SECRET = "my passport number is X1234567, please rebook me"
PUBLIC = "@acmeair thanks for the lounge upgrade today"
READERS = ("admin", "social_agent")
OTHERS = ("billing_agent", "marketer", "dpo")


@pytest.fixture
def dm(workspace, member_factory, django_capture_on_commit_callbacks):
    """Ana's DM in a conversation of the Social team, one public mention by her, and a member of every role."""
    brand(workspace)
    ana = person(workspace, "Ana", "Lopez", handle="analopez")
    org = Organization.objects.create(workspace=workspace, name="Lopez Travel")
    Affiliation.objects.create(workspace=workspace, person=ana, organization=org)
    ingest(workspace, [post(SECRET, handle="analopez", kind="direct_message")], django_capture_on_commit_callbacks)
    conv = Conversation.objects.get(workspace=workspace, person=ana)
    social = Team.objects.create(workspace=workspace, name="Social")
    billing = Team.objects.create(workspace=workspace, name="Billing")
    Conversation.objects.filter(pk=conv.pk).update(team=social, assignee=None)
    users = {}
    for role, name, team in [
        (Role.ADMIN, "admin", None),
        (Role.AGENT, "social_agent", social),
        (Role.AGENT, "billing_agent", billing),
        (Role.MARKETER, "marketer", None),
        (Role.DPO, "dpo", None),
    ]:
        users[name] = member_factory(workspace, role, email=f"{name}@acme.example").user
        if team is not None:
            AgentProfile.objects.create(workspace=workspace, user=users[name]).teams.add(team)
    ingest(workspace, [post(PUBLIC, handle="analopez")], django_capture_on_commit_callbacks)
    return {"person": ana, "org": org, "conversation": conv, "users": users, "workspace": workspace}


def _api(dm, name) -> ApiClient:
    token, _ = issue_token(email=dm["users"][name].email, password=PASSWORD, workspace_slug=dm["workspace"].slug)
    return ApiClient(token)


def _web(dm, name) -> Client:
    client = Client()
    client.force_login(dm["users"][name])
    return client


def test_the_flag_is_set_where_posts_and_their_entries_are_made(dm):
    (private,) = Post.objects.filter(text=SECRET)
    assert private.private is True
    assert Post.objects.get(text=PUBLIC).private is False
    assert Touchpoint.objects.get(source="post", source_id=str(private.pk)).private is True
    assert not Touchpoint.objects.filter(private=True).exclude(source_id=str(private.pk)).exists()
    assert is_private(kind="reply", network="email") and is_private(kind="post", network="chat")
    assert not is_private(kind="mention", network="twitter")


def test_migrations_back_fill_existing_rows_from_kind_and_network(dm):
    Post.objects.update(private=False)
    Touchpoint.objects.update(private=False)
    Touchpoint.objects.create(
        workspace=dm["workspace"],
        person=dm["person"],
        kind="chat",
        channel="chat",
        occurred_at=Post.objects.first().created_at,
        title="logged by an agent",
    )
    for module in (
        "rapport.listening.migrations.0002_private_messages",
        "rapport.contacts.migrations.0004_private_messages",
    ):
        importlib.import_module(module).backfill(apps, None)
    assert list(Post.objects.filter(private=True).values_list("text", flat=True)) == [SECRET]
    assert list(Touchpoint.objects.filter(private=True).values_list("body", flat=True)) == [SECRET]


def test_private_messages_feed_no_listening_series_or_spike_topics(dm, django_capture_on_commit_callbacks):
    tagged = post("#refundgate @someagent my booking ref is QX77", handle="analopez", kind="direct_message")
    ingest(dm["workspace"], [tagged], django_capture_on_commit_callbacks)
    assert not HourlyCount.objects.filter(key__in=["#refundgate", "@someagent"]).exists()
    assert sum(HourlyCount.objects.filter(dimension="all").values_list("total", flat=True)) == 1  # the public one


def test_the_inbox_itself_is_the_rule_being_mirrored(dm):
    conv = dm["conversation"]
    assert SECRET in _api(dm, "social_agent").get(f"/conversations/{conv.pk}").content.decode()
    assert _api(dm, "billing_agent").get(f"/conversations/{conv.pk}").status_code == 404
    assert _api(dm, "marketer").get(f"/conversations/{conv.pk}").status_code == 403
    assert _api(dm, "dpo").get(f"/conversations/{conv.pk}").status_code == 403


@pytest.mark.parametrize("name", READERS + OTHERS)
def test_mentions_api_by_author_and_contact_leave_private_messages_out(dm, name):
    client = _api(dm, name)
    for params in ({"author": "analopez"}, {"author": "@analopez"}, {"contact": dm["person"].pk}, {}):
        r = client.get("/mentions", **params)
        assert r.status_code == 200
        texts = [m["text"] for m in r.json()["items"]]
        assert texts == [PUBLIC], params


@pytest.mark.parametrize("name", READERS + OTHERS)
def test_mention_stats_count_public_posts_only(dm, name):
    stats = _api(dm, name).get("/mentions/stats", author="analopez").json()
    assert sum(p["total"] for p in stats["series"]) == 1
    assert sum(stats["sentiment"].values()) == 1


@pytest.mark.parametrize("name", READERS + OTHERS)
def test_mentions_page_leaves_private_messages_out(dm, name):
    client = _web(dm, name)
    for query in ("?author=analopez", "", "?period=24h"):
        page = client.get(f"/mentions/{query}")
        assert page.status_code == 200
        body = page.content.decode()
        assert "passport" not in body and "lounge upgrade" in body, query
    partial = client.get("/mentions/?author=analopez", HTTP_HX_REQUEST="true").content.decode()
    assert "passport" not in partial


def _dm_entry(items):
    (entry,) = [t for t in items if t["kind"] == "message"]
    return entry


@pytest.mark.parametrize("name", READERS)
def test_timeline_api_shows_the_text_to_the_conversations_readers(dm, name):
    for path in (f"/contacts/{dm['person'].pk}/timeline", f"/organisations/{dm['org'].pk}/timeline"):
        entry = _dm_entry(_api(dm, name).get(path).json()["items"])
        assert entry["private"] is True and entry["withheld"] is False
        assert entry["body"] == SECRET, path


@pytest.mark.parametrize("name", OTHERS)
def test_timeline_api_shows_others_only_that_a_private_message_exists(dm, name):
    for path in (f"/contacts/{dm['person'].pk}/timeline", f"/organisations/{dm['org'].pk}/timeline"):
        r = _api(dm, name).get(path)
        assert r.status_code == 200
        assert "passport" not in r.content.decode(), path
        entry = _dm_entry(r.json()["items"])
        assert entry["private"] is True and entry["withheld"] is True
        assert entry["title"] == entry["body"] == ""
        assert entry["channel"] == "twitter" and entry["occurred_at"]
        public = [t for t in r.json()["items"] if t["kind"] == "post"]
        assert public and public[0]["body"] == PUBLIC and public[0]["withheld"] is False


@pytest.mark.parametrize("name", READERS + OTHERS)
def test_person_page_and_its_timeline_partial(dm, name):
    client = _web(dm, name)
    pk = dm["person"].pk
    for path in (f"/contacts/{pk}/", f"/contacts/{pk}/timeline/"):
        body = client.get(path).content.decode()
        assert "lounge upgrade" in body
        if name in READERS:
            assert "passport" in body, path
        else:
            assert "passport" not in body and "Private message" in body, path


@pytest.mark.parametrize("name", ["admin", "marketer", "dpo"])
def test_csv_export_holds_no_private_text(dm, name):
    response = _web(dm, name).get("/contacts/export.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert "Lopez" in body and "passport" not in body


def test_conversation_page_history_withholds_another_teams_private_message(dm, django_capture_on_commit_callbacks):
    """Social's agent opens Ana's new conversation; her earlier DM, handled by Billing, shows as a private message."""
    old = dm["conversation"]
    billing = Team.objects.get(name="Billing")
    Conversation.objects.filter(pk=old.pk).update(team=billing, status=ConversationStatus.RESOLVED)
    refund = post("@acmeair where is my refund?", handle="analopez")
    ingest(dm["workspace"], [refund], django_capture_on_commit_callbacks)
    new = Conversation.objects.exclude(pk=old.pk).get(person=dm["person"])
    Conversation.objects.filter(pk=new.pk).update(team=Team.objects.get(name="Social"))
    social_page = _web(dm, "social_agent").get(f"/inbox/{new.pk}/").content.decode()
    assert "refund" in social_page and "passport" not in social_page and "private message" in social_page
    assert "passport" in _web(dm, "admin").get(f"/inbox/{new.pk}/").content.decode()
    assert "passport" in _web(dm, "billing_agent").get(f"/inbox/{old.pk}/").content.decode()


def test_readable_private_posts_answers_for_a_page_at_once(dm, django_assert_max_num_queries):
    pk = Post.objects.get(text=SECRET).pk
    ws = dm["workspace"].pk
    users = dm["users"]
    assert readable_private_posts(reader=Reader(ws, users["admin"], Role.ADMIN), post_ids=[pk]) == {pk}
    with django_assert_max_num_queries(2):
        assert readable_private_posts(reader=Reader(ws, users["social_agent"], Role.AGENT), post_ids=[pk]) == {pk}
    assert readable_private_posts(reader=Reader(ws, users["billing_agent"], Role.AGENT), post_ids=[pk]) == set()
    assert readable_private_posts(reader=Reader(ws, users["marketer"], Role.MARKETER), post_ids=[pk]) == set()
    assert readable_private_posts(reader=Reader(ws, users["dpo"], Role.DPO), post_ids=[pk]) == set()
    assert readable_private_posts(reader=None, post_ids=[pk]) == set()

"""The conversations API: contract fields, actions, and that agents see only their workspace and teams."""


import pytest
from conftest import PASSWORD, ApiClient

from rapport.care.models import AgentProfile, CannedReply, Conversation, Message, Team
from rapport.care.tests.helpers import brand, ingest, person, post, social_policy
from rapport.core.models import Role
from rapport.core.services import issue_token

pytestmark = pytest.mark.django_db


def _client_for(user, workspace) -> ApiClient:
    token, _ = issue_token(email=user.email, password=PASSWORD, workspace_slug=workspace.slug)
    return ApiClient(token)


@pytest.fixture
def inbox(workspace, django_capture_on_commit_callbacks):
    brand(workspace)
    social_policy(workspace, first=60)
    person(workspace, "Ana", "Lopez", handle="analopez", followers=90000, tags=["gold"])
    person(workspace, "Bo", "Berg", handle="boberg")
    ingest(
        workspace,
        [
            post("@acmeair my bag is lost and nobody answers, terrible", handle="analopez"),
            post("@acmeair how do I add a pet to my booking?", handle="boberg"),
        ],
        django_capture_on_commit_callbacks,
    )
    return Conversation.objects.order_by("-priority")


def test_queue_contract_and_order(api, inbox):
    r = api.get("/conversations", order="priority")
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["id"] for i in items] == [c.pk for c in inbox]
    first = items[0]
    for key in ("id", "contact", "status", "priority", "priority_reasons", "sentiment", "sla_due_at"):
        assert key in first
    assert set(first["sentiment"]) == {"label", "score"}
    assert first["contact"]["name"] == "Ana Lopez"
    assert first["priority"] >= items[1]["priority"]
    assert {r["factor"] for r in first["priority_reasons"]} >= {"influence", "tier"}
    assert first["sla_due_at"] is not None
    for odd in ("²", "-3", "9" * 25):  # not a user id: the field is named, never a 500
        bad = api.get("/conversations", assignee=odd)
        assert bad.status_code == 422 and "assignee" in str(bad.json()), odd


def test_queue_filters_and_cursor(api, inbox):
    ana = inbox[0]
    r = api.get("/conversations", contact=ana.person_id)
    assert [i["id"] for i in r.json()["items"]] == [ana.pk]
    page1 = api.get("/conversations", limit=1).json()
    assert len(page1["items"]) == 1 and page1["next_cursor"]
    page2 = api.get("/conversations", limit=1, cursor=page1["next_cursor"]).json()
    assert page2["items"][0]["id"] != page1["items"][0]["id"]
    assert page2["next_cursor"] is None
    assert api.get("/conversations", status="resolved").json()["items"] == []
    assert api.get("/conversations", cursor="garbage!").status_code == 422


def test_detail_reply_note_assign_resolve(api, inbox, member_factory, workspace):
    conv = inbox[1]
    d = api.get(f"/conversations/{conv.pk}").json()
    assert d["messages"][0]["direction"] == "inbound"
    assert {"network", "external_id", "direction", "text", "created_at"} <= set(d["messages"][0])
    r = api.post(f"/conversations/{conv.pk}/reply", {"text": "Hi Bo, you can add a pet under Manage booking."})
    assert r.status_code == 201
    assert r.json()["direction"] == "outbound"
    assert r.json()["delivery_status"] in ("sent", "failed")  # no fake server here: kept either way
    assert api.post(f"/conversations/{conv.pk}/notes", {"text": "VIP? check"}).status_code == 201
    agent = member_factory(workspace, Role.AGENT).user
    r = api.post(f"/conversations/{conv.pk}/assign", {"assignee": agent.pk})
    assert r.status_code == 200 and r.json()["assignee"] == agent.pk
    assert api.post(f"/conversations/{conv.pk}/resolve").json()["status"] == "resolved"
    d = api.get(f"/conversations/{conv.pk}").json()
    assert [m["direction"] for m in d["messages"]] == ["inbound", "outbound", "note"]
    assert api.post(f"/conversations/{conv.pk}/csat", {"score": 5}).status_code == 201
    assert api.post(f"/conversations/{conv.pk}/csat", {"score": 9}).status_code == 422
    assert api.post(f"/conversations/{conv.pk}/reply", {"text": "  "}).status_code == 422


def test_canned_replies_listed(api, workspace):
    CannedReply.objects.create(workspace=workspace, name="hello", text="Hi {{first_name}}")
    assert [c["name"] for c in api.get("/canned-replies").json()["items"]] == ["hello"]


def test_other_workspace_sees_nothing(api_factory, other_workspace, inbox):
    other = api_factory(other_workspace, Role.ADMIN)
    conv = inbox[0]
    assert other.get("/conversations").json()["items"] == []
    assert other.get(f"/conversations/{conv.pk}").status_code == 404
    for action, body in [
        ("reply", {"text": "x"}),
        ("notes", {"text": "x"}),
        ("resolve", {}),
        ("assign", {"assignee": 1}),
        ("status", {"status": "pending"}),
        ("tags", {"tags": ["a"]}),
        ("csat", {"score": 3}),
    ]:
        assert other.post(f"/conversations/{conv.pk}/{action}", body).status_code == 404, action
    CannedReply.objects.create(workspace=inbox[0].workspace, name="secret", text="x")
    assert other.get("/canned-replies").json()["items"] == []
    assert Message.objects.filter(conversation=conv).count() == 1


def test_report_is_for_admins_and_team_canned_replies_for_the_team(api, workspace, member_factory, inbox):
    assert set(api.get("/conversations/report").json()) == {"sla", "effort"}
    social = Team.objects.create(workspace=workspace, name="Social")
    other = Team.objects.create(workspace=workspace, name="Billing")
    CannedReply.objects.create(workspace=workspace, name="general", text="Hi")
    CannedReply.objects.create(workspace=workspace, name="social only", text="Hi", team=social)
    CannedReply.objects.create(workspace=workspace, name="billing only", text="Hi", team=other)
    agent = member_factory(workspace, Role.AGENT).user
    AgentProfile.objects.create(workspace=workspace, user=agent).teams.add(social)
    client = _client_for(agent, workspace)
    assert client.get("/conversations/report").status_code == 403
    assert sorted(c["name"] for c in client.get("/canned-replies").json()["items"]) == ["general", "social only"]
    assert len(api.get("/canned-replies").json()["items"]) == 3


def test_agent_sees_only_their_teams(workspace, member_factory, inbox):
    social = Team.objects.create(workspace=workspace, name="Social")
    vip = Team.objects.create(workspace=workspace, name="VIP")
    ana_conv, bo_conv = inbox[0], inbox[1]
    Conversation.objects.filter(pk=ana_conv.pk).update(team=vip)
    Conversation.objects.filter(pk=bo_conv.pk).update(team=social)
    agent = member_factory(workspace, Role.AGENT).user
    AgentProfile.objects.create(workspace=workspace, user=agent).teams.add(social)
    client = _client_for(agent, workspace)
    assert [i["id"] for i in client.get("/conversations").json()["items"]] == [bo_conv.pk]
    assert client.get(f"/conversations/{ana_conv.pk}").status_code == 404
    for action, body in [
        ("reply", {"text": "x"}),
        ("notes", {"text": "x"}),
        ("resolve", {}),
        ("assign", {"team": social.pk}),
        ("status", {"status": "pending"}),
        ("tags", {"tags": ["a"]}),
        ("csat", {"score": 3}),
    ]:
        assert client.post(f"/conversations/{ana_conv.pk}/{action}", body).status_code == 404, action
    assert client.get(f"/conversations/{bo_conv.pk}").status_code == 200


def test_roles_without_care_permission_are_refused(api_factory, workspace, inbox):
    marketer = api_factory(workspace, Role.MARKETER)
    assert marketer.get("/conversations").status_code == 403
    assert marketer.get("/canned-replies").status_code == 403
    assert marketer.post(f"/conversations/{inbox[0].pk}/reply", {"text": "x"}).status_code == 403
    assert ApiClient(None).get("/conversations").status_code == 401


def test_two_agents_opening_the_same_conversation_get_a_warning(workspace, member_factory, inbox):
    a = member_factory(workspace, Role.AGENT, email="a@acme.example").user
    b = member_factory(workspace, Role.AGENT, email="b@acme.example").user
    conv = inbox[0]
    assert _client_for(a, workspace).get(f"/conversations/{conv.pk}").json()["other_viewers"] == []
    assert _client_for(b, workspace).get(f"/conversations/{conv.pk}").json()["other_viewers"] == [a.pk]


def test_post_to_posts_api_opens_the_persons_conversation(api_factory, workspace, django_capture_on_commit_callbacks):
    brand(workspace)
    ana = person(workspace, "Ana", "Lopez", handle="analopez")
    client = api_factory(workspace, Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/posts", [post("@acmeair where is my refund? still nothing", handle="analopez")])
    assert r.status_code == 200 and r.json()["stored"] == 1
    items = client.get("/conversations", contact=ana.pk).json()["items"]
    assert len(items) == 1 and items[0]["contact"]["id"] == ana.pk
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/posts", [post("@acmeair hello??", handle="analopez")])
    assert Conversation.objects.filter(person=ana).count() == 1
    assert Message.objects.filter(conversation__person=ana).count() == 2

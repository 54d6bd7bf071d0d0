"""The agent's pages: queue, live event stream, conversation with timeline, reply, note, resolve, report."""

import pytest
from conftest import PASSWORD
from django.test import Client

from rapport.care.models import CannedReply, Conversation, Message
from rapport.care.tests.helpers import brand, ingest, person, post, social_policy
from rapport.core.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(workspace, member_factory):
    member = member_factory(workspace, Role.AGENT)
    client = Client()
    assert client.login(username=member.user.email, password=PASSWORD)
    return client


@pytest.fixture
def conv(workspace, django_capture_on_commit_callbacks):
    brand(workspace)
    social_policy(workspace)
    person(workspace, "Ana", "Lopez", handle="analopez", tags=["gold"])
    ingest(
        workspace,
        [post("@acmeair my bag is lost, where is it?", handle="analopez")],
        django_capture_on_commit_callbacks,
    )
    return Conversation.objects.get()


def test_queue_page_and_partial(agent_client, conv):
    page = agent_client.get("/inbox/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ana Lopez" in html and "EventSource" in html and 'data-due="' in html
    assert "Ana Lopez" in agent_client.get("/inbox/queue/").content.decode()


def test_event_stream_sends_a_queue_version(agent_client, conv):
    bad = agent_client.get("/inbox/events/", {"seconds": "soon"})
    assert bad.status_code == 400 and b"seconds" in bad.content
    r = agent_client.get("/inbox/events/", {"seconds": "0.3"})
    assert r["Content-Type"] == "text/event-stream"
    body = b"".join(r.streaming_content).decode()
    assert "event: queue\ndata: " in body  # (the stream closes the connection when it ends: nothing after it)


def test_conversation_reply_note_resolve(agent_client, conv, workspace):
    CannedReply.objects.create(workspace=workspace, name="Sorry", text="Hi {{first_name}}, sorry!")
    page = agent_client.get(f"/inbox/{conv.pk}/").content.decode()
    assert "Hi Ana, sorry!" in page and "Timeline" in page and "gold" in page
    agent_client.post(f"/inbox/{conv.pk}/reply/", {"text": "On it, Ana."})
    agent_client.post(f"/inbox/{conv.pk}/reply/", {"text": "Check the Lisbon hub", "note": "1"})
    assert list(Message.objects.filter(conversation=conv).values_list("direction", flat=True)) == [
        "inbound",
        "outbound",
        "note",
    ]
    agent_client.post(f"/inbox/{conv.pk}/status/", {"status": "resolved"})
    conv.refresh_from_db()
    assert conv.status == "resolved"
    assert agent_client.get("/inbox/report/").status_code == 403


def test_report_page_for_admins(workspace, member_factory, conv):
    admin = member_factory(workspace, Role.ADMIN)
    client = Client()
    client.login(username=admin.user.email, password=PASSWORD)
    from rapport.care import services
    from rapport.core.actors import Actor

    services.resolve(conversation=conv, actor=Actor.system("test"))
    report = client.get("/inbox/report/").content.decode()
    assert "report-chart" in report and "twitter" in report


def test_other_workspace_and_marketers_cannot_open(conv, other_workspace, member_factory, workspace):
    outsider = member_factory(other_workspace, Role.ADMIN, email="boss@globex.example")
    client = Client()
    client.login(username=outsider.user.email, password=PASSWORD)
    assert client.get(f"/inbox/{conv.pk}/").status_code == 404
    assert "Ana" not in client.get("/inbox/queue/").content.decode()
    marketer = member_factory(workspace, Role.MARKETER)
    client = Client()
    client.login(username=marketer.user.email, password=PASSWORD)
    assert client.get("/inbox/").status_code == 403


def test_live_queue_speaks_only_of_changes_the_agent_can_see(workspace, member_factory):
    from rapport.care.live import QueueWatch
    from rapport.care.models import AgentProfile, Team

    mine, theirs = (Team.objects.create(workspace=workspace, name=n) for n in ("Social", "Email"))
    agent = member_factory(workspace, Role.AGENT).user
    AgentProfile.objects.create(workspace=workspace, user=agent).teams.add(mine)
    seen = Conversation.objects.create(workspace=workspace, team=mine, subject="mine", priority=10)
    other = Conversation.objects.create(workspace=workspace, team=theirs, subject="theirs", priority=90)
    watch = QueueWatch(workspace_id=workspace.pk, user=agent, role="agent")
    first = watch.poll()
    assert first is not None and watch.poll() is None  # nothing changed
    other.priority = 95
    other.save()
    assert watch.poll() is None  # another team's queue
    seen.priority = 20
    seen.save()
    changed = watch.poll()
    assert changed is not None and changed != first
    Conversation.objects.create(workspace=workspace, team=theirs, subject="new elsewhere")
    assert watch.poll() is None
    Conversation.objects.create(workspace=workspace, subject="unrouted")  # unrouted ones show in every queue
    assert watch.poll() not in (None, changed)
    admin = QueueWatch(workspace_id=workspace.pk, user=agent, role="admin")
    admin.poll()
    other.save()
    assert admin.poll() is not None  # an admin sees every conversation

"""The agent's pages: queue, live polling with ETags, conversation with timeline, reply, note, resolve, report."""

from datetime import UTC

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
    assert "Ana Lopez" in html and "If-None-Match" in html and 'data-due="' in html
    assert "Ana Lopez" in agent_client.get("/inbox/queue/").content.decode()


def test_live_queue_polls_answer_304_until_the_queue_changes(agent_client, conv, workspace):
    page = agent_client.get("/inbox/").content.decode()
    assert "EventSource" not in page and "If-None-Match" in page
    first = agent_client.get("/inbox/queue/")
    tag = first["ETag"]
    assert first.status_code == 200 and tag.startswith('"') and "Ana Lopez" in first.content.decode()
    again = agent_client.get("/inbox/queue/", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == tag
    # A change elsewhere in the workspace moves the version, not what this agent sees: still 304, new ETag.
    Conversation.objects.create(workspace=workspace, subject="resolved long ago", status="resolved")
    moved = agent_client.get("/inbox/queue/", headers={"If-None-Match": tag})
    assert moved.status_code == 304 and moved["ETag"] != tag
    conv.priority = conv.priority + 50
    conv.save()
    changed = agent_client.get("/inbox/queue/", headers={"If-None-Match": moved["ETag"]})
    assert changed.status_code == 200 and changed["ETag"] not in (tag, moved["ETag"])
    for junk in ("*", '"no-slash"', "x" * 500, 'W/"' + "a/b" + '"'):
        assert agent_client.get("/inbox/queue/", headers={"If-None-Match": junk}).status_code == 200
    assert agent_client.get("/inbox/events/", {"seconds": "300"}).status_code == 404  # no held-open streams


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


def test_report_for_a_period_as_percentages_and_csv(workspace, member_factory, conv):
    """The report shows the period asked for, 0 % as 0 % (not "—"), percentages rather than fractions, and
    downloads the same rows as CSV; a bad date names its field."""
    import csv
    import html
    import io
    from datetime import datetime

    from rapport.care.models import AppliedSLA

    admin = member_factory(workspace, Role.ADMIN)
    client = Client()
    client.login(username=admin.user.email, password=PASSWORD)
    applied = AppliedSLA.objects.get(conversation=conv)
    Conversation.objects.filter(pk=conv.pk).update(created_at=datetime(2026, 3, 10, 12, tzinfo=UTC))
    AppliedSLA.objects.filter(pk=applied.pk).update(
        first_response_met=False, next_response_met=None, resolution_met=None
    )

    march = client.get("/inbox/report/?from=2026-03-01&to=2026-03-31").content.decode()
    assert "Conversations opened from 2026-03-01 to 2026-03-31" in march
    overall = march.split('id="sla-overall">')[1].split("<")[0]
    assert overall == "0 %"  # one target decided, missed: 0 %, not "—"
    channels = march.split('id="report-channels"')[1]
    assert "<td>twitter</td><td>0 %</td><td>0 · 1</td>" in channels
    april = client.get("/inbox/report/?from=2026-04-01&to=2026-04-30").content.decode()
    assert "— (no target decided yet)" in april and "Nothing in this period." in april

    AppliedSLA.objects.filter(pk=applied.pk).update(first_response_met=True, resolution_met=False)
    march = client.get("/inbox/report/?from=2026-03-01&to=2026-03-31").content.decode()
    assert march.split('id="sla-overall">')[1].split("<")[0] == "50 %"

    response = client.get("/inbox/report/?from=2026-03-01&to=2026-03-31&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == {
        "dimension": "channel",
        "name": "twitter",
        "targets_met": "1",
        "targets_missed": "1",
        "sla_met_percent": "50.0",
        "resolved_with_effort_score": "",
        "ces": "",
        "csat": "",
    }
    empty = client.get("/inbox/report/?from=2026-04-01&to=2026-04-30&format=csv")
    assert b"".join(empty.streaming_content).decode().strip().splitlines() == [
        ",".join(
            [
                "dimension",
                "name",
                "targets_met",
                "targets_missed",
                "sla_met_percent",
                "resolved_with_effort_score",
                "ces",
                "csat",
            ]
        )
    ]

    bad = client.get("/inbox/report/?from=2026-02-30")
    assert bad.status_code == 422
    assert "from: '2026-02-30' is not a date" in html.unescape(bad.content.decode())
    assert client.get("/inbox/report/?format=csv", HTTP_ACCEPT="text/csv").status_code == 200


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

"""Inbox work as agents do it: filters and saved views, bulk assign / close / tag, SLA times people read, SLA
warnings, assignment and mention notifications (in the inbox and by email), sticky routing, callback tasks."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import login
from django.core import mail
from django.utils import timezone

from rapport.care import routing, services, sla
from rapport.care.models import (
    AgentProfile,
    CallbackTask,
    Conversation,
    Notification,
    SavedView,
    Team,
)
from rapport.care.tests.helpers import ACTOR, person, social_policy
from rapport.core.actors import Actor
from rapport.core.models import Role

pytestmark = pytest.mark.django_db


def conversation(workspace, first: str, *, network="twitter", language="", team=None, assignee=None, due=None):
    p = person(workspace, first, "Tester", handle=f"{first.lower()}t")
    conv, _ = services.open_or_join(workspace=workspace, person_id=p.pk, identity_id=None, network=network)
    conv.language, conv.team, conv.assignee, conv.sla_due_at = language, team, assignee, due
    conv.subject = f"{first} needs help"
    conv.save()
    return conv


@pytest.fixture
def desk(workspace, member_factory):
    social = Team.objects.create(workspace=workspace, name="Social")
    service = Team.objects.create(workspace=workspace, name="Service")
    me = member_factory(workspace, Role.AGENT, email="me@example.com")
    other = member_factory(workspace, Role.AGENT, email="ben@example.com")
    other.user.first_name = "Ben"
    other.user.save()
    for m in (me, other):
        AgentProfile.objects.create(workspace=workspace, user=m.user).teams.add(social, service)
    now = timezone.now()
    convs = {
        "tw": conversation(workspace, "Tina", team=social, due=now + timedelta(minutes=30)),
        "fb": conversation(workspace, "Finn", network="facebook", language="da", team=social),
        "mail": conversation(workspace, "Erin", network="email", team=service, assignee=me.user),
        "late": conversation(workspace, "Lars", team=service, assignee=other.user, due=now + timedelta(days=3)),
    }
    return {"me": me, "other": other, "social": social, "service": service, **convs}


def shown(client, query: str) -> set[str]:
    html = client.get(f"/inbox/?{query}").content.decode()
    return set(re.findall(r"(\w+) Tester</a>", html))


def test_filters_narrow_the_queue_and_bad_ones_name_the_field(desk):
    client = login(desk["me"])
    assert shown(client, "") == {"Tina", "Finn", "Erin", "Lars"}
    assert shown(client, "channel=facebook") == {"Finn"}
    assert shown(client, f"team={desk['service'].pk}") == {"Erin", "Lars"}
    assert shown(client, "language=da") == {"Finn"}
    assert shown(client, "unassigned=1") == {"Tina", "Finn"}
    assert shown(client, "mine=1") == {"Erin"}
    assert shown(client, "breaching=1") == {"Tina"}  # due within the hour; Lars's is days away
    assert shown(client, f"team={desk['social'].pk}&unassigned=1&channel=twitter") == {"Tina"}
    # The live partial applies the same filters.
    partial = client.get("/inbox/queue/?channel=email").content.decode()
    assert "Erin Tester" in partial and "Tina Tester" not in partial
    for bad, field in (("team=999999", "team:"), ("status=closed", "status:"), ("channel=a%20b", "channel:")):
        response = client.get(f"/inbox/?{bad}")
        assert response.status_code == 400 and field in response.content.decode()
    assert client.get("/inbox/queue/?team=abc").status_code == 400


def test_saved_views_are_kept_shared_or_private_and_deleted_by_their_owner(desk):
    me, ben = login(desk["me"]), login(desk["other"])
    me.post("/inbox/views/", {"name": "Danish social", "query": "channel=facebook&language=da"})
    me.post("/inbox/views/", {"name": "Email", "query": "channel=email", "shared": "1"})
    view = SavedView.objects.get(name="Danish social")
    page = me.get("/inbox/").content.decode()
    assert "Danish social" in page and "Email" in page
    assert shown(me, f"{view.query}&view={view.pk}") == {"Finn"}
    theirs = ben.get("/inbox/").content.decode()
    assert "Email" in theirs and "Danish social" not in theirs  # only the shared one
    assert ben.post(f"/inbox/views/{view.pk}/delete/").status_code == 404
    me.post(f"/inbox/views/{view.pk}/delete/")
    assert not SavedView.objects.filter(pk=view.pk).exists()
    assert "name:" in me.post("/inbox/views/", {"name": "", "query": "mine=1"}, follow=True).content.decode()


def test_bulk_assign_close_and_tag(desk, workspace, member_factory):
    client = login(desk["me"])
    ids = [desk["tw"].pk, desk["fb"].pk]
    client.post("/inbox/bulk/", {"ids": ids, "action": "assign", "assignee": str(desk["other"].user.pk)})
    assert set(Conversation.objects.filter(pk__in=ids).values_list("assignee_id", flat=True)) == {desk["other"].user.pk}
    assert Notification.objects.filter(user=desk["other"].user, kind="assigned").count() == 2
    client.post("/inbox/bulk/", {"ids": ids, "action": "tag", "tag": "Lost-Bag"})
    assert all("lost-bag" in c.tags for c in Conversation.objects.filter(pk__in=ids))
    bad = client.post("/inbox/bulk/", {"ids": ids, "action": "tag", "tag": "no spaces"}, follow=True)
    assert "tag:" in bad.content.decode()
    client.post("/inbox/bulk/", {"ids": ids, "action": "close"})
    assert set(Conversation.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"resolved"}
    # Someone else's queue is left alone, and said so.
    vip = Team.objects.create(workspace=workspace, name="VIP")
    hidden = conversation(workspace, "Vera", team=vip)
    page = client.post("/inbox/bulk/", {"ids": [hidden.pk], "action": "close"}, follow=True).content.decode()
    assert "not in your queues" in page
    hidden.refresh_from_db()
    assert hidden.status == "open"
    marketer = login(member_factory(workspace, Role.MARKETER))
    assert marketer.post("/inbox/bulk/", {"ids": ids, "action": "close"}).status_code == 403


@pytest.mark.parametrize("bad", ["²", "9" * 30, "-1", "0"])
def test_ids_that_are_no_ids_are_refused_not_a_500(desk, bad):
    """Superscript digits pass str.isdigit() and numbers past BIGINT overflow the query: neither is an id."""
    client = login(desk["me"])
    for url in (f"/inbox/?team={bad}", f"/inbox/queue/?team={bad}"):
        response = client.get(url)
        assert response.status_code == 400 and "team:" in response.content.decode(), url
    ids = [desk["tw"].pk]
    page = client.post("/inbox/bulk/", {"ids": [bad], "action": "close"}, follow=True).content.decode()
    assert "Check one or more conversations first." in page
    page = client.post("/inbox/bulk/", {"ids": ids, "action": "assign", "assignee": bad}, follow=True).content.decode()
    assert "assignee:" in page
    page = client.post("/inbox/bulk/", {"ids": ids, "action": "team", "team": bad}, follow=True).content.decode()
    assert "team:" in page
    assert Conversation.objects.get(pk=desk["tw"].pk).status == "open"


def test_a_bad_notification_id_marks_nothing_read(desk):
    client = login(desk["me"])
    routing.reassign(conversation=desk["tw"], actor=Actor.for_user(desk["other"].user), user=desk["me"].user)
    unread = Notification.objects.filter(user=desk["me"].user, read_at__isnull=True)
    assert unread.exists()
    for bad in ("²", "9" * 30, "abc"):
        page = client.post("/inbox/notifications/read/", {"id": bad}, follow=True).content.decode()
        assert "id:" in page
    assert unread.exists()  # not "all of them", which is what no id at all means
    client.post("/inbox/notifications/read/", {"id": str(unread.first().pk)})
    assert not unread.exists()


def test_text_with_a_nul_is_refused_by_field_not_a_500(desk):
    """No PostgreSQL text column stores a NUL: each form says which field holds one and stores nothing."""
    client = login(desk["me"])
    conv = desk["tw"]
    due = (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    for url, data, field in (
        ("/inbox/views/", {"name": "a\x00b", "query": "mine=1"}, "name:"),
        ("/inbox/views/", {"name": "Mine", "query": "mine=1\x00"}, "query:"),
        (f"/inbox/{conv.pk}/reply/", {"text": "hello\x00"}, "text:"),
        (f"/inbox/{conv.pk}/reply/", {"text": "\x00", "note": "1"}, "text:"),
        (f"/inbox/{conv.pk}/callbacks/", {"due_at": due, "phone": "+45\x00"}, "phone:"),
        (f"/inbox/{conv.pk}/callbacks/", {"due_at": due, "note": "call\x00"}, "note:"),
    ):
        page = client.post(url, data, follow=True).content.decode()
        assert f"{field} remove the NUL character" in page, (url, data)
    assert not SavedView.objects.exists() and not CallbackTask.objects.exists()
    assert not conv.messages.filter(direction="outbound").exists() and not conv.messages.filter(kind="note").exists()
    client.post(f"/inbox/{conv.pk}/callbacks/", {"due_at": due, "phone": "+4520123456"})
    task = CallbackTask.objects.get(conversation=conv)
    page = client.post(f"/inbox/{conv.pk}/callbacks/{task.pk}/done/", {"outcome": "ok\x00"}, follow=True)
    assert "outcome: remove the NUL character" in page.content.decode()
    task.refresh_from_db()
    assert task.status == "open"


def test_sla_times_read_as_people_say_them(desk):
    assert sla.human_duration(8100) == "2 h 15 min"
    assert sla.human_duration(3 * 86400 + 500) == "3 d"
    assert sla.human_duration(86400 + 4 * 3600) == "1 d 4 h"
    assert sla.human_duration(45 * 60 + 30) == "45 min"
    assert sla.human_duration(7200) == "2 h"
    now = timezone.now()
    assert sla.sla_left(now - timedelta(days=4, minutes=1), now) == "overdue 4 d"
    html = login(desk["me"]).get("/inbox/").content.decode()
    assert re.search(r'class="sla-due"[^>]*>(29|30) min<', html)
    assert re.search(r'class="sla-due"[^>]*>(2 d 23 h|3 d)<', html)
    assert not re.search(r"\d+h \d+m", html)


def test_sla_warning_notifies_the_assignee_in_the_inbox_and_by_email(
    workspace, member_factory, django_capture_on_commit_callbacks
):
    team = Team.objects.create(workspace=workspace, name="Social")
    member = member_factory(workspace, Role.AGENT, email="ana@example.com")
    AgentProfile.objects.create(workspace=workspace, user=member.user, email_alerts=True).teams.add(team)
    social_policy(workspace, first=30, warn=10)
    p = person(workspace, "Olga", "Late", handle="olgalate")
    services.log_contact(
        workspace=workspace,
        actor=ACTOR,
        person=p,
        network="twitter",
        kind="post",
        text="Where is my refund?",
        occurred_at=timezone.now(),
    )
    conv = Conversation.objects.get(person=p)
    routing.reassign(conversation=conv, actor=ACTOR, user=member.user, team=team)
    with django_capture_on_commit_callbacks(execute=True):
        counts = sla.check_slas(now=timezone.now() + timedelta(minutes=25))
    assert counts["warnings"] == 1
    note = Notification.objects.get(user=member.user, kind="sla_warning")
    assert "Olga Late" in note.text and note.emailed
    assert len(mail.outbox) == 1 and "SLA about to breach" in mail.outbox[0].subject
    assert f"/inbox/{conv.pk}/" in mail.outbox[0].body
    page = login(member).get("/inbox/").content.decode()
    assert 'id="notifications"' in page and "SLA about to breach" in page
    login(member).post("/inbox/notifications/read/")
    assert not Notification.objects.filter(user=member.user, read_at__isnull=True).exists()


def test_assignment_and_mentions_notify_others_not_oneself(desk):
    me, ben = desk["me"].user, desk["other"].user
    routing.reassign(conversation=desk["tw"], actor=Actor.for_user(me), user=me)  # took it myself: no notice
    assert not Notification.objects.filter(user=me).exists()
    routing.reassign(conversation=desk["fb"], actor=Actor.for_user(me), user=ben)
    assert Notification.objects.get(user=ben, kind="assigned").conversation == desk["fb"]
    assert not mail.outbox  # Ben did not ask for email
    note = {"text": "@Ben can you check the refund? @me", "note": "1"}
    login(desk["me"]).post(f"/inbox/{desk['tw'].pk}/reply/", note)
    mention = Notification.objects.get(user=ben, kind="mentioned")
    assert "can you check the refund" in mention.text and mention.conversation == desk["tw"]
    assert not Notification.objects.filter(user=me, kind="mentioned").exists()


def test_sticky_routing_sends_a_returning_customer_to_the_agent_who_served_them(workspace, member_factory):
    team = Team.objects.create(workspace=workspace, name="Service", strategy="round_robin")
    agents = []
    for i in range(3):
        m = member_factory(workspace, Role.AGENT, email=f"agent{i}@example.com")
        AgentProfile.objects.create(workspace=workspace, user=m.user, capacity=10).teams.add(team)
        agents.append(m.user)
    p = person(workspace, "Rita", "Return", handle="ritareturn")
    first, _ = services.open_or_join(workspace=workspace, person_id=p.pk, identity_id=None, network="chat")
    first.team = team
    routing.reassign(conversation=first, actor=ACTOR, user=agents[2])
    services.resolve(conversation=first, actor=ACTOR)
    # Round robin would pick another agent next; Rita comes back and gets agents[2] again.
    Team.objects.filter(pk=team.pk).update(last_assigned_user_id=agents[0].pk)
    again, created = services.open_or_join(workspace=workspace, person_id=p.pk, identity_id=None, network="chat")
    assert created
    again.team = None
    again.assignee = None
    routing.auto_assign(again)
    assert again.assignee == agents[2]
    # Away or full, the returning agent is skipped and routing carries on as usual.
    AgentProfile.objects.filter(user=agents[2]).update(status="away")
    other = person(workspace, "Ola", "New", handle="olanew")
    fresh, _ = services.open_or_join(workspace=workspace, person_id=other.pk, identity_id=None, network="chat")
    routing.auto_assign(fresh)
    assert fresh.assignee in agents[:2]


def test_a_callback_is_planned_and_the_call_joins_the_conversation(desk):
    client = login(desk["me"])
    conv = desk["tw"]
    due = (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/inbox/{conv.pk}/callbacks/", {"due_at": due, "phone": "+4520123456", "note": "refund status"})
    task = CallbackTask.objects.get(conversation=conv)
    assert task.assignee == desk["me"].user and task.status == "open"
    assert "refund status" in client.get("/inbox/").content.decode()  # on the agent's list of callbacks
    bad = client.post(f"/inbox/{conv.pk}/callbacks/", {"due_at": "tomorrow-ish"}, follow=True)
    assert "due_at:" in bad.content.decode()
    client.post(f"/inbox/{conv.pk}/callbacks/{task.pk}/done/", {"outcome": "Refund confirmed, she is happy"})
    task.refresh_from_db()
    assert task.status == "done" and task.message is not None
    call = conv.messages.get(kind="call")
    assert call.direction == "outbound" and call.network == "phone" and "Refund confirmed" in call.text
    conv.refresh_from_db()
    assert conv.first_response_at is not None
    page = client.get(f"/inbox/{conv.pk}/").content.decode()
    assert "Called back on +4520123456: Refund confirmed" in page


def test_sticky_routing_in_a_batch_reads_returning_agents_once(
    workspace, member_factory, django_assert_max_num_queries
):
    team = Team.objects.create(workspace=workspace, name="Social", strategy="round_robin")
    agents = []
    for i in range(3):
        m = member_factory(workspace, Role.AGENT, email=f"s{i}@example.com")
        AgentProfile.objects.create(workspace=workspace, user=m.user, capacity=50).teams.add(team)
        agents.append(m.user)
    people = [person(workspace, f"P{i}", "Back", handle=f"back{i}") for i in range(6)]
    for p in people:  # each was served by agents[2] before
        old, _ = services.open_or_join(workspace=workspace, person_id=p.pk, identity_id=None, network="twitter")
        Conversation.objects.filter(pk=old.pk).update(status="resolved", assignee=agents[2], team=team)
    cache = routing.batch_cache()
    convs = [
        services.open_or_join(workspace=workspace, person_id=p.pk, identity_id=None, network="twitter")[0]
        for p in people
    ]
    routing.auto_assign(convs[0], cache=cache, save=False)  # reads every returning agent of the batch at once
    with django_assert_max_num_queries(0):
        for conv in convs[1:]:
            routing.auto_assign(conv, cache=cache, save=False)
    assert {c.assignee_id for c in convs} == {agents[2].pk}

"""The 24-hour rule: Lukas asks on Facebook about a failed booking. The social SLA (first reply in 60 minutes)
warns before the breach, the agent answers on Facebook (not by email, not a week later), and the timer stops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import PASSWORD, ApiClient

from rapport.care import sla
from rapport.care.models import AppliedSLA, Conversation
from rapport.care.tests.helpers import brand, ingest, person, post, social_policy, team_with_agents
from rapport.core import events
from rapport.core.services import issue_token
from rapport.demo.care import seed_care
from rapport.demo.seed import seed_stories
from tests.fakes.outbound import GRAPH_TOKEN, fake_graph  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def test_warning_before_breach_then_answer_on_facebook(
    workspace,
    member_factory,
    fake_graph,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    brand(workspace, network="facebook", handle="hotelhub", access_token=GRAPH_TOKEN, base_url=fake_graph.url)
    social_policy(workspace, first=60, warn=15, channels=["facebook", "twitter"])
    team, (agent,) = team_with_agents(workspace, member_factory, n=1)
    lukas = person(workspace, "Lukas", "Brenner", network="facebook", handle="lukas.brenner", external_id="200077")
    t0 = datetime.now(tz=UTC) - timedelta(minutes=50)
    ingest(
        workspace,
        [
            post(
                "My hotel booking for Friday failed but my card was charged. Please help, I travel tomorrow.",
                handle="lukas.brenner",
                network="facebook",
                kind="direct_message",
                author_id="200077",
                created_at=t0,
                external_id="m_lukas_1",
            )
        ],
        django_capture_on_commit_callbacks,
    )
    conv = Conversation.objects.get(person=lukas)
    assert conv.assignee_id == agent.pk and conv.needs_response == "complaint"
    assert conv.sla_due_at == t0 + timedelta(minutes=60)
    seen = []
    handler = lambda e, p: seen.append((e, p["conversation_id"]))  # noqa: E731
    events.subscribe("conversation.sla_warning", handler)
    events.subscribe("conversation.sla_breached", handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert sla.check_slas(now=t0 + timedelta(minutes=40)) == {"warnings": 0, "breaches": 0}
            assert sla.check_slas(now=t0 + timedelta(minutes=50))["warnings"] == 1
        assert seen == [("conversation.sla_warning", conv.pk)]
        token, _ = issue_token(email=agent.email, password=PASSWORD, workspace_slug=workspace.slug)
        agent_api = ApiClient(token)
        queue = agent_api.get("/conversations", assignee="me").json()["items"]
        assert queue[0]["id"] == conv.pk and queue[0]["sla_due_at"]
        r = agent_api.post(f"/conversations/{conv.pk}/reply", {"text": "Hi Lukas, the charge is refunded."})
        assert r.status_code == 201 and r.json()["delivery_status"] == "sent"
        assert r.json()["network"] == "facebook"
        assert fake_graph.sent[-1]["recipient"] == "200077"  # a Messenger reply, inside the 24-hour window
        applied = AppliedSLA.objects.get(conversation=conv)
        assert applied.first_response_met is True
        agent_api.post(f"/conversations/{conv.pk}/resolve")
        with django_capture_on_commit_callbacks(execute=True):
            assert sla.check_slas(now=t0 + timedelta(days=7)) == {"warnings": 0, "breaches": 0}
        assert [e for e, _ in seen] == ["conversation.sla_warning"]
    finally:
        events.unsubscribe("conversation.sla_warning", handler)
        events.unsubscribe("conversation.sla_breached", handler)
    report = sla.sla_report(workspace_id=workspace.pk)
    assert report["channels"]["facebook"]["share_met"] == 1.0


def test_unanswered_request_breaches(workspace, django_capture_on_commit_callbacks):
    brand(workspace, network="facebook", handle="hotelhub")
    social_policy(workspace, first=60, warn=15, resolution=2880)
    t0 = datetime.now(tz=UTC) - timedelta(days=7)
    ingest(
        workspace,
        [
            post(
                "Booking failed, card charged, please help",
                handle="someone",
                network="facebook",
                kind="direct_message",
                created_at=t0,
            )
        ],
        django_capture_on_commit_callbacks,
    )
    # Nobody checked during the week: the first check reports the breach, not a stale warning.
    assert sla.check_slas(now=datetime.now(tz=UTC)) == {"warnings": 0, "breaches": 2}  # first reply, resolution
    assert sla.sla_report(workspace_id=workspace.pk)["overall"]["share_met"] == 0.0


def test_demo_seed_warns_about_lukas(workspace):
    seed_stories(workspace=workspace)
    seed_care(workspace, threads=0)
    conv = Conversation.objects.get(workspace=workspace, person__external_id="story-24h")
    assert conv.channel == "facebook"
    assert "first_response" in conv.sla.warned and conv.sla.breached == []

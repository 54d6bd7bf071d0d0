"""Four agents, four times: Hanne explains her move on the phone, in chat, by email and on the phone again.
Every contact joins one conversation, every agent sees the whole history, and the repeats, channel switches
and transfers count against the Customer Effort Score; the relocation is flagged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import PASSWORD, ApiClient
from django.utils import timezone

from rapport.care import services
from rapport.care.effort import effort_report
from rapport.care.models import Conversation, EffortScore
from rapport.care.tests.helpers import ACTOR, person, team_with_agents
from rapport.core.services import issue_token
from rapport.demo.care import HANNE, seed_care
from rapport.demo.seed import seed_stories

pytestmark = pytest.mark.django_db


def test_four_contacts_one_conversation_and_a_high_effort_score(
    workspace, member_factory, django_capture_on_commit_callbacks
):
    team, agents = team_with_agents(workspace, member_factory, name="Service", n=4, strategy="round_robin")
    hanne = person(workspace, "Hanne", "Kristensen", network="facebook", handle="hanne.kristensen.7")
    start = timezone.now() - timedelta(days=12)
    conv = None
    # Each time a different agent takes her call, chat or email and logs it on her page, as agents do.
    for i, (network, kind, days, text) in enumerate(HANNE):
        token, _ = issue_token(email=agents[i].email, password=PASSWORD, workspace_slug=workspace.slug)
        with django_capture_on_commit_callbacks(execute=True):
            logged = ApiClient(token).post(
                f"/contacts/{hanne.pk}/touchpoints",
                {
                    "kind": kind,
                    "channel": network,
                    "direction": "inbound",
                    "occurred_at": (timezone.now() - timedelta(days=days)).isoformat(),
                    "body": text,
                },
            )
        assert logged.status_code == 201, logged.content
        conv = Conversation.objects.get(person=hanne)
        if i:
            from rapport.care.routing import reassign

            reassign(conversation=conv, actor=ACTOR, user=agents[i])
    assert Conversation.objects.filter(person=hanne).count() == 1
    # Her timeline holds every contact too, whoever logged it.
    assert sorted(hanne.touchpoints.values_list("channel", flat=True)) == ["chat", "email", "phone", "phone"]
    conv.refresh_from_db()
    assert "relocation" in conv.tags
    # The fourth agent opens it and sees all four contacts, on every channel.
    token, _ = issue_token(email=agents[3].email, password=PASSWORD, workspace_slug=workspace.slug)
    detail = ApiClient(token).get(f"/conversations/{conv.pk}").json()
    assert [m["network"] for m in detail["messages"]] == ["phone", "chat", "email", "phone"]
    assert {r["factor"] for r in detail["priority_reasons"]} >= {"repeat contact"}
    services.reply(conversation=conv, agent=agents[3], text="Done: cancelled at the old address.", send=False)
    services.resolve(conversation=conv, actor=ACTOR)
    effort = EffortScore.objects.get(conversation=conv)
    assert effort.contacts == 4
    assert effort.channel_switches == 3
    assert effort.repeats == 3
    assert effort.transfers == 3
    assert effort.resolution_minutes > 60 * 24 * 11
    # One quick answer to a single question is effortless by comparison.
    other = person(workspace, "Quick", "Question")
    m = services.log_contact(
        workspace=workspace,
        actor=ACTOR,
        person=other,
        network="chat",
        kind="chat",
        text="What are your opening hours?",
        occurred_at=timezone.now() - timedelta(minutes=20),
    )
    services.resolve(conversation=m.conversation, actor=ACTOR)
    easy = EffortScore.objects.get(conversation=m.conversation)
    assert easy.repeats == 0 and easy.score < 2 < 5 < effort.score
    report = effort_report(workspace_id=workspace.pk)
    assert report["channels"]["phone"]["ces"] == effort.score
    assert report["channels"]["chat"]["ces"] == easy.score
    assert start  # the history started 12 days ago


def test_different_issues_are_not_counted_as_repeats():
    from rapport.care.effort import count_repeats

    assert count_repeats([t for _, _, _, t in HANNE]) == 3
    assert (
        count_repeats(
            ["My invoice is wrong this month", "The app crashes when I log in", "Can I change my delivery address?"]
        )
        == 0
    )


def test_demo_seed_has_hannes_conversation_with_effort(workspace):
    seed_stories(workspace=workspace)
    seed_care(workspace, threads=0)
    conv = Conversation.objects.get(workspace=workspace, person__external_id="story-fouragents")
    assert conv.messages.count() == 4
    assert conv.transfers >= 3
    assert conv.effort.repeats == 3 and conv.effort.channel_switches == 3

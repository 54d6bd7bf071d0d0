"""The staff API: experts, hero of the month, and asking the community from a care conversation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.care.models import Conversation, ConversationStatus, Message, MessageDirection, Team
from rapport.care.tests.helpers import brand, ingest, person, post, social_policy
from rapport.community import services
from rapport.community.models import Question
from rapport.community.tests.helpers import category, member
from rapport.core.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def kohlmark(workspace):
    cat = category(workspace)
    asker, expert = member(workspace, "asker"), member(workspace, "kohlmark")
    expert.away_notice = "back after my wedding"
    expert.save()
    for _ in range(2):
        q = services.ask(author=asker, category=cat, title="Phone will not charge", body="help")
        a = services.answer(question=q, author=expert, body="Clean the port.")
        services.accept(answer=a, by_member=asker, now=timezone.now() - timedelta(days=40))
    return expert


def test_experts_contract(api, kohlmark):
    r = api.get("/community/experts", topic="iPhone 5")
    assert r.status_code == 200
    (item,) = r.json()["items"]
    assert item["member_id"] == kohlmark.pk and item["name"] == "kohlmark"
    assert item["score"] > 0 and "2 accepted answers on iPhone 5" in item["reasons"]
    assert "away: back after my wedding" in item["reasons"]
    assert "email" not in item
    assert api.get("/community/experts", topic="").status_code == 422
    assert api.get("/community/experts").status_code == 422


def test_hero_contract(api, kohlmark):
    r = api.get("/community/hero")  # last month: the two answers were accepted 40 days ago... or this month
    assert r.status_code == 200
    month = (timezone.localdate() - timedelta(days=40)).strftime("%Y-%m")
    r = api.get("/community/hero", month=month)
    body = r.json()
    assert body["month"] == month and body["member_id"] == kohlmark.pk and body["name"] == "kohlmark"
    assert body["points"] == 2 * services.ACCEPTED_POINTS and body["reasons"]
    empty = api.get("/community/hero", month="2001-01").json()
    assert empty["member_id"] is None and empty["reasons"] == []
    bad = api.get("/community/hero", month="2026-13")
    assert bad.status_code == 422 and "month" in str(bad.json())


def test_api_needs_a_token_and_stays_in_its_workspace(api_factory, kohlmark, other_workspace):
    from conftest import ApiClient

    assert ApiClient(None).get("/community/experts", topic="iPhone 5").status_code == 401
    other = api_factory(other_workspace, Role.ADMIN)
    assert other.get("/community/experts", topic="iPhone 5").json()["items"] == []
    assert other.get("/community/hero", month="2026-01").json()["member_id"] is None
    marketer = api_factory(kohlmark.workspace, Role.MARKETER)
    assert marketer.get("/community/experts", topic="iPhone 5").status_code == 403


def test_ask_community_anonymises_suggests_experts_and_the_accepted_answer_closes_the_case(
    api, workspace, kohlmark, django_capture_on_commit_callbacks
):
    brand(workspace)
    social_policy(workspace, first=60)
    person(workspace, "Ana", "Lopez", handle="analopez")
    ingest(
        workspace,
        [
            post(
                "@acmeair how do I fix my iPhone 5? it will not charge. Ana here, call me on +43 660 1234567",
                handle="analopez",
            )
        ],
        django_capture_on_commit_callbacks,
    )
    conv = Conversation.objects.get(workspace=workspace)
    r = api.post(f"/conversations/{conv.pk}/ask-community", {"category": "iphone-5"})
    assert r.status_code == 201, r.json()
    body = r.json()
    assert "Ana" not in body["body"] and "analopez" not in body["body"] and "1234567" not in body["body"]
    assert "will not charge" in body["body"]
    assert [e["name"] for e in body["experts"]] == ["kohlmark"]
    assert body["url"] == f"/community/{workspace.slug}/q/{body['question_id']}/"
    again = api.post(f"/conversations/{conv.pk}/ask-community", {"category": "iphone-5"})
    assert again.status_code == 422 and "conversation" in str(again.json())
    assert api.post(f"/conversations/{conv.pk}/ask-community", {"category": "nope"}).status_code == 422
    assert api.post("/conversations/999999/ask-community", {"category": "iphone-5"}).status_code == 404

    question = Question.objects.get(pk=body["question_id"])
    answer = services.answer(question=question, author=kohlmark, body="Clean the lightning port with a toothpick.")
    with pytest.raises(services.CommunityError):
        services.accept(answer=answer, by_member=kohlmark)  # nobody but the agent who asked accepts it
    shown = api.get(f"/community/questions/{question.pk}").json()
    assert shown["conversation_id"] == conv.pk and [a["author"] for a in shown["answers"]] == ["kohlmark"]
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post(f"/community/answers/{answer.pk}/accept")
    assert r.status_code == 200 and r.json()["accepted_answer_id"] == answer.pk
    again = api.post(f"/community/answers/{answer.pk}/accept")
    assert again.status_code == 422 and "answer" in str(again.json())
    conv.refresh_from_db()
    assert conv.status == ConversationStatus.RESOLVED and "deflected" in conv.tags
    note = Message.objects.get(conversation=conv, direction=MessageDirection.NOTE)
    assert "toothpick" in note.text and "kohlmark" in note.text
    assert services.score(kohlmark) == 3 * services.ACCEPTED_POINTS


def test_ask_community_is_for_care_roles_in_the_workspace(api_factory, workspace, other_workspace, kohlmark):
    conv = Conversation.objects.create(workspace=workspace, subject="x")
    other = api_factory(other_workspace, Role.ADMIN)
    assert other.post(f"/conversations/{conv.pk}/ask-community", {"category": "iphone-5"}).status_code == 404
    marketer = api_factory(workspace, Role.MARKETER)
    assert marketer.post(f"/conversations/{conv.pk}/ask-community", {"category": "iphone-5"}).status_code == 403
    admin = api_factory(workspace, Role.ADMIN)
    empty = admin.post(f"/conversations/{conv.pk}/ask-community", {"category": "iphone-5"})
    assert empty.status_code == 422 and "conversation" in str(empty.json())


def test_staff_cannot_accept_answers_to_members_questions_or_other_workspaces(
    api, api_factory, other_workspace, kohlmark
):
    q = services.ask(
        author=member(kohlmark.workspace, "member2"),
        category=category(kohlmark.workspace, "X", "x"),
        title="A member's own question",
        body="?",
    )
    a = services.answer(question=q, author=kohlmark, body="An answer.")
    r = api.post(f"/community/answers/{a.pk}/accept")
    assert r.status_code == 422 and "answer" in str(r.json())
    other = api_factory(other_workspace, Role.ADMIN)
    assert other.post(f"/community/answers/{a.pk}/accept").status_code == 404
    assert other.get(f"/community/questions/{q.pk}").status_code == 404
    assert api_factory(kohlmark.workspace, Role.MARKETER).post(f"/community/answers/{a.pk}/accept").status_code == 403


def test_an_agent_cannot_read_or_close_a_question_asked_from_a_conversation_they_cannot_see(
    api_factory, workspace, kohlmark
):
    other_team = Team.objects.create(workspace=workspace, name="VIP desk")
    conv = Conversation.objects.create(workspace=workspace, subject="private case", team=other_team)
    q = services.ask(category=category(workspace, "X", "x"), title="From a VIP's case", body="?", conversation=conv)
    a = services.answer(question=q, author=kohlmark, body="An answer.")
    outsider = api_factory(workspace, Role.AGENT)  # in no team: the VIP desk's conversations are not theirs
    assert outsider.get(f"/community/questions/{q.pk}").status_code == 404
    assert outsider.post(f"/community/answers/{a.pk}/accept").status_code == 404
    q.refresh_from_db()
    conv.refresh_from_db()
    assert q.accepted_answer_id is None and conv.status != ConversationStatus.RESOLVED
    admin = api_factory(workspace, Role.ADMIN)
    assert admin.get(f"/community/questions/{q.pk}").status_code == 200

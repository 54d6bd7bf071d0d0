"""Community analytics: deflected cases, time to first answer, answer and acceptance rates, active members per week;
the page, the CSV and the API, for community managers only."""

import csv
import io
from datetime import timedelta

import pytest
from conftest import ApiClient, login
from django.test import Client
from django.utils import timezone

from rapport.community import analytics, moderation, services
from rapport.community.models import Answer, Question
from rapport.community.tests.helpers import category, member
from rapport.community.tests.test_return_to_care import _asked
from rapport.core.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def community(workspace, admin):
    """Three questions by members, one from the inbox; answers after 2 h and 10 h; one accepted; a hidden answer."""
    cat = category(workspace)
    asker, helper, fan = member(workspace, "asker"), member(workspace, "helper"), member(workspace, "fan")
    now = timezone.now()
    q1 = services.ask(author=asker, category=cat, title="Screen flickers at night", body="?")
    q2 = services.ask(author=asker, category=cat, title="Battery drains overnight", body="?")
    services.ask(author=fan, category=cat, title="Nobody answers this one", body="?")
    a1 = services.answer(question=q1, author=helper, body="Lower the brightness.")
    a2 = services.answer(question=q2, author=helper, body="Turn off the background refresh.")
    Question.objects.filter(pk__in=[q1.pk, q2.pk]).update(created_at=now - timedelta(hours=12))
    Answer.objects.filter(pk=a1.pk).update(created_at=now - timedelta(hours=10))
    Answer.objects.filter(pk=a2.pk).update(created_at=now - timedelta(hours=2))
    services.vote_helpful(answer=a1, voter=fan)
    services.accept(answer=services.Answer.objects.get(pk=a1.pk), by_member=asker)
    hidden = services.answer(question=q2, author=fan, body="Buy my app, it fixes everything.")
    Answer.objects.filter(pk=hidden.pk).update(created_at=now - timedelta(hours=11))
    moderation.moderate(post=Answer.objects.get(pk=hidden.pk), action="hide", user=admin.user)
    _, from_inbox = _asked(workspace, admin.user, cat)
    reply = services.answer(question=from_inbox, author=helper, body="Update to the latest version.")
    services.accept(answer=reply, by_user=admin.user)
    return {"cat": cat}


def test_the_report_counts_public_posts_and_deflected_cases(workspace, other_workspace, community):
    r = analytics.report(workspace, days=30)
    assert r.questions == 4 and r.answered == 3 and r.accepted == 2
    assert r.answer_rate == 0.75 and r.acceptance_rate == 0.5
    # First public answers: 2 h (q1), 10 h (q2; the hidden one at 1 h does not count), ~0 h (the inbox one).
    assert r.first_answer_hours_median == 2.0 and r.first_answer_hours_p90 == 10.0
    assert (r.from_inbox, r.deflected, r.returned_to_care) == (1, 1, 0)
    now = timezone.localtime()
    same_week = (now - timedelta(hours=12)).isocalendar()[:2] == now.isocalendar()[:2]
    # This week: helper and fan (answered, asked and voted now), and asker when their questions 12 h ago fall in it.
    assert r.weeks[-1]["members"] == (3 if same_week else 2)
    assert sum(w["members"] for w in r.weeks[-2:]) == (3 if same_week else 4)
    assert sum(w["questions"] for w in r.weeks) == 4 and sum(w["answers"] for w in r.weeks) == 3
    assert len(r.weeks) in (5, 6) and all(w["members"] == 0 for w in r.weeks[:-2])
    empty = analytics.report(other_workspace, days=30)
    assert empty.questions == 0 and empty.answer_rate is None and empty.deflected == 0


def test_the_page_csv_and_api_are_for_community_managers(workspace, other_workspace, community, member_factory, api):
    url = f"/community/{workspace.slug}/analytics/"
    manager = login(member_factory(workspace, Role.COMMUNITY_MANAGER))
    page = manager.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="stat-deflected">1<' in html and "75%" in html and 'id="active-chart"' in html
    assert "asker@mail.example" not in html
    assert manager.get(f"{url}?days=0").status_code == 422
    assert manager.get(f"{url}?days=x").status_code == 422
    rows = list(
        csv.reader(io.StringIO(manager.get(f"/community/{workspace.slug}/analytics.csv?days=30").content.decode()))
    )
    assert rows[0] == ["week", "active_members", "questions", "answers"]
    assert sum(int(row[2]) for row in rows[1:]) == 4 and sum(int(row[3]) for row in rows[1:]) == 3
    assert login(member_factory(workspace, Role.AGENT)).get(url).status_code == 403
    assert login(member_factory(other_workspace, Role.ADMIN)).get(url).status_code == 404
    assert Client().get(url).status_code == 302

    r = api.get("/community/analytics", days=30)
    assert r.status_code == 200
    body = r.json()
    assert (body["deflected"], body["questions"], body["answer_rate"]) == (1, 4, 0.75)
    assert [w["members"] for w in body["weeks"]] == [w["members"] for w in analytics.report(workspace, days=30).weeks]
    assert api.get("/community/analytics", days=0).status_code == 422
    assert ApiClient(None).get("/community/analytics").status_code == 401

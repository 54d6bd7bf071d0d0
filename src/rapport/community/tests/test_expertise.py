"""The topic and expertise rows kept on write: they follow hiding and approving, and always equal a rebuild."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.community import expertise, moderation, services
from rapport.community.models import Expertise, QuestionTopic
from rapport.community.tests.helpers import category, member

pytestmark = pytest.mark.django_db


def _rows(workspace) -> set[tuple]:
    return {
        (r.topic, r.member_id, round(r.weight, 6), r.accepted, r.helpful, r.answers, r.last_at)
        for r in Expertise.objects.filter(workspace=workspace)
    }


def test_a_question_counts_for_its_category_slug_name_and_tags_lower_cased(workspace):
    cat = category(workspace)
    asker = member(workspace, "asker")
    q = services.ask(author=asker, category=cat, title="Battery drains overnight", body="?", tags=["Battery", "iOS"])
    topics = set(QuestionTopic.objects.filter(question=q).values_list("topic", flat=True))
    assert topics == {"iphone-5", "iphone 5", "battery", "ios"}


def test_hiding_and_approving_an_answer_moves_the_expert_out_and_back(workspace, admin):
    cat = category(workspace)
    asker, helper = member(workspace, "asker"), member(workspace, "helper")
    q = services.ask(author=asker, category=cat, title="Which charger is safe?", body="?", tags=["charger"])
    a = services.accept(answer=services.answer(question=q, author=helper, body="The original one."), by_member=asker)
    assert [e.member for e in services.experts(workspace=workspace, topic="charger")] == [helper]
    moderation.moderate(post=a, action="hide", user=admin.user)
    assert services.experts(workspace=workspace, topic="charger") == []
    assert services.experts(workspace=workspace, topic="iPhone 5") == []
    moderation.moderate(post=a, action="approve", user=admin.user)
    (e,) = services.experts(workspace=workspace, topic="charger")
    assert e.member == helper and e.accepted == 1
    # Hiding the question takes everything answered on it along.
    moderation.moderate(post=q, action="hide", user=admin.user)
    assert services.experts(workspace=workspace, topic="charger") == []


def test_a_suspended_member_is_never_suggested(workspace):
    cat = category(workspace)
    asker, helper = member(workspace, "asker"), member(workspace, "helper")
    q = services.ask(author=asker, category=cat, title="Which charger is safe?", body="?")
    services.accept(answer=services.answer(question=q, author=helper, body="The original one."), by_member=asker)
    helper.suspended = True
    helper.save(update_fields=["suspended"])
    assert services.experts(workspace=workspace, topic="iphone-5") == []


def test_the_rows_kept_on_write_equal_a_rebuild_and_the_score_decays(workspace, other_workspace):
    cat, fibre = category(workspace), category(workspace, "Fibre", "fibre")
    asker, a1, a2, fan = (member(workspace, h) for h in ("asker", "kohlmark", "second", "fan"))
    now = timezone.now()
    for i, (cat_, who, days) in enumerate([(cat, a1, 3), (cat, a2, 400), (fibre, a1, 30), (cat, a1, 0)]):
        q = services.ask(author=asker, category=cat_, title=f"Question number {i}", body="?", tags=["wifi"])
        ans = services.answer(question=q, author=who, body=f"Answer {i}", now=now - timedelta(days=days))
        services.vote_helpful(answer=ans, voter=fan)
        if i != 3:
            services.accept(answer=ans, by_member=asker, now=now - timedelta(days=days))
    kept = _rows(workspace)
    assert kept and expertise.rebuild(workspace.pk) == len(kept)
    assert _rows(workspace) == kept
    # A year on, every score has lost the same share: the order stays, the numbers shrink.
    today = services.experts(workspace=workspace, topic="wifi", now=now)
    later = services.experts(workspace=workspace, topic="wifi", now=now + timedelta(days=180))
    assert [e.member for e in today] == [e.member for e in later] == [a1, a2]
    assert later[0].score == pytest.approx(today[0].score / 2, abs=0.01)
    # Two accepted (15 each, 3 and 30 days old), three helpful votes (10 each, cast today) on "wifi" for kohlmark.
    expected = sum(p * 0.5 ** (d / 180) for p, d in [(15, 3), (15, 30), (10, 0), (10, 0), (10, 0)])
    assert today[0].score == pytest.approx(expected, abs=0.05)
    assert Expertise.objects.filter(workspace=other_workspace).count() == 0

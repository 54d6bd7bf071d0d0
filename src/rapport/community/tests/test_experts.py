"""Topic experts from accepted and helpful answers with recency decay; the hero of the month."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from rapport.community import services
from rapport.community.tests.helpers import category, member
from rapport.core.errors import FieldErrors

pytestmark = pytest.mark.django_db


def _accepted(workspace, cat, asker, author, *, at, tags=None):
    q = services.ask(author=asker, category=cat, title="How do I fix this thing?", body="help", tags=tags)
    a = services.answer(question=q, author=author, body="Like this.", now=at)
    return services.accept(answer=a, by_member=asker, now=at)


def test_experts_rank_by_topic_with_recency_decay_and_reasons(workspace, other_workspace):
    iphone, fibre = category(workspace), category(workspace, "Fibre", "fibre")
    asker = member(workspace, "asker")
    kohlmark, oldtimer, fibreguy = (
        member(workspace, "kohlmark"),
        member(workspace, "oldtimer"),
        member(workspace, "fib"),
    )
    now = timezone.now()
    for _ in range(2):
        _accepted(workspace, iphone, asker, kohlmark, at=now - timedelta(days=3))
    for _ in range(3):  # more answers, but two years ago: worth less today
        _accepted(workspace, iphone, asker, oldtimer, at=now - timedelta(days=730))
    _accepted(workspace, fibre, asker, fibreguy, at=now)
    # Another workspace's expert never shows up.
    other_cat = category(other_workspace)
    other_asker = member(other_workspace, "asker")
    _accepted(other_workspace, other_cat, other_asker, member(other_workspace, "rival"), at=now)

    ranked = services.experts(workspace=workspace, topic="iPhone 5", now=now)
    assert [e.member.handle for e in ranked] == ["kohlmark", "oldtimer"]
    assert ranked[0].score > ranked[1].score
    assert ranked[0].reasons[0] == "2 accepted answers on iPhone 5"
    assert "last answered 3 days ago" in ranked[0].reasons
    assert [e.member.handle for e in services.experts(workspace=workspace, topic="fibre", now=now)] == ["fib"]
    assert services.experts(workspace=workspace, topic="nothing", now=now) == []


def test_tags_count_as_topics_and_helpful_votes_count(workspace):
    general = category(workspace, "General", "general")
    asker, helper, fan = member(workspace, "asker"), member(workspace, "helper"), member(workspace, "fan")
    q = services.ask(author=asker, category=general, title="Which cable for esim?", body="?", tags=["eSIM"])
    a = services.answer(question=q, author=helper, body="This one.")
    services.vote_helpful(answer=a, voter=fan)
    (e,) = services.experts(workspace=workspace, topic="esim")
    assert e.member == helper and e.helpful == 1 and "1 helpful vote on esim" in e.reasons
    # A tag that is a prefix or part of another is not that tag; non-ASCII tags are found too.
    q2 = services.ask(author=asker, category=general, title="Which esim-adapter fits?", body="?", tags=["esim-adapter"])
    services.accept(answer=services.answer(question=q2, author=fan, body="The blue one."), by_member=asker)
    assert [x.member for x in services.experts(workspace=workspace, topic="esim")] == [helper]
    q3 = services.ask(author=asker, category=general, title="Wie wechsle ich das Gerät?", body="?", tags=["gerät"])
    services.accept(answer=services.answer(question=q3, author=fan, body="Im Shop."), by_member=asker)
    assert [x.member for x in services.experts(workspace=workspace, topic="Gerät")] == [fan]


def test_hero_of_the_month_with_reasons(workspace):
    cat = category(workspace)
    asker, kohlmark, other = member(workspace, "asker"), member(workspace, "kohlmark"), member(workspace, "other")
    tz = timezone.get_current_timezone()
    in_march = datetime(2026, 3, 10, 12, tzinfo=tz)
    for _ in range(2):
        _accepted(workspace, cat, asker, kohlmark, at=in_march)
    _accepted(workspace, cat, asker, other, at=in_march)
    _accepted(workspace, cat, asker, other, at=datetime(2026, 4, 2, tzinfo=tz))
    _accepted(workspace, cat, asker, other, at=datetime(2026, 4, 3, tzinfo=tz))
    _accepted(workspace, cat, asker, other, at=datetime(2026, 2, 28, tzinfo=tz))
    hero = services.hero(workspace=workspace, month="2026-03")
    assert hero.member == kohlmark and hero.points == 2 * services.ACCEPTED_POINTS
    assert "2 accepted answers" in hero.reasons and "most active in iPhone 5" in hero.reasons
    assert services.hero(workspace=workspace, month="2026-04").member == other
    assert services.hero(workspace=workspace, month="2026-04", today=None).month == "2026-04"
    assert services.hero(workspace=workspace, today=datetime(2026, 4, 15).date()).member == kohlmark  # last month
    assert services.hero(workspace=workspace, month="2025-01") is None
    for bad in ("2026-13", "March", "2026-3"):
        with pytest.raises(FieldErrors):
            services.hero(workspace=workspace, month=bad)

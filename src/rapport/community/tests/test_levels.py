"""Trust levels from activity, what they unlock, badges awarded once, and the public profile."""

import re
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from rapport.community import levels, moderation, services
from rapport.community.models import BadgeAward, CommunityMember, CommunitySettings, Moderation
from rapport.community.tests.helpers import category, established, member, veteran

pytestmark = pytest.mark.django_db


def _age(m: CommunityMember, days: int) -> CommunityMember:
    CommunityMember.objects.filter(pk=m.pk).update(created_at=timezone.now() - timedelta(days=days))
    m.refresh_from_db()
    return m


def test_thresholds():
    s = levels.Stats
    assert levels.level_for(s(0, 0, 0, 0, 365)) == 0  # age alone is not enough
    assert levels.level_for(s(1, 0, 0, 0, 0)) == 1
    assert levels.level_for(s(2, 3, 0, 3, 6)) == 1  # a day short of Member
    assert levels.level_for(s(2, 3, 0, 3, 7)) == 2
    assert levels.level_for(s(2, 3, 0, 2, 30)) == 1  # a helpful vote short
    assert levels.level_for(s(10, 10, 5, 25, 60)) == 3
    assert levels.level_for(s(10, 10, 4, 25, 60)) == 2
    nxt = levels.LEVELS[2].missing(s(1, 0, 0, 2, 3))
    assert nxt == ["4 more public posts", "1 more helpful vote", "4 more days of membership"]


def test_levels_rise_with_public_activity_and_membership_age(workspace, admin):
    cat = category(workspace, hold_first_posts=True)
    m = member(workspace, "climber")
    assert m.trust_level == 0
    q = services.ask(author=m, category=cat, title="My first question here", body="?")
    m.refresh_from_db()
    assert q.hidden and m.trust_level == 0  # a held post counts for nothing
    moderation.moderate(post=q, action="approve", user=admin.user)
    m.refresh_from_db()
    assert m.trust_level == 1
    other_q = services.ask(author=established(workspace, "asker", cat), category=cat, title="Help me please", body="?")
    a = None
    for i in range(4):
        a = services.answer(question=other_q, author=m, body=f"Try this, number {i}")
    for i in range(3):
        services.vote_helpful(answer=a, voter=member(workspace, f"fan{i}"))
    m.refresh_from_db()
    assert m.trust_level == 1  # five posts and three votes, but a member of one day
    _age(m, 8)
    assert levels.current(m) == 2
    m.refresh_from_db()
    assert m.trust_level == 2
    moderation.moderate(post=a, action="delete", user=admin.user)  # the voted answer was spam after all
    m.refresh_from_db()
    assert m.trust_level == 1


def test_what_each_level_unlocks(workspace):
    cat = category(workspace)
    CommunitySettings.objects.filter(workspace=workspace).update(flags_to_hide=3)
    author = established(workspace, "author", cat)
    q = services.ask(author=author, category=cat, title="A question to report", body="?")
    # Level 0 may not report, level 1 may; one report of three does not hide.
    with pytest.raises(services.CommunityError):
        moderation.flag(member=member(workspace, "newbie"), question=q, reason="spam")
    moderation.flag(member=established(workspace, "basic", cat), question=q, reason="spam")
    q.refresh_from_db()
    assert not q.hidden
    # Level 2 may post links that level 1 may not.
    assert services.answer(question=q, author=established(workspace, "basic2", cat), body="https://a.example").hidden
    vet = veteran(workspace, "vet", cat)
    assert not services.answer(question=q, author=vet, body="https://a.example/guide").hidden
    # A level 3 regular's single report hides a post at once.
    regular = _regular(workspace, cat)
    spam = services.ask(author=author, category=cat, title="Cheap followers!!", body="buy now")
    moderation.flag(member=regular, question=spam, reason="spam")
    spam.refresh_from_db()
    assert spam.hidden and spam.moderation == Moderation.FLAGGED


def _regular(workspace, cat) -> CommunityMember:
    """20 public posts, 5 accepted answers, 25 helpful votes, 60 days."""
    r = _age(member(workspace, "regular"), 61)
    asker = established(workspace, "asks-a-lot", cat)
    fans = [member(workspace, f"regfan{i}") for i in range(5)]
    for i in range(15):
        services.ask(author=r, category=cat, title=f"Regular's question {i}", body=f"body {i}")
    for i in range(5):
        q = services.ask(author=asker, category=cat, title=f"Asker's question {i}", body=f"ask {i}")
        a = services.answer(question=q, author=r, body=f"the answer to {i}")
        for f in fans:
            services.vote_helpful(answer=a, voter=f)
        services.accept(answer=a, by_member=asker)
    r.refresh_from_db()
    assert r.trust_level == 3
    return r


def test_badges_are_awarded_once_into_an_append_only_ledger(workspace):
    cat = category(workspace)
    asker = established(workspace, "asker", cat)
    assert set(BadgeAward.objects.filter(member=asker).values_list("badge", flat=True)) == {"first-question"}
    helper = member(workspace, "helper")
    answers = []
    for i in range(2):
        q = services.ask(author=asker, category=cat, title=f"Another question {i}", body=f"? {i}")
        answers.append(services.answer(question=q, author=helper, body=f"An answer {i}"))
        services.accept(answer=answers[-1], by_member=asker)
    got = list(BadgeAward.objects.filter(member=helper).values_list("badge", flat=True))
    assert sorted(got) == ["first-accepted", "first-answer"]  # two accepted answers, one "Solved it"
    fans = [member(workspace, f"fan{i}") for i in range(10)]
    for f in fans[:9]:
        services.vote_helpful(answer=answers[0], voter=f)
    assert not BadgeAward.objects.filter(member=helper, badge="helpful-10").exists()
    services.vote_helpful(answer=answers[1], voter=fans[9])
    assert BadgeAward.objects.filter(member=helper, badge="helpful-10").count() == 1
    levels.refresh(helper)
    levels.refresh(helper)
    assert BadgeAward.objects.filter(member=helper).count() == 3
    award = BadgeAward.objects.filter(member=helper).first()
    with pytest.raises(ValueError):
        award.save()
    with pytest.raises(ValueError):
        award.delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        BadgeAward.objects.create(
            workspace=workspace, member=helper, badge="first-answer", reason="again", awarded_at=timezone.now()
        )


def test_the_public_profile_shows_level_unlocks_and_badges_but_nothing_private(workspace, other_workspace):
    cat = category(workspace)
    vet = veteran(workspace, "kohlmark", cat)
    vet.away_notice = "back after my wedding"
    vet.save()
    base = f"/community/{workspace.slug}/"
    r = Client().get(f"{base}u/kohlmark/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "<strong>Member</strong>" in html and "may post links" in html and "may report posts" in html
    assert "Next: Regular" in html and "more accepted answers" in html
    assert "Helping hand" in html and "Curious" in html and "Away: back after my wedding" in html
    assert "@mail.example" not in html and "kohlmark@" not in html
    # Names elsewhere carry the level and link to the profile.
    q = services.ask(author=established(workspace, "asker", cat), category=cat, title="Which charger?", body="?")
    services.answer(question=q, author=vet, body="The 5 W one.")
    page = Client().get(f"{base}q/{q.pk}/").content.decode()
    assert re.search(
        r'<a href="/community/[^"]+/u/kohlmark/">kohlmark</a> <span class="level"[^>]*>Member</span>', page
    )
    assert Client().get(f"{base}u/nobody/").status_code == 404
    assert Client().get(f"{base}u/bad%00name/").status_code == 404
    member(other_workspace, "rival")
    assert Client().get(f"{base}u/rival/").status_code == 404
    CommunityMember.objects.filter(pk=vet.pk).update(suspended=True)
    assert Client().get(f"{base}u/kohlmark/").status_code == 404

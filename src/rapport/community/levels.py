"""Trust levels and badges, computed from what a member did (in the manner of Discourse's trust levels, without
the reading statistics: public posts, accepted answers, helpful votes received and how long they have been a
member). The level is stored on the member for the pages and recomputed whenever one of those changes.

What each level unlocks is enforced here and read by moderation and the pages; badges go to an append-only award
ledger with one award per member and badge (a unique constraint: no double awards, even from two requests).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from rapport.community.models import LEVEL_NAMES, Answer, BadgeAward, CommunityMember, Question, Vote


@dataclass(frozen=True)
class Level:
    number: int
    name: str
    posts: int  # public questions and answers
    accepted: int  # accepted answers
    helpful: int  # helpful votes received
    days: int  # days since joining
    unlocks: tuple[str, ...]

    def reached(self, stats: Stats) -> bool:
        return (
            stats.posts >= self.posts
            and stats.accepted >= self.accepted
            and stats.helpful >= self.helpful
            and stats.days >= self.days
        )

    def missing(self, stats: Stats) -> list[str]:
        """What a member still needs for this level, in words."""
        need = []
        for have, want, one, many in (
            (stats.posts, self.posts, "public post", "public posts"),
            (stats.accepted, self.accepted, "accepted answer", "accepted answers"),
            (stats.helpful, self.helpful, "helpful vote", "helpful votes"),
            (stats.days, self.days, "day of membership", "days of membership"),
        ):
            if have < want:
                need.append(f"{want - have} more {one if want - have == 1 else many}")
        return need


LEVELS = (
    Level(0, LEVEL_NAMES[0], 0, 0, 0, 0, ("ask and answer: posts wait for a moderator when the community holds "
                                          "new members' first posts", "no links in posts")),
    Level(1, LEVEL_NAMES[1], 1, 0, 0, 0, ("posts appear at once", "may report posts to the moderators")),
    Level(2, LEVEL_NAMES[2], 5, 0, 3, 7, ("may post links",)),
    Level(3, LEVEL_NAMES[3], 20, 5, 25, 60, ("one report from a regular hides a post until a moderator looks",)),
)  # fmt: skip

MAY_FLAG = 1
MAY_LINK = 2
FLAG_HIDES = 3


@dataclass(frozen=True)
class Badge:
    slug: str
    name: str
    description: str

    def earned(self, stats: Stats, level: int) -> bool:
        return _RULES[self.slug](stats, level)


BADGES = (
    Badge("first-question", "Curious", "asked a first question"),
    Badge("first-answer", "Helping hand", "answered a first question"),
    Badge("first-accepted", "Solved it", "a first answer accepted"),
    Badge("helpful-10", "Helpful", "10 helpful votes received"),
    Badge("helpful-50", "Very helpful", "50 helpful votes received"),
    Badge("accepted-10", "Problem solver", "10 answers accepted"),
    Badge("regular", "Regular", "reached the Regular level"),
)
BADGE_BY_SLUG = {b.slug: b for b in BADGES}
_RULES = {
    "first-question": lambda s, lv: s.questions >= 1,
    "first-answer": lambda s, lv: s.answers >= 1,
    "first-accepted": lambda s, lv: s.accepted >= 1,
    "helpful-10": lambda s, lv: s.helpful >= 10,
    "helpful-50": lambda s, lv: s.helpful >= 50,
    "accepted-10": lambda s, lv: s.accepted >= 10,
    "regular": lambda s, lv: lv >= 3,
}


@dataclass(frozen=True)
class Stats:
    questions: int
    answers: int
    accepted: int
    helpful: int
    days: int

    @property
    def posts(self) -> int:
        return self.questions + self.answers


def stats(member: CommunityMember, *, now: datetime | None = None) -> Stats:
    """What counts: only public posts (held, hidden and deleted ones earn nothing)."""
    now = now or timezone.now()
    answers = Answer.objects.filter(author=member, hidden=False, question__hidden=False)
    return Stats(
        questions=Question.objects.filter(author=member, hidden=False).count(),
        answers=answers.count(),
        accepted=answers.filter(accepted_at__isnull=False).count(),
        helpful=Vote.objects.filter(answer__in=answers).exclude(member=member).count(),
        days=max((now - member.created_at).days, 0),
    )


def level_for(s: Stats) -> int:
    return max(lv.number for lv in LEVELS if lv.reached(s))


def refresh(member: CommunityMember, *, now: datetime | None = None) -> int:
    """Recompute the member's level and award the badges they have earned; returns the level."""
    now = now or timezone.now()
    s = stats(member, now=now)
    level = level_for(s)
    if level != member.trust_level:
        CommunityMember.objects.filter(pk=member.pk).update(trust_level=level)
        member.trust_level = level
    have = set(BadgeAward.objects.filter(member=member).values_list("badge", flat=True))
    for badge in BADGES:
        if badge.slug not in have and badge.earned(s, level):
            try:
                with transaction.atomic():
                    BadgeAward.objects.create(
                        workspace_id=member.workspace_id,
                        member=member,
                        badge=badge.slug,
                        reason=badge.description,
                        awarded_at=now,
                    )
            except IntegrityError:
                pass  # awarded meanwhile by another request: still once
    return level


def current(member: CommunityMember, *, now: datetime | None = None) -> int:
    """The member's level now (membership age moves it without any post): recomputed, then stored."""
    return refresh(member, now=now)


def next_level(member: CommunityMember, s: Stats) -> tuple[Level, list[str]] | None:
    if member.trust_level + 1 >= len(LEVELS):
        return None
    nxt = LEVELS[member.trust_level + 1]
    return nxt, nxt.missing(s)

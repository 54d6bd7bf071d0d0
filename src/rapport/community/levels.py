"""Trust levels and badges, computed from what a member did (in the manner of Discourse's trust levels, without
the reading statistics: public posts, accepted answers, helpful votes received and how long they have been a
member). The level is stored on the member for the pages and recomputed whenever one of those changes.

What each level unlocks is enforced here and read by moderation and the pages; badges go to an append-only award
ledger with one award per member and badge (a unique constraint: no double awards, even from two requests).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop, ngettext

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
        short = {
            "posts": self.posts - stats.posts,
            "accepted": self.accepted - stats.accepted,
            "helpful": self.helpful - stats.helpful,
            "days": self.days - stats.days,
        }
        words = {  # literal calls, so the catalogue has each plural pair
            "posts": lambda n: ngettext("%(n)d more public post", "%(n)d more public posts", n),
            "accepted": lambda n: ngettext("%(n)d more accepted answer", "%(n)d more accepted answers", n),
            "helpful": lambda n: ngettext("%(n)d more helpful vote", "%(n)d more helpful votes", n),
            "days": lambda n: ngettext("%(n)d more day of membership", "%(n)d more days of membership", n),
        }
        need = [words[d](n) % {"n": n} for d, n in short.items() if n > 0]
        return need


_ = gettext_noop  # marked for the catalogue, kept in English, translated where shown
LEVELS = (
    Level(0, LEVEL_NAMES[0], 0, 0, 0, 0, (_("ask and answer: posts wait for a moderator when the community holds "
                                            "new members' first posts"), _("no links in posts"))),
    Level(1, LEVEL_NAMES[1], 1, 0, 0, 0, (_("posts appear at once"), _("may report posts to the moderators"))),
    Level(2, LEVEL_NAMES[2], 5, 0, 3, 7, (_("may post links"),)),
    Level(3, LEVEL_NAMES[3], 20, 5, 25, 60, (_("one report from a regular hides a post until a moderator looks"),)),
)  # fmt: skip

MAY_FLAG = 1
MAY_LINK = 2
FLAG_HIDES = 3
DIMENSIONS = ("posts", "accepted", "helpful", "days")
LIMITS = {"posts": 10_000, "accepted": 1_000, "helpful": 10_000, "days": 3_650}
DIMENSION_WORDS = {
    "posts": "public posts",
    "accepted": "accepted answers",
    "helpful": "helpful votes received",
    "days": "days of membership",
}


def table(workspace_id: int) -> tuple[Level, ...]:
    """The workspace's levels: the defaults above with the thresholds its admins set (names and unlocks stay)."""
    from rapport.community.models import CommunitySettings

    raw = CommunitySettings.objects.filter(workspace_id=workspace_id).values_list("level_thresholds", flat=True)
    return apply(next(iter(raw), None) or {})


def apply(thresholds: dict) -> tuple[Level, ...]:
    out = []
    for lv in LEVELS:
        given = thresholds.get(str(lv.number)) or {}
        out.append(replace(lv, **{d: int(given[d]) for d in DIMENSIONS if d in given}) if lv.number else lv)
    return tuple(out)


def thresholds_of(levels: tuple[Level, ...]) -> dict[str, dict[str, int]]:
    return {str(lv.number): {d: getattr(lv, d) for d in DIMENSIONS} for lv in levels if lv.number}


def clean_thresholds(raw: dict) -> dict[str, dict[str, int]]:
    """Thresholds for levels 1 to 3 from a form or the API, checked: whole numbers in range, and each level asking
    at least what the one below asks (otherwise a member could skip a level). Errors name the field, e.g.
    level2_helpful."""
    from rapport.core.errors import FieldErrors

    errors: dict[str, str] = {}
    out: dict[str, dict[str, int]] = {}
    for lv in LEVELS[1:]:
        given = raw.get(str(lv.number)) or {}
        if not isinstance(given, dict):
            errors[f"level{lv.number}"] = "an object of posts, accepted, helpful and days"
            continue
        row = {}
        for d in DIMENSIONS:
            value = given.get(d, getattr(lv, d))
            name = f"level{lv.number}_{d}"
            if isinstance(value, bool) or not isinstance(value, int):
                try:
                    value = int(str(value).strip())
                except ValueError:
                    errors[name] = "a whole number"
                    continue
            if not 0 <= value <= LIMITS[d]:
                errors[name] = f"0 to {LIMITS[d]:,}"
                continue
            row[d] = value
        out[str(lv.number)] = row
    for n in (2, 3):
        for d in DIMENSIONS:
            low, high = out.get(str(n - 1), {}).get(d), out.get(str(n), {}).get(d)
            if low is not None and high is not None and high < low and f"level{n}_{d}" not in errors:
                errors[f"level{n}_{d}"] = f"at least level {n - 1}'s {low} {DIMENSION_WORDS[d]}"
    if errors:
        raise FieldErrors(errors)
    return out


def update_thresholds(*, workspace, actor, thresholds: dict) -> tuple[Level, ...]:
    """Save a workspace's level thresholds (audited) and recompute every member's level in the background."""
    from rapport.community.models import CommunitySettings
    from rapport.core.services import record_audit

    clean = clean_thresholds(thresholds)
    with transaction.atomic():
        rules, _ = CommunitySettings.objects.select_for_update().get_or_create(workspace=workspace)
        before = thresholds_of(apply(rules.level_thresholds or {}))
        rules.level_thresholds = clean
        rules.save(update_fields=["level_thresholds"])
        record_audit(
            workspace=workspace,
            actor=actor,
            action="community.levels_changed",
            object_type="community.settings",
            object_id=workspace.pk,
            before=before,
            after=clean,
        )
        if before != clean:
            from rapport.community.tasks import refresh_levels

            transaction.on_commit(lambda: refresh_levels.enqueue(workspace.pk))
    return apply(clean)


def refresh_all(workspace_id: int) -> int:
    """Every member's level again (after the thresholds changed); returns how many moved."""
    moved = 0
    levels = table(workspace_id)
    for m in CommunityMember.objects.filter(workspace_id=workspace_id).order_by("pk").iterator(chunk_size=500):
        before = m.trust_level
        refresh(m, levels=levels)
        moved += m.trust_level != before
    return moved


@dataclass(frozen=True)
class Badge:
    slug: str
    name: str
    description: str

    def earned(self, stats: Stats, level: int) -> bool:
        return _RULES[self.slug](stats, level)


BADGES = (
    Badge("first-question", _("Curious"), _("asked a first question")),
    Badge("first-answer", _("Helping hand"), _("answered a first question")),
    Badge("first-accepted", _("Solved it"), _("a first answer accepted")),
    Badge("helpful-10", _("Helpful"), _("10 helpful votes received")),
    Badge("helpful-50", _("Very helpful"), _("50 helpful votes received")),
    Badge("accepted-10", _("Problem solver"), _("10 answers accepted")),
    Badge("regular", _("Regular"), _("reached the Regular level")),
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


def level_for(s: Stats, levels: tuple[Level, ...] = LEVELS) -> int:
    return max(lv.number for lv in levels if lv.reached(s))


def refresh(member: CommunityMember, *, now: datetime | None = None, levels: tuple[Level, ...] | None = None) -> int:
    """Recompute the member's level (by the workspace's thresholds) and award the badges they have earned; returns
    the level."""
    now = now or timezone.now()
    s = stats(member, now=now)
    level = level_for(s, levels or table(member.workspace_id))
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


def next_level(member: CommunityMember, s: Stats, levels: tuple[Level, ...] = LEVELS) -> tuple[Level, list[str]] | None:
    if member.trust_level + 1 >= len(levels):
        return None
    nxt = levels[member.trust_level + 1]
    return nxt, nxt.missing(s)

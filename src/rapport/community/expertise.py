"""Topic expertise, kept up to date on write: the normalised topics of each question (QuestionTopic) and one
row per member and topic (Expertise) with the recency-weighted score, its counts and the last answer.

A contribution is worth its points halved every EXPERT_HALF_LIFE_DAYS. Instead of decaying every row as time passes,
a row stores each contribution grown from a fixed epoch (points x 2^(age_at_epoch / half-life)); the decayed score
today is that sum times 2^(-(now - epoch) / half-life), the same factor for everyone, so the stored weight orders the
members exactly as their decayed scores do and the expert lookup is one indexed read of the top rows.

Every write recomputes the rows it touches from the posts themselves (not +1/-1 increments), so hiding, approving
or deleting a post, or a second request racing the first, can never leave a row off by one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from django.db import transaction

from rapport.community.models import Answer, CommunityMember, Expertise, Question, QuestionTopic, Vote

ACCEPTED_POINTS = 15
HELPFUL_POINTS = 10
EXPERT_HALF_LIFE_DAYS = 180.0
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
TOPIC_LENGTH = 100


def normalise(topic: str) -> str:
    return (topic or "").strip().lower()[:TOPIC_LENGTH]


def growth(at: datetime) -> float:
    return 2.0 ** ((at - EPOCH).total_seconds() / 86400 / EXPERT_HALF_LIFE_DAYS)


def decay_factor(now: datetime) -> float:
    """What turns a stored weight into today's score."""
    return 2.0 ** (-(now - EPOCH).total_seconds() / 86400 / EXPERT_HALF_LIFE_DAYS)


def topics_for(*, category_slug: str, category_name: str, tags: Iterable[str]) -> set[str]:
    return {t for t in (normalise(category_slug), normalise(category_name), *(normalise(x) for x in tags)) if t}


def index_question(question: Question) -> set[str]:
    """Write the question's topic rows (after it is asked, or its tags or category change); returns the topics."""
    category = question.category
    topics = topics_for(category_slug=category.slug, category_name=category.name, tags=question.tags or [])
    have = set(QuestionTopic.objects.filter(question=question).values_list("topic", flat=True))
    if have - topics:
        QuestionTopic.objects.filter(question=question, topic__in=have - topics).delete()
    QuestionTopic.objects.bulk_create(
        [QuestionTopic(workspace_id=question.workspace_id, question=question, topic=t) for t in topics - have],
        ignore_conflicts=True,
    )
    return topics | have


def _aggregate(answers: Iterable[tuple], votes: dict[int, list[datetime]]) -> dict[tuple[str, int], dict]:
    """(topic, member) -> the row's values, from (topic, answer id, author id, created_at, accepted_at) tuples."""
    out: dict[tuple[str, int], dict] = {}
    for topic, pk, author_id, created_at, accepted_at in answers:
        row = out.setdefault(
            (topic, author_id), {"weight": 0.0, "accepted": 0, "helpful": 0, "answers": 0, "last_at": None}
        )
        row["answers"] += 1
        row["last_at"] = created_at if row["last_at"] is None else max(row["last_at"], created_at)
        if accepted_at is not None:
            row["accepted"] += 1
            row["weight"] += ACCEPTED_POINTS * growth(accepted_at)
        for at in votes.get(pk, ()):
            row["helpful"] += 1
            row["weight"] += HELPFUL_POINTS * growth(at)
    return out


def _votes(answer_ids: list[int]) -> dict[int, list[datetime]]:
    votes: dict[int, list[datetime]] = defaultdict(list)
    for lo in range(0, len(answer_ids), 5000):
        chunk = answer_ids[lo : lo + 5000]
        for answer_id, at in Vote.objects.filter(answer_id__in=chunk).values_list("answer_id", "created_at"):
            votes[answer_id].append(at)
    return votes


def _write(workspace_id: int, found: dict[tuple[str, int], dict], *, members: set[int], topics: set[str]) -> None:
    Expertise.objects.bulk_create(
        [Expertise(workspace_id=workspace_id, topic=t, member_id=m, **values) for (t, m), values in found.items()],
        update_conflicts=True,
        unique_fields=["workspace", "topic", "member"],
        update_fields=["weight", "accepted", "helpful", "answers", "last_at"],
        batch_size=2000,
    )
    stale = Expertise.objects.filter(workspace_id=workspace_id, member_id__in=members, topic__in=topics)
    gone = [pk for pk, t, m in stale.values_list("pk", "topic", "member_id") if (t, m) not in found]
    if gone:
        Expertise.objects.filter(pk__in=gone).delete()


@transaction.atomic
def refresh(*, workspace_id: int, member_ids: Iterable[int], topics: Iterable[str]) -> None:
    """Recompute the rows of these members on these topics from their public answers and the votes on them."""
    members = {m for m in member_ids if m is not None}
    topics = {t for t in topics if t}
    if not members or not topics:
        return
    # One writer per member at a time: the second request recomputes after the first has committed.
    list(CommunityMember.objects.select_for_update().filter(pk__in=sorted(members)).values_list("pk", flat=True))
    answers = list(
        Answer.objects.filter(
            workspace_id=workspace_id,
            author_id__in=members,
            hidden=False,
            question__hidden=False,
            question__topics__topic__in=topics,
        ).values_list("question__topics__topic", "pk", "author_id", "created_at", "accepted_at")
    )
    found = _aggregate(answers, _votes(sorted({a[1] for a in answers})))
    _write(workspace_id, found, members=members, topics=topics)


def _question_topics(question_id: int) -> list[str]:
    return list(QuestionTopic.objects.filter(question_id=question_id).values_list("topic", flat=True))


def refresh_answer(answer: Answer) -> None:
    """After an answer is posted, voted on, accepted, hidden or approved."""
    refresh(
        workspace_id=answer.workspace_id, member_ids=[answer.author_id], topics=_question_topics(answer.question_id)
    )


def refresh_question(question: Question, *, topics: Iterable[str] = ()) -> None:
    """After a question is hidden, approved or re-tagged: everyone who answered it (`topics`: also the topics it
    no longer has, so those rows lose it)."""
    authors = set(Answer.objects.filter(question=question).values_list("author_id", flat=True))
    refresh(
        workspace_id=question.workspace_id,
        member_ids=authors,
        topics={*_question_topics(question.pk), *topics},
    )


@transaction.atomic
def rebuild(workspace_id: int) -> int:
    """Every topic row and expertise row of a workspace from scratch (after bulk loads, a category renamed, or to
    check the incremental rows); returns the number of expertise rows."""
    from rapport.community.models import Category

    cats = {c.pk: c for c in Category.objects.filter(workspace_id=workspace_id)}
    QuestionTopic.objects.filter(workspace_id=workspace_id).delete()
    rows = []
    for pk, category_id, tags in (
        Question.objects.filter(workspace_id=workspace_id)
        .values_list("pk", "category_id", "tags")
        .iterator(chunk_size=5000)
    ):
        c = cats[category_id]
        rows += [
            QuestionTopic(workspace_id=workspace_id, question_id=pk, topic=t)
            for t in topics_for(category_slug=c.slug, category_name=c.name, tags=tags or [])
        ]
        if len(rows) >= 5000:
            QuestionTopic.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    QuestionTopic.objects.bulk_create(rows, ignore_conflicts=True)
    Expertise.objects.filter(workspace_id=workspace_id).delete()
    answers = list(
        Answer.objects.filter(workspace_id=workspace_id, hidden=False, question__hidden=False)
        .values_list("question__topics__topic", "pk", "author_id", "created_at", "accepted_at")
        .iterator(chunk_size=10000)
    )
    answers = [a for a in answers if a[0] is not None]
    found = _aggregate(answers, _votes(sorted({a[1] for a in answers})))
    Expertise.objects.bulk_create(
        [Expertise(workspace_id=workspace_id, topic=t, member_id=m, **values) for (t, m), values in found.items()],
        batch_size=5000,
    )
    return len(found)

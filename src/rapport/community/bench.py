"""The community at scale: the public question, topic and search pages (uncached, through the full Django stack
in-process) beside the framework's floor, and the topic expert ranking beside the cheapest possible SQL ranking."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import timedelta

from django.db import connection
from django.db.models import Count, Q
from django.test import Client
from django.utils import timezone

from rapport.community import expertise, search, services
from rapport.community.models import (
    Answer,
    Category,
    CommunityMember,
    CommunitySettings,
    Expertise,
    Question,
    QuestionTopic,
    Vote,
)
from rapport.core.services import get_or_create_workspace

NAME = "community"
PAGE_GOAL_MS = 100  # question and topic page p95, uncached (the goal at 1M posts on PostgreSQL)
SEARCH_GOAL_MS = 200
EXPERT_GOAL_MS = 50
WORDS = [
    *("charge", "battery", "screen", "sim", "router", "fibre", "roaming"),
    *("update", "wifi", "bluetooth", "camera", "speaker", "bill", "tariff"),
]


def add_arguments(parser) -> None:
    parser.add_argument("--questions", type=int, default=10_000, help="questions (each with about 2 answers)")
    parser.add_argument("--members", type=int, default=2_000)
    parser.add_argument("--categories", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--workspace", default="bench-community")
    parser.add_argument("--regenerate", action="store_true", help="drop and regenerate the bench workspace")


def _timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _pct(ms: list[float], p: float) -> float:
    s = sorted(ms)
    return s[min(len(s) - 1, int(p * len(s)))]


def _line(write, label: str, ms: list[float], goal: float | None = None) -> None:
    p95 = _pct(ms, 0.95)
    verdict = "" if goal is None else ("  ok" if p95 < goal else f"  OVER the {goal:.0f} ms goal")
    write(f"  {label:<58} median {statistics.median(ms):8.2f} ms   p95 {p95:8.2f} ms{verdict}")


def generate(ws, *, questions: int, members: int, categories: int, write) -> None:
    """Members, categories, questions with ~2 answers each (a third accepted), helpful votes: bulk inserts."""
    rng = random.Random(11)
    start = time.perf_counter()
    CommunitySettings.objects.update_or_create(workspace=ws, defaults={"moderate_first_posts": False})
    cats = Category.objects.bulk_create(
        [Category(workspace=ws, slug=f"topic-{i}", name=f"Topic {i}") for i in range(categories)]
    )
    cats = list(Category.objects.filter(workspace=ws).order_by("pk"))
    CommunityMember.objects.bulk_create(
        [
            CommunityMember(workspace=ws, handle=f"member{i}", email=f"member{i}@bench.example", trust_level=i % 4)
            for i in range(members)
        ],
        batch_size=2000,
    )
    people = list(CommunityMember.objects.filter(workspace=ws).order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    batch = 2000
    for lo in range(0, questions, batch):
        rows = []
        for i in range(lo, min(questions, lo + batch)):
            w = rng.sample(WORDS, 3)
            rows.append(
                Question(
                    workspace=ws,
                    category=cats[i % len(cats)],
                    author_id=rng.choice(people),
                    title=f"Question {i}: my {w[0]} and {w[1]} trouble",
                    body=f"Since the update the **{w[0]}** stops; {w[2]} is fine. Any idea? (#{i})",
                    tags=[w[0]],
                )
            )
        Question.objects.bulk_create(rows)
    qs = list(Question.objects.filter(workspace=ws).values_list("pk", "author_id"))
    answers = []
    for qpk, asker in qs:
        for _ in range(rng.choice((1, 2, 3))):
            who = rng.choice(people)
            answers.append(
                Answer(
                    workspace=ws,
                    question_id=qpk,
                    author_id=who if who != asker else people[0],
                    body="Try a restart, then *Settings > General > Reset*; see https://support.example/kb.",
                    accepted_at=now - timedelta(days=rng.randint(0, 400)) if rng.random() < 0.33 else None,
                )
            )
    Answer.objects.bulk_create(answers, batch_size=5000)
    accepted = Answer.objects.filter(workspace=ws, accepted_at__isnull=False).values_list("pk", "question_id")
    for apk, qpk in accepted.iterator(chunk_size=5000):
        Question.objects.filter(pk=qpk, accepted_answer__isnull=True).update(accepted_answer_id=apk)
    apks = list(Answer.objects.filter(workspace=ws).values_list("pk", "author_id"))
    votes = []
    for apk, author in rng.sample(apks, min(len(apks), questions)):
        for voter in rng.sample(people, 2):
            if voter != author:
                votes.append(Vote(workspace=ws, answer_id=apk, member_id=voter))
    Vote.objects.bulk_create(votes, batch_size=5000, ignore_conflicts=True)
    expertise.rebuild(ws.pk)  # bulk inserts bypass the services that keep topics, expertise and search current
    search.rebuild(ws.pk)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                "ANALYZE community_question; ANALYZE community_answer; ANALYZE community_vote; "
                "ANALYZE community_questiontopic; ANALYZE community_expertise;"
            )
    write(
        f"  {len(qs):,} questions, {len(apks):,} answers, {Vote.objects.filter(workspace=ws).count():,} votes, "
        f"{len(people):,} members in {time.perf_counter() - start:.1f} s"
    )


def _sql_floor(ws, cat) -> list:
    """The baseline: the cheapest ranking there is, one GROUP BY without recency, tags or reasons."""
    return list(
        Answer.objects.filter(workspace=ws, hidden=False, question__category=cat)
        .values("author_id")
        .annotate(acc=Count("pk", filter=Q(accepted_at__isnull=False)), votes=Count("votes"))
        .order_by("-acc", "-votes")[:10]
    )


def run(options: dict, write) -> None:
    ws, _ = get_or_create_workspace(slug=options["workspace"], name="Community benchmark")
    have = Question.objects.filter(workspace=ws).count()
    if options["regenerate"] or have != options["questions"]:
        if have or Category.objects.filter(workspace=ws).exists():
            write("dropping the previous bench data")
            Vote.objects.filter(workspace=ws).delete()
            Expertise.objects.filter(workspace=ws).delete()
            QuestionTopic.objects.filter(workspace=ws).delete()
            Question.objects.filter(workspace=ws).update(accepted_answer=None)
            Answer.objects.filter(workspace=ws).delete()
            Question.objects.filter(workspace=ws).delete()
            CommunityMember.objects.filter(workspace=ws).delete()
            Category.objects.filter(workspace=ws).delete()
        write(f"generating {options['questions']:,} questions on {connection.vendor}")
        generate(
            ws,
            questions=options["questions"],
            members=options["members"],
            categories=options["categories"],
            write=write,
        )
    elif not Expertise.objects.filter(workspace=ws).exists():
        write("building the topic and expertise rows of data generated before they existed")
        expertise.rebuild(ws.pk)
        search.rebuild(ws.pk)
    n = options["requests"]
    rng = random.Random(7)
    ids = list(Question.objects.filter(workspace=ws).values_list("pk", flat=True))
    cats = list(Category.objects.filter(workspace=ws))
    client = Client(HTTP_HOST="localhost")
    base = f"/community/{ws.slug}/"

    def get(url: str) -> None:
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)

    write(
        f"\ncommunity on {connection.vendor}: {len(ids):,} questions, {Answer.objects.filter(workspace=ws).count():,} "
        f"answers, search by {search.backend()}\n  (goals: page p95 < {PAGE_GOAL_MS} ms, search < {SEARCH_GOAL_MS} ms, "
        f"experts < {EXPERT_GOAL_MS} ms "
        "at 1M posts on PostgreSQL)"
    )
    write(
        f"  (anonymous GETs through the whole Django stack in-process, one at a time, no cache; {n} requests each on "
        "a warm database; Markdown rendered and sanitised on every request)"
    )
    get(f"{base}q/{ids[0]}/")  # warm-up: templates, the parser
    _line(write, "question page /q/<id>/", _timed(lambda: get(f"{base}q/{rng.choice(ids)}/"), n), PAGE_GOAL_MS)
    _line(write, "topic page /c/<slug>/", _timed(lambda: get(f"{base}c/{rng.choice(cats).slug}/"), n), PAGE_GOAL_MS)
    _line(
        write,
        "search /search?q=<two words>",
        _timed(lambda: get(f"{base}search?q={'+'.join(rng.sample(WORDS, 2))}"), max(10, n // 4)),
        SEARCH_GOAL_MS,
    )
    _line(
        write,
        "baseline: the same words by containment (LIKE, no index)",
        _timed(lambda: search.search(ws, " ".join(rng.sample(WORDS, 2)), kind="plain"), max(10, n // 4)),
    )
    _line(write, "baseline: GET /healthz (the framework's floor)", _timed(lambda: client.get("/healthz"), n))
    write("experts: rank members for a topic (recency decay, reasons)")
    _line(
        write,
        "Rapport services.experts(topic)",
        _timed(lambda: services.experts(workspace=ws, topic=rng.choice(cats).slug), max(10, n // 4)),
        EXPERT_GOAL_MS,
    )
    _line(
        write,
        "baseline: one GROUP BY (no decay, tags or reasons)",
        _timed(lambda: _sql_floor(ws, rng.choice(cats)), max(10, n // 4)),
    )

"""Community analytics for its managers: how many cases customers solved for each other (questions asked from the
inbox whose accepted answer resolved the case), time to first answer, answer and acceptance rates, and active
members per week, over a period. Counted from public posts only (held, hidden and deleted ones are not the
community's answers)."""

from __future__ import annotations

import io
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Min, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from rapport.community.models import Answer, Question, Vote
from rapport.core import csvsafe
from rapport.core.errors import FieldErrors
from rapport.core.models import Workspace

MAX_DAYS = 730
DEFAULT_DAYS = 90


@dataclass
class Report:
    start: datetime
    end: datetime
    questions: int = 0
    answered: int = 0
    accepted: int = 0
    first_answer_hours_median: float | None = None
    first_answer_hours_p90: float | None = None
    from_inbox: int = 0
    deflected: int = 0
    returned_to_care: int = 0
    weeks: list[dict] = field(default_factory=list)  # {"week": date, "members": n, "questions": n, "answers": n}

    @property
    def answer_rate(self) -> float | None:
        return round(self.answered / self.questions, 3) if self.questions else None

    @property
    def acceptance_rate(self) -> float | None:
        return round(self.accepted / self.questions, 3) if self.questions else None


def period(days: int | None, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    days = DEFAULT_DAYS if days is None else days
    if not 1 <= days <= MAX_DAYS:
        raise FieldErrors({"days": f"1 to {MAX_DAYS}"})
    end = now or timezone.now()
    return end - timedelta(days=days), end


def _hours(delta: timedelta) -> float:
    return max(delta.total_seconds(), 0) / 3600


def report(workspace: Workspace, *, days: int | None = None, now: datetime | None = None) -> Report:
    start, end = period(days, now=now)
    r = Report(start=start, end=end)
    asked = Question.objects.filter(workspace=workspace, hidden=False, created_at__gte=start, created_at__lt=end)
    rows = list(
        asked.annotate(
            first=Min("answers__created_at", filter=Q(answers__hidden=False)),
        ).values_list("pk", "created_at", "first", "accepted_answer_id", "conversation_id")
    )
    r.questions = len(rows)
    waits = sorted(_hours(first - created) for _, created, first, _, _ in rows if first is not None)
    r.answered = len(waits)
    r.accepted = sum(1 for row in rows if row[3] is not None)
    if waits:
        r.first_answer_hours_median = round(statistics.median(waits), 1)
        r.first_answer_hours_p90 = round(waits[min(len(waits) - 1, int(0.9 * len(waits)))], 1)
    inbox = Question.objects.filter(workspace=workspace, conversation__isnull=False)
    r.from_inbox = inbox.filter(created_at__gte=start, created_at__lt=end).count()
    # A case is deflected when the answer that resolved it was accepted in the period.
    r.deflected = inbox.filter(accepted_answer__accepted_at__gte=start, accepted_answer__accepted_at__lt=end).count()
    r.returned_to_care = inbox.filter(returned_to_care_at__gte=start, returned_to_care_at__lt=end).count()
    r.weeks = weekly(workspace, start=start, end=end)
    return r


def weekly(workspace: Workspace, *, start: datetime, end: datetime) -> list[dict]:
    """Per week (Monday first, every week of the period, empty ones too): members who asked, answered or voted,
    and the public questions and answers written."""
    active: dict[date, set[int]] = {}
    counts: dict[date, dict[str, int]] = {}
    sources = (
        ("questions", Question.objects.filter(workspace=workspace, hidden=False), "author_id"),
        ("answers", Answer.objects.filter(workspace=workspace, hidden=False, question__hidden=False), "author_id"),
        ("votes", Vote.objects.filter(workspace=workspace), "member_id"),
    )
    for name, qs, who in sources:
        in_period = qs.filter(created_at__gte=start, created_at__lt=end).annotate(week=TruncWeek("created_at"))
        for week, member_id in in_period.values_list("week", who).distinct().order_by():
            if member_id is not None:  # a question an agent posted from the inbox has no member
                active.setdefault(_day(week), set()).add(member_id)
        if name != "votes":
            for row in in_period.values("week").annotate(n=Count("pk")).order_by():
                counts.setdefault(_day(row["week"]), {"questions": 0, "answers": 0})[name] = row["n"]
    first = timezone.localtime(start).date()
    first -= timedelta(days=first.weekday())
    last = timezone.localtime(end).date()
    out = []
    day = first
    while day <= last:
        c = counts.get(day, {"questions": 0, "answers": 0})
        out.append({"week": day, "members": len(active.get(day, ())), **c})
        day += timedelta(days=7)
    return out


def _day(week: datetime | date) -> date:
    return timezone.localtime(week).date() if isinstance(week, datetime) else week


def as_dict(r: Report) -> dict:
    return {
        "start": r.start,
        "end": r.end,
        "questions": r.questions,
        "answered": r.answered,
        "accepted": r.accepted,
        "answer_rate": r.answer_rate,
        "acceptance_rate": r.acceptance_rate,
        "first_answer_hours_median": r.first_answer_hours_median,
        "first_answer_hours_p90": r.first_answer_hours_p90,
        "from_inbox": r.from_inbox,
        "deflected": r.deflected,
        "returned_to_care": r.returned_to_care,
        "weeks": r.weeks,
    }


def to_csv(r: Report) -> str:
    out = io.StringIO()
    w = csvsafe.writer(out)  # numbers and dates only today, but every CSV goes through the escaping writer
    w.writerow(["week", "active_members", "questions", "answers"])
    for row in r.weeks:
        w.writerow([row["week"].isoformat(), row["members"], row["questions"], row["answers"]])
    return out.getvalue()


def chart(weeks: list[dict], *, width: int = 900, height: int = 160) -> dict:
    """Bars of active members per week (server-rendered SVG, like the product's other charts)."""
    top = max((w["members"] for w in weeks), default=0)
    n = max(len(weeks), 1)
    slot = width / n
    bars = []
    for i, wk in enumerate(weeks):
        h = round(height * wk["members"] / top, 2) if top else 0
        bw = min(max(slot * 0.8, 1), 36)
        bars.append(
            {
                "x": round(i * slot + (slot - bw) / 2, 2),
                "y": round(height - h, 2),
                "w": round(bw, 2),
                "h": h,
                "title": f"week of {wk['week']:%Y-%m-%d}: {wk['members']} active members",
            }
        )
    step = max(1, n // 6)
    labels = [(round(i * slot + slot / 2, 2), f"{weeks[i]['week']:%Y-%m-%d}") for i in range(0, len(weeks), step)]
    return {"width": width, "height": height, "bars": bars, "top": top, "labels": labels}

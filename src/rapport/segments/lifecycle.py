"""Lifecycle stages inferred from what people do, shown against the customer journey (discover, explore, buy,
engage). Each move names the rule that made it, on the person's timeline and in the audit log.

The rules, strongest first (the first that holds is the stage the signals support):

| rule | signal | stage | journey |
|---|---|---|---|
| churn_risk | a customer whose probability of still being active fell below 30 % | lapsed | engage (at risk) |
| repeat_purchase | two or more orders, still active | advocate | engage |
| first_purchase | one order | customer | buy |
| question | a post or inbound message that asks a question | prospect | explore |
| first_mention | heard on a network for the first time | lead | discover |

Inference moves people forward (lead → prospect → customer → advocate) and to lapsed on churn risk; it never
moves anyone back down a stage a person set by hand is above, and a lapsed customer comes back with a new order
(a repeat purchase makes them an advocate again, since their p_alive rises).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, IntegerField, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from rapport.contacts import services as contacts
from rapport.contacts.models import LifecycleStage, Person, Touchpoint
from rapport.core import bulk
from rapport.core.actors import Actor
from rapport.listening.models import Post

CHURN_RISK = 0.3
JOURNEY = {
    LifecycleStage.LEAD: "discover",
    LifecycleStage.PROSPECT: "explore",
    LifecycleStage.CUSTOMER: "buy",
    LifecycleStage.ADVOCATE: "engage",
    LifecycleStage.LAPSED: "engage",
}
JOURNEY_ORDER = ["discover", "explore", "buy", "engage"]
RANK = {
    LifecycleStage.LEAD: 0,
    LifecycleStage.PROSPECT: 1,
    LifecycleStage.CUSTOMER: 2,
    LifecycleStage.ADVOCATE: 3,
}
RULES = {
    "churn_risk": "churn risk: probability still active {p_alive:.0%} (below {limit:.0%})",
    "repeat_purchase": "repeat purchase: {orders} orders",
    "first_purchase": "first purchase",
    "question": "asked a question",
    "first_mention": "first mention heard",
}
SOURCE = "lifecycle"


@dataclass(frozen=True)
class Move:
    person_id: int
    before: str
    after: str
    rule: str
    reason: str


def _signals(workspace_id: int, person_ids: Iterable[int] | None) -> Any:
    posts = Post.objects.filter(workspace_id=workspace_id, person_id=OuterRef("pk"))
    inbound = Touchpoint.objects.filter(
        workspace_id=workspace_id, person_id=OuterRef("pk"), direction="inbound", body__contains="?"
    )
    qs = Person.objects.filter(workspace_id=workspace_id, merged_into__isnull=True).annotate(
        sig_orders=Coalesce("value__orders", Value(0), output_field=IntegerField()),
        sig_p_alive=Coalesce("value__p_alive", Value(1.0)),
        sig_mentioned=Exists(posts),
        sig_asked_post=Exists(posts.filter(text__contains="?")),
        sig_asked_inbound=Exists(inbound),
    )
    if person_ids is not None:
        qs = qs.filter(pk__in=list(person_ids))
    return qs


def inferred(orders: int, p_alive: float, mentioned: bool, question: bool) -> tuple[str, str] | None:
    """(stage, rule) the signals support, or None when they say nothing."""
    if orders >= 1 and p_alive < CHURN_RISK:
        return LifecycleStage.LAPSED, "churn_risk"
    if orders >= 2:
        return LifecycleStage.ADVOCATE, "repeat_purchase"
    if orders == 1:
        return LifecycleStage.CUSTOMER, "first_purchase"
    if question:
        return LifecycleStage.PROSPECT, "question"
    if mentioned:
        return LifecycleStage.LEAD, "first_mention"
    return None


def decide(current: str, orders: int, p_alive: float, mentioned: bool, question: bool) -> tuple[str, str] | None:
    """The move inference makes from `current`, or None."""
    found = inferred(orders, p_alive, mentioned, question)
    if found is None:
        return None
    stage, rule = found
    if stage == current:
        return None
    if stage == LifecycleStage.LAPSED:
        return found
    if current == LifecycleStage.LAPSED:
        # Back from lapsed only on a purchase signal that is no longer at risk.
        return found if stage in (LifecycleStage.CUSTOMER, LifecycleStage.ADVOCATE) else None
    return found if RANK[stage] > RANK.get(current, 0) else None


def _candidates(qs):
    """People whose signals could move them, filtered in SQL before any row is read."""
    churn = Q(sig_orders__gte=1, sig_p_alive__lt=CHURN_RISK) & ~Q(lifecycle_stage=LifecycleStage.LAPSED)
    repeat = Q(sig_orders__gte=2, sig_p_alive__gte=CHURN_RISK) & ~Q(lifecycle_stage=LifecycleStage.ADVOCATE)
    first = Q(sig_orders=1, sig_p_alive__gte=CHURN_RISK) & Q(
        lifecycle_stage__in=[LifecycleStage.LEAD, LifecycleStage.PROSPECT, LifecycleStage.LAPSED]
    )
    asked = (Q(sig_asked_post=True) | Q(sig_asked_inbound=True)) & Q(sig_orders=0, lifecycle_stage=LifecycleStage.LEAD)
    return qs.filter(churn | repeat | first | asked)


BULK_FROM = 200  # more moves than this at once (an import, a refit) are written set-based
CHUNK = 2000


def _find_moves(workspace_id: int, person_ids: list[int] | None, limit: int | None) -> list[Move]:
    rows = _candidates(_signals(workspace_id, person_ids)).values_list(
        "pk", "lifecycle_stage", "sig_orders", "sig_p_alive", "sig_mentioned", "sig_asked_post", "sig_asked_inbound"
    )
    rows = rows.order_by("pk")
    moves = []
    for pk, current, orders, p_alive, mentioned, asked_post, asked_inbound in rows[:limit] if limit else rows:
        decision = decide(current, orders, p_alive, mentioned, bool(asked_post or asked_inbound))
        if decision is None:
            continue
        stage, rule = decision
        reason = RULES[rule].format(orders=orders, p_alive=p_alive, limit=CHURN_RISK)
        moves.append(Move(pk, current, stage, rule, reason))
    return moves


def _entry(move: Move) -> dict[str, Any]:
    return {
        "kind": "note",
        "channel": "other",
        "title": f"Lifecycle: {LifecycleStage(move.before).label} → {LifecycleStage(move.after).label}",
        "body": f"Rule {move.rule}: {move.reason} ({JOURNEY[move.before]} → {JOURNEY[move.after]}).",
        "source": SOURCE,
        "source_id": move.rule,
        "data": {"from": move.before, "to": move.after, "rule": move.rule, "journey": JOURNEY[move.after]},
    }


def _apply_one(workspace, actor: Actor, move: Move, now) -> None:
    """Through the contacts services: audited with before and after, announced as contact.updated."""
    person = Person.objects.get(pk=move.person_id)
    contacts.update_person(workspace=workspace, actor=actor, person=person, changes={"lifecycle_stage": move.after})
    contacts.log_touchpoint(workspace=workspace, actor=actor, person=person, occurred_at=now, **_entry(move))


_TIMELINE_COLUMNS = [
    "workspace",
    "person",
    "kind",
    "channel",
    "direction",
    "occurred_at",
    "title",
    "body",
    "amount",
    "currency",
    "source",
    "source_id",
    "data",
    "private",
    "created_at",
]


def _apply_bulk(workspace, actor: Actor, moves: list[Move], now) -> None:
    """Set-based for many moves: one UPDATE per (from, to), the timeline entries and audit rows in bulk, then the
    segments re-evaluate the moved people directly (instead of one contact.updated event per person)."""
    from rapport.core.services import record_audit_bulk
    from rapport.segments import services as segments

    with transaction.atomic():
        groups: dict[tuple[str, str], list[int]] = {}
        for m in moves:
            groups.setdefault((m.before, m.after), []).append(m.person_id)
        for (before, after), ids in groups.items():
            for i in range(0, len(ids), CHUNK):
                Person.objects.filter(pk__in=ids[i : i + CHUNK], lifecycle_stage=before).update(
                    lifecycle_stage=after, updated_at=now
                )
        # The timeline entries in one lean insert (COPY on PostgreSQL): an import can move a million people.
        entries = [(m, _entry(m)) for m in moves]
        bulk.insert(
            Touchpoint,
            _TIMELINE_COLUMNS,
            [
                [
                    workspace.pk,
                    m.person_id,
                    e["kind"],
                    e["channel"],
                    "none",
                    now,
                    e["title"],
                    e["body"],
                    None,
                    "",
                    e["source"],
                    e["source_id"],
                    e["data"],
                    False,
                    now,
                ]
                for m, e in entries
            ],
        )
        record_audit_bulk(
            workspace=workspace,
            actor=actor,
            events=[
                ("contact.updated", "person", m.person_id, {"lifecycle_stage": m.after, "rule": m.rule}) for m in moves
            ],
        )
        segments.refresh_people(
            workspace_id=workspace.pk, person_ids=[m.person_id for m in moves], families={"person"}, now=now
        )


def infer(*, workspace_id: int, person_ids: Iterable[int] | None = None, limit: int = 2000) -> list[Move]:
    """Apply the rules to these people (all of them), or to everyone who could move (up to `limit`), recording
    each move with its rule on the person's timeline."""
    from rapport.core.models import Workspace

    workspace = Workspace.objects.get(pk=workspace_id)
    if person_ids is None:
        moves = _find_moves(workspace_id, None, limit)
    else:
        ids = sorted(set(person_ids))
        moves = [m for i in range(0, len(ids), CHUNK) for m in _find_moves(workspace_id, ids[i : i + CHUNK], None)]
    actor = Actor.rule("lifecycle inference")
    now = timezone.now()
    if len(moves) > BULK_FROM:
        _apply_bulk(workspace, actor, moves, now)
    else:
        for move in moves:
            _apply_one(workspace, actor, move, now)
    return moves


def funnel(*, workspace_id: int) -> list[dict[str, Any]]:
    """People per stage, grouped by journey phase, in journey order."""
    from django.db.models import Count

    counts = dict(
        Person.objects.filter(workspace_id=workspace_id, merged_into__isnull=True)
        .values_list("lifecycle_stage")
        .annotate(n=Count("id"))
        .values_list("lifecycle_stage", "n")
    )
    out = []
    for phase in JOURNEY_ORDER:
        stages = [
            {"stage": s.value, "label": s.label, "count": counts.get(s.value, 0)}
            for s in LifecycleStage
            if JOURNEY[s] == phase
        ]
        out.append({"phase": phase, "stages": stages, "count": sum(s["count"] for s in stages)})
    return out


def recent_moves(*, workspace_id: int, limit: int = 20):
    return (
        Touchpoint.objects.filter(workspace_id=workspace_id, source=SOURCE)
        .select_related("person")
        .order_by("-occurred_at", "-id")[:limit]
    )

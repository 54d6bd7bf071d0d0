"""Next products per person from purchase history: item-item co-purchase similarity (cosine over who bought what),
excluding what the person already owns, explained by the owned product that contributes most; popular products
fill in for new customers, for people who objected to profiling, and when the neighbourhood runs short.

Computed at request time from three queries: the person's products, the buyers of those products and what those
buyers bought, and the number of buyers per product."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count

from rapport.commerce.models import OrderLine
from rapport.consent import services as consent
from rapport.consent.models import Purpose
from rapport.contacts.models import Person

MAX_NEIGHBOURS = 5000  # co-buyers read per request: enough for a stable estimate, bounded in cost


@dataclass
class Recommendation:
    sku: str
    name: str
    category: str
    score: float
    reason: str


def _lines(workspace_id: int):
    return OrderLine.objects.filter(order__workspace_id=workspace_id, order__person__isnull=False).exclude(sku="")


def _names(workspace_id: int, skus: set[str]) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for sku, name, category in _lines(workspace_id).filter(sku__in=skus).values_list("sku", "name", "category"):
        if sku not in out or (name and not out[sku][0]):
            out[sku] = (name, category)
    return out


def popularity(workspace_id: int) -> dict[str, int]:
    """Distinct buyers per product."""
    return dict(_lines(workspace_id).values_list("sku").annotate(n=Count("order__person", distinct=True)).order_by())


def recommend(person: Person, *, limit: int = 10) -> list[Recommendation]:
    ws = person.workspace_id
    owned = set(_lines(ws).filter(order__person_id=person.pk).values_list("sku", flat=True).distinct())
    buyers = popularity(ws)
    scores: dict[str, float] = defaultdict(float)
    because: dict[str, tuple[float, str]] = {}
    if owned and consent.may_process(person, Purpose.PROFILING):
        neighbours = list(
            _lines(ws)
            .filter(sku__in=owned)
            .exclude(order__person_id=person.pk)
            .values_list("order__person_id", flat=True)
            .distinct()[:MAX_NEIGHBOURS]
        )
        baskets: dict[int, set[str]] = defaultdict(set)
        for pid, sku in _lines(ws).filter(order__person_id__in=neighbours).values_list("order__person_id", "sku"):
            baskets[pid].add(sku)
        co: dict[tuple[str, str], int] = defaultdict(int)
        for items in baskets.values():
            for i in items & owned:
                for j in items - owned:
                    co[(i, j)] += 1
        for (i, j), n in co.items():
            sim = n / math.sqrt(buyers.get(i, 1) * buyers.get(j, 1))
            scores[j] += sim
            if sim > because.get(j, (0.0, ""))[0]:
                because[j] = (sim, i)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    picks = [(sku, score, because[sku][1]) for sku, score in ranked]
    if len(picks) < limit:  # popular products nobody similar has, for new customers and short neighbourhoods
        taken = owned | {sku for sku, _, _ in picks}
        total = max(Person.objects.filter(workspace_id=ws, merged_into__isnull=True).count(), 1)
        popular = sorted(((s, n) for s, n in buyers.items() if s not in taken), key=lambda kv: (-kv[1], kv[0]))
        # Scaled below the last personal pick, so that score orders the whole list.
        scale = min((score for _, score, _ in picks), default=1.0)
        picks += [(sku, scale * n / total, "") for sku, n in popular[: limit - len(picks)]]
    names = _names(ws, {sku for sku, _, _ in picks} | {src for _, _, src in picks if src})
    out = []
    for sku, score, src in picks:
        name, category = names.get(sku, ("", ""))
        reason = f"because you bought {names.get(src, ('', ''))[0] or src}" if src else "popular with other customers"
        out.append(Recommendation(sku=sku, name=name, category=category, score=round(score, 4), reason=reason))
    return out

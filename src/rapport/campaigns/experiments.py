"""Experiment results of a campaign with variants: per variant, who was sent it, who clicked and who converted
(ordered within the attribution window of their first click), and a two-proportion z-test of the leading variant
against each of the others.

The winner is the variant with the highest rate whose lead over every other variant holds at the confidence asked
(95% by default), with a Bonferroni correction for the number of comparisons. The test is decided on conversions;
while no variant has any, on clicks (and says so). This is a fixed-horizon test: read it once the campaign is sent
and the attribution window has passed. Looking at it every day and stopping at the first "significant" reading
inflates false wins (this test has no sequential correction)."""

from __future__ import annotations

import math
from typing import Any

from django.db.models import Count, Min
from scipy.stats import norm

from rapport.campaigns import services
from rapport.campaigns.models import Campaign, CampaignResponse, CampaignSend, ResponseKind, SendStatus

CONFIDENCE = 0.95
_SENT = (SendStatus.SENT, SendStatus.UNCERTAIN)


def two_proportions(x1: int, n1: int, x2: int, n2: int) -> dict[str, float]:
    """The pooled two-proportion z-test (two-sided) of x1/n1 against x2/n2, with the difference's 95% Wald interval."""
    if n1 == 0 or n2 == 0:
        return {"z": 0.0, "p_value": 1.0, "diff": 0.0, "ci_low": 0.0, "ci_high": 0.0}
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (p1 - p2) / se if se > 0 else 0.0
    p_value = float(2 * norm.sf(abs(z))) if se > 0 else 1.0
    se_diff = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    half = float(norm.ppf(0.975)) * se_diff
    return {"z": z, "p_value": p_value, "diff": p1 - p2, "ci_low": p1 - p2 - half, "ci_high": p1 - p2 + half}


def results(campaign: Campaign, *, confidence: float = CONFIDENCE) -> dict[str, Any]:
    """{"metric", "variants": [{name, sent, clicked, converted, click_rate, conversion_rate}], "comparisons":
    [{variant, against, diff, ci_low, ci_high, p_value, confidence}], "winner", "confidence", "verdict"}."""
    sent = dict(
        CampaignSend.objects.filter(campaign=campaign, status__in=_SENT)
        .values_list("variant")
        .annotate(n=Count("id"))
        .order_by()
    )
    first_clicks: dict[str, dict[int, Any]] = {}
    for variant, pid, first in (
        CampaignResponse.objects.filter(campaign=campaign, kind=ResponseKind.CLICK)
        .values("send__variant", "send__person_id")
        .annotate(first=Min("created_at"))
        .values_list("send__variant", "send__person_id", "first")
        .order_by()
    ):
        first_clicks.setdefault(variant, {})[pid] = first
    names = ["A"] + [v.get("name") for v in campaign.variants or []]
    rows = []
    for name in names:
        n = sent.get(name, 0)
        clicks = first_clicks.get(name, {})
        converted, revenue = services._conversions(campaign.workspace_id, clicks)
        rows.append(
            {
                "name": name,
                "sent": n,
                "clicked": len(clicks),
                "converted": converted,
                "revenue": float(revenue),
                "click_rate": len(clicks) / n if n else 0.0,
                "conversion_rate": converted / n if n else 0.0,
            }
        )
    metric = "converted" if any(r["converted"] for r in rows) else "clicked"
    rate = "conversion_rate" if metric == "converted" else "click_rate"
    live = [r for r in rows if r["sent"]]
    out: dict[str, Any] = {"metric": metric, "variants": rows, "comparisons": [], "winner": None, "confidence": 0.0}
    if len(live) < 2:
        out["verdict"] = "Nothing to compare yet: fewer than two variants have been sent."
        return out
    leader = max(live, key=lambda r: (r[rate], -names.index(r["name"])))
    tests = len(live) - 1
    worst = 1.0
    for other in live:
        if other is leader:
            continue
        t = two_proportions(leader[metric], leader["sent"], other[metric], other["sent"])
        corrected = min(1.0, t["p_value"] * tests)
        out["comparisons"].append(
            {"variant": leader["name"], "against": other["name"], **t, "confidence": 1 - corrected}
        )
        worst = min(worst, 1 - corrected)
    out["confidence"] = worst
    label = "conversion" if metric == "converted" else "click-through (no conversions yet)"
    if worst >= confidence:
        out["winner"] = leader["name"]
        out["verdict"] = f"Variant {leader['name']} wins on {label} at {worst:.1%} confidence."
    else:
        out["verdict"] = (
            f"No winner yet: variant {leader['name']} leads on {label}, but only at {worst:.1%} confidence "
            f"({confidence:.0%} needed)."
        )
    return out

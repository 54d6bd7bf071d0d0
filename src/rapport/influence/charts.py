"""The score-history chart: server-rendered SVG on a linear day axis, drawn like the mentions chart (same y-axis
ticks and grid, same left margin), as a line since a score is a level, not a count. Days without a snapshot are
gaps in time, not missing points: the axis is linear in days, so a month's silence shows as a long segment."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from rapport.listening.charts import LEFT, nice_ticks


def history_chart(points: list[dict[str, Any]], *, width: int = 900, height: int = 180) -> dict[str, Any]:
    """Geometry of a 1-100 score over days: polyline points, dots with titles, y grid, x labels."""
    ticks = nice_ticks(100)  # the scale's own range, so 50 and 60 sit at the same height on every page
    top = ticks[-1]
    if not points:
        return {"width": width, "height": height, "left": LEFT, "dots": [], "line": "", "labels": [], "y_axis": []}
    first: date = points[0]["day"]
    span = max((points[-1]["day"] - first).days, 1)
    plot = width - LEFT - 12

    def x(day: date) -> float:
        return round(LEFT + 6 + plot * (day - first).days / span, 2) if len(points) > 1 else LEFT + 6 + plot / 2

    def y(score: float) -> float:
        return round(height - height * score / top, 2)

    dots = [
        {"x": x(p["day"]), "y": y(p["score"]), "title": f"{p['day']:%Y-%m-%d}: {p['score']}", "score": p["score"]}
        for p in points
    ]
    step = max(1, math.ceil(len(points) / 7))
    labels = [(dots[i]["x"], f"{points[i]['day']:%d %b}") for i in range(0, len(points), step)]
    if len(points) > 1 and labels[-1][0] != dots[-1]["x"] and dots[-1]["x"] - labels[-1][0] > 60:
        labels.append((dots[-1]["x"], f"{points[-1]['day']:%d %b}"))
    return {
        "width": width,
        "height": height,
        "left": LEFT,
        "dots": dots,
        "line": " ".join(f"{d['x']},{d['y']}" for d in dots),
        "labels": labels,
        "y_axis": [(y(t), t) for t in ticks],
        "typical": y(50),  # a typical active author, the scale's anchor
        "start": first,
        "end": points[-1]["day"],
        "low": min(p["score"] for p in points),
        "high": max(p["score"] for p in points),
    }

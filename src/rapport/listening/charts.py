"""Server-rendered SVG charts: stacked sentiment volume over time (no JavaScript needed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COLOURS = {"negative": "#c0392b", "neutral": "#9aa5b4", "positive": "#1e8449"}


@dataclass
class Bar:
    x: float
    width: float
    segments: list[tuple[str, float, float, int]]  # (label, y, height, count)
    title: str


def volume_chart(
    series: list[dict[str, Any]], *, width: int = 900, height: int = 180, bucket: str = "day"
) -> dict[str, Any]:
    """Geometry for a stacked bar chart of negative / neutral / positive posts per bucket."""
    top = max((p["total"] for p in series), default=0)
    n = max(len(series), 1)
    slot = width / n
    bars: list[Bar] = []
    fmt = "%Y-%m-%d %H:00" if bucket == "hour" else "%Y-%m-%d"
    for i, point in enumerate(series):
        y = float(height)
        segments = []
        for label in ("negative", "neutral", "positive"):
            h = height * point[label] / top if top else 0.0
            y -= h
            segments.append((label, round(y, 2), round(h, 2), point[label]))
        title = (
            f"{point['at']:{fmt}}: {point['total']} posts — {point['negative']} negative, "
            f"{point['neutral']} neutral, {point['positive']} positive"
        )
        bars.append(Bar(round(i * slot + slot * 0.1, 2), round(max(slot * 0.8, 1), 2), segments, title))
    labels = []
    if series:
        step = max(1, n // 6)
        labels = [(round(i * slot + slot / 2, 2), f"{series[i]['at']:{fmt}}") for i in range(0, n, step)]
    return {"width": width, "height": height, "bars": bars, "top": top, "labels": labels, "colours": COLOURS}

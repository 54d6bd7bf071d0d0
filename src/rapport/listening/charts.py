"""Server-rendered SVG charts: stacked sentiment volume on a linear time axis (no JavaScript needed).

Every bucket of the period asked for is drawn, empty ones included, so a quiet week looks quiet and the axis never
jumps; the y-axis carries round values with grid lines, and a legend gives each sentiment's total."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

COLOURS = {"negative": "#c0392b", "neutral": "#9aa5b4", "positive": "#1e8449"}
SENTIMENTS = ("negative", "neutral", "positive")
STEPS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}
LEFT = 44  # room for the y-axis values
MAX_BUCKETS = 200


@dataclass
class Bar:
    x: float
    width: float
    segments: list[tuple[str, float, float, int]]  # (label, y, height, count)
    title: str


def bucket_for(span: timedelta) -> str:
    """The bucket that draws a period in at most ~200 bars: hours up to two days, days up to 180, then weeks."""
    if span <= timedelta(days=2):
        return "hour"
    if span <= timedelta(days=180):
        return "day"
    return "week"


def bucket_start(moment: datetime, bucket: str) -> datetime:
    """The start of the bucket a moment falls in (weeks start on Monday, as the database's TruncWeek)."""
    if bucket == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday()) if bucket == "week" else day


def fill(series: list[dict[str, Any]], *, start: datetime, end: datetime, bucket: str) -> list[dict[str, Any]]:
    """The series with a zero point for every empty bucket from start to end (the last MAX_BUCKETS of them)."""
    by_at = {bucket_start(p["at"], bucket): p for p in series}
    step = STEPS[bucket]
    at = bucket_start(start, bucket)
    last = bucket_start(end, bucket)
    if (last - at) / step > MAX_BUCKETS:
        at = last - step * (MAX_BUCKETS - 1)
    out = []
    while at <= last:
        out.append(by_at.get(at) or {"at": at, "total": 0, **dict.fromkeys(SENTIMENTS, 0)})
        at += step
    return out


def nice_ticks(top: int, count: int = 4) -> list[int]:
    """Round y-axis values from 0 to at least top: 0, 5, 10, 15 or 0, 250, 500, 750, 1000."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    return list(range(0, int(math.ceil(top / step)) * step + 1, step))


def volume_chart(
    series: list[dict[str, Any]], *, width: int = 900, height: int = 180, bucket: str = "day"
) -> dict[str, Any]:
    """Geometry for a stacked bar chart of negative / neutral / positive posts per bucket."""
    ticks = nice_ticks(max((p["total"] for p in series), default=0))
    scale = ticks[-1]
    n = max(len(series), 1)
    plot = width - LEFT
    slot = plot / n
    bars: list[Bar] = []
    fmt = {"hour": "%d %b %H:00", "day": "%d %b", "week": "week of %d %b %Y"}[bucket]
    for i, point in enumerate(series):
        y = float(height)
        segments = []
        for label in SENTIMENTS:
            h = height * point[label] / scale
            y -= h
            segments.append((label, round(y, 2), round(h, 2), point[label]))
        title = (
            f"{point['at']:{fmt}}: {point['total']} posts — {point['negative']} negative, "
            f"{point['neutral']} neutral, {point['positive']} positive"
        )
        bars.append(Bar(round(LEFT + i * slot + slot * 0.1, 2), round(max(slot * 0.8, 1), 2), segments, title))
    label_fmt = {"hour": "%d %b %H:00", "day": "%d %b", "week": "%d %b %Y"}[bucket]
    labels = []
    if series:
        step = max(1, math.ceil(n / 7))
        labels = [(round(LEFT + i * slot + slot / 2, 2), f"{series[i]['at']:{label_fmt}}") for i in range(0, n, step)]
    y_axis = [(round(height - height * t / scale, 2), t) for t in ticks]
    totals = {label: sum(p[label] for p in series) for label in SENTIMENTS}
    return {
        "width": width,
        "height": height,
        "left": LEFT,
        "bars": bars,
        "top": scale,
        "labels": labels,
        "y_axis": y_axis,
        "colours": COLOURS,
        "legend": [(label, COLOURS[label], totals[label]) for label in SENTIMENTS],
        "total": sum(totals.values()),
        "bucket": bucket,
        "start": series[0]["at"] if series else None,
        "end": series[-1]["at"] if series else None,
    }

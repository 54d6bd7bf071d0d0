"""Spike detection: hourly counts per rule, author and topic, tested against each series' own baseline.

A series spikes in an hour when its count is improbable under a Poisson model whose rate is the series' mean
over the previous BASELINE_HOURS (with a floor, so a brand-new hashtag needs real volume), or when its negative
posts are improbable under the series' own negative rate. One alert per episode: while an alert for the same
series was seen within EPISODE_GAP, later spiking hours update it instead of raising another.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection

from rapport.core import events
from rapport.core.bulk import insert_rows
from rapport.listening.models import HourlyCount, SpikeAlert

BASELINE_HOURS = 24
COVERAGE_HOURS = 12  # of the BASELINE_HOURS before, this many must hold posts: silence may be a gap in listening
EPISODE_GAP = timedelta(hours=6)
RATE_FLOOR = 1.0  # posts/hour assumed for a series with no history
NEGATIVE_SHARE = 0.6  # share of negative posts that makes a spike a negativity spike
SeriesKey = tuple[str, str]  # (dimension, key)


def hour_of(moment: datetime) -> datetime:
    """The start of the hour bucket holding moment."""
    return moment.replace(minute=0, second=0, microsecond=0)


def tail_probability(count: int, rate: float) -> float:
    """P(X >= count) for X ~ Poisson(rate)."""
    from scipy.stats import poisson  # scipy.stats costs a third of a second to import: only when scoring

    return float(poisson.sf(count - 1, max(rate, 1e-9)))


def add_counts(*, workspace_id: int, counts: Counter, negatives: Counter) -> None:
    """Add to the hourly series in one upsert per row: concurrent workers increment, never overwrite."""
    if not counts:
        return
    table = HourlyCount._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    rows = [
        (workspace_id, dim, key[:200], adapt(hour), n, negatives.get((dim, key, hour), 0))
        for (dim, key, hour), n in sorted(counts.items())  # a fixed order avoids deadlocks between workers
    ]
    insert_rows(
        table,
        ("workspace_id", "dimension", "key", "hour", "total", "negative"),
        rows,
        tail=f'ON CONFLICT (workspace_id, dimension, "key", hour) DO UPDATE SET total = {table}.total + '
        f"excluded.total, negative = {table}.negative + excluded.negative",
    )


def _all_series(workspace_id: int, hours: set[datetime]) -> dict[datetime, int]:
    """The workspace's total posts per hour over the tested hours and their baseline windows."""
    return dict(
        HourlyCount.objects.filter(
            workspace_id=workspace_id,
            dimension="all",
            key="*",
            total__gt=0,
            hour__gte=min(hours) - timedelta(hours=BASELINE_HOURS),
            hour__lte=max(hours),
        ).values_list("hour", "total")
    )


def _window(series: dict[datetime, tuple[int, int]] | dict[datetime, int], hour: datetime) -> list:
    return [series.get(hour - timedelta(hours=k)) for k in range(1, BASELINE_HOURS + 1)]


def detect(
    *, workspace_id: int, touched: set[tuple[str, str, datetime]], labels: dict[SeriesKey, str]
) -> list[SpikeAlert]:
    """Test every touched (dimension, key, hour) against its baseline; create or extend alerts; return new ones."""
    min_count = settings.RAPPORT_SPIKE_MIN_COUNT
    threshold = settings.RAPPORT_SPIKE_P_VALUE
    if not touched:
        return []
    everything = _all_series(workspace_id, {h for _, _, h in touched})
    # Only hours whose baseline window was actually listened to: silence may be a gap in ingestion.
    hours = {
        h for h in {h for _, _, h in touched} if sum(v is not None for v in _window(everything, h)) >= COVERAGE_HOURS
    }
    if not hours:
        return []
    current = HourlyCount.objects.filter(
        workspace_id=workspace_id, hour__in=hours, total__gte=min_count, dimension__in=("rule", "author", "topic")
    ).values_list("dimension", "key", "hour", "total", "negative")
    candidates = [row for row in current if (row[0], row[1], row[2]) in touched]
    if not candidates:
        return []
    keys = {row[1] for row in candidates}
    start = min(row[2] for row in candidates) - timedelta(hours=BASELINE_HOURS)
    history: dict[SeriesKey, dict[datetime, tuple[int, int]]] = {}
    for dim, key, hour, total, negative in HourlyCount.objects.filter(
        workspace_id=workspace_id, key__in=keys, hour__gte=start, hour__lte=max(hours)
    ).values_list("dimension", "key", "hour", "total", "negative"):
        history.setdefault((dim, key), {})[hour] = (total, negative)
    created: list[SpikeAlert] = []
    for dim, key, hour, total, negative in sorted(candidates, key=lambda r: r[2]):
        series = history.get((dim, key), {})
        past = [v or (0, 0) for v in _window(series, hour)]
        past_total = sum(t for t, _ in past)
        all_past = sum(v or 0 for v in _window(everything, hour))
        # The series' own rate, or its usual ratio to the rest of what the workspace hears times that rest now,
        # whichever is higher: when everything else rises too (a busy news day, a backfill), this series is not
        # spiking on its own.
        ratio = (past_total + 1) / (max(all_past - past_total, 0) + 1)
        rest_now = max(everything.get(hour, 0) - total, 0)
        rate = max(past_total / BASELINE_HOURS, ratio * rest_now, RATE_FLOOR)
        past_negative = sum(n for _, n in past)
        # Expected negatives at today's rate with the series' usual negative share (a third when it has no history).
        neg_rate = max(rate * (past_negative + 1) / (past_total + 3), RATE_FLOOR * 0.5)
        p_volume = tail_probability(total, rate)
        p_negative = tail_probability(negative, neg_rate)
        neg_share = negative / total if total else 0.0
        negativity = neg_share >= NEGATIVE_SHARE and p_negative < threshold
        if not (negativity or p_volume < threshold):
            continue
        alert = _record(
            workspace_id,
            dim,
            key,
            labels.get((dim, key), key),
            hour,
            total,
            rate,
            neg_share,
            min(p_volume, p_negative) if negativity else p_volume,
            "negativity" if negativity else "volume",
        )
        if alert is not None:
            created.append(alert)
    return created


def _record(workspace_id, dim, key, label, hour, total, rate, share, probability, reason) -> SpikeAlert | None:
    open_alert = SpikeAlert.objects.filter(
        workspace_id=workspace_id,
        dimension=dim,
        key=key,
        last_seen_at__gte=hour - EPISODE_GAP,
        started_at__lte=hour,
    ).first()
    if open_alert is not None:
        open_alert.last_seen_at = max(open_alert.last_seen_at, hour)
        if total > open_alert.count:
            open_alert.count, open_alert.negative_share = total, share
        open_alert.save(update_fields=["last_seen_at", "count", "negative_share"])
        return None
    alert = SpikeAlert.objects.create(
        workspace_id=workspace_id,
        dimension=dim,
        key=key,
        label=label[:200],
        started_at=hour,
        last_seen_at=hour,
        count=total,
        baseline=round(rate, 3),
        negative_share=round(share, 3),
        probability=probability,
        reason=reason,
    )
    events.emit("listening.spike_detected", {"workspace_id": workspace_id, "alert_id": alert.pk})
    return alert

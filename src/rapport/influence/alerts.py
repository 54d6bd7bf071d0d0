""" "A rising influencer in a negative spike": the United Breaks Guitars alert, raised while the wave is small.

For each negativity spike still open (seen in the last two days), the authors of its negative posts are looked up;
one whose overall score gained RISE points over the last week (or who is new and already above 60) raises one
alert per spike, with the reasons. Objectors are never named.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db.models import Min
from django.utils import timezone

from rapport.core.events import emit
from rapport.influence import services
from rapport.influence.models import RisingAlert, Score, ScoreSnapshot

RISE = 5
OPEN_FOR = timedelta(hours=48)
MAX_POSTS = 5000


def _spike_posts(spike):
    from rapport.listening.models import Post

    posts = Post.objects.filter(
        workspace_id=spike.workspace_id,
        private=False,
        sentiment_label="negative",
        created_at__gte=spike.started_at - timedelta(hours=1),
        author__isnull=False,
    )
    if spike.dimension == "rule":
        posts = posts.filter(rule_matches__rule_id=int(spike.key)) if spike.key.isdigit() else posts.none()
    elif spike.dimension in ("author", "topic"):
        posts = posts.filter(text__icontains=spike.key)
    else:
        posts = posts.none()
    return posts


def detect(workspace_id: int, *, now: datetime | None = None) -> list[RisingAlert]:
    """Raise the alerts due now; idempotent (one per spike and author)."""
    from rapport.listening.models import SpikeAlert

    now = now or timezone.now()
    spikes = list(
        SpikeAlert.objects.filter(workspace_id=workspace_id, reason="negativity", last_seen_at__gte=now - OPEN_FOR)
    )
    if not spikes:  # the job runs every minute for every workspace: most have no open negative spike
        return []
    objecting = services._objectors(workspace_id)
    week_ago = now.astimezone(UTC).date() - timedelta(days=7)
    today = now.astimezone(UTC).date()
    raised: list[RisingAlert] = []
    for spike in spikes:
        counts: dict[int, int] = {}
        for author in _spike_posts(spike).values_list("author_id", flat=True)[:MAX_POSTS]:
            counts[author] = counts.get(author, 0) + 1
        if not counts:
            continue
        rows = {
            r.identity_id: r
            for r in Score.objects.filter(workspace_id=workspace_id, topic=0, identity_id__in=list(counts))
            if not (r.person_id and r.person_id in objecting)
        }
        before = dict(
            ScoreSnapshot.objects.filter(
                workspace_id=workspace_id, subject__in=[f"i{i}" for i in rows], day__gte=week_ago, day__lt=today
            )
            .values("subject")
            .annotate(low=Min("score"))
            .values_list("subject", "low")
        )
        flagged = set(
            RisingAlert.objects.filter(spike=spike, identity_id__in=list(rows)).values_list("identity_id", flat=True)
        )
        for identity_id, row in rows.items():
            low = before.get(row.subject)
            rise = row.score - low if low is not None else None
            if not ((rise is not None and rise >= RISE) or (rise is None and row.score >= 60)):
                continue
            if identity_id in flagged:
                continue
            why = (
                f"influence {row.score}"
                + (f", up {rise} points this week" if rise is not None else ", new and already in the top 5 %")
                + f"; {counts[identity_id]} negative posts in the spike around {spike.label}. "
                + services.explanation(row)
            )
            alert = RisingAlert.objects.create(
                workspace_id=workspace_id,
                spike=spike,
                identity_id=identity_id,
                person_id=row.person_id,
                score=row.score,
                rise=rise if rise is not None else row.score - 50,
                negative_posts=counts[identity_id],
                reason=why,
                created_at=now,
            )
            emit("influence.rising_in_spike", {"workspace_id": workspace_id, "alert_id": alert.pk})
            raised.append(alert)
    return raised

"""Enrichment over posts: interests and life events read from people's own public posts, with their permission.

Listening owns the posts, consent the facts and the permission: each linked batch (`identity.posts_linked`) is read
here with consent's detector and stored through `consent.services.record_enrichment`, which asks the one consent
answer at the moment of writing and drops the readings of everyone without the enrichment purpose. A batch whose
posts have no person behind them (most of the stream) costs one query; the texts of linked posts are read only
when their people may be enriched.

`redetect` reads existing posts again (the `rapport enrichment detect` command, and the `listening.enrichment`
job for people who gave the permission since its last runs): only people with the permission, only posts young
enough that a fact read from them has not expired, in chunks of people.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from rapport.consent import services as consent
from rapport.consent.enrichment import taxonomy
from rapport.consent.enrichment.detect import detect, expires_at
from rapport.consent.models import Purpose
from rapport.listening.models import Post

# A repost repeats somebody else's words: not what the person says about themselves.
NOT_OWN_WORDS = ("repost", "retweet", "share", "boost")
CHUNK = 500  # people per query when posts are read again
MAX_POSTS_PER_PERSON = 200  # the newest ones: enough to know someone, bounded for prolific authors


def readings(rows: Iterable[tuple[int, int, str, str, datetime]], *, now: datetime) -> list[consent.FactReading]:
    """Facts from (post id, person id, text, language, written at) rows, skipping those already expired."""
    out: list[consent.FactReading] = []
    for pk, person_id, text, language, created_at in rows:
        for found in detect(text or "", language=language or "", posted_at=created_at):
            until = expires_at(found, created_at)
            if until <= now:
                continue
            out.append(
                consent.FactReading(
                    person_id=person_id,
                    kind=found.kind,
                    value=found.value,
                    confidence=found.confidence,
                    expires_at=until,
                    observed_at=created_at,
                    event_date=found.event_date,
                    source_post=pk,
                    source="post",
                    evidence=found.evidence,
                )
            )
    return out


def _own_public(qs):
    return qs.filter(private=False).exclude(kind__in=NOT_OWN_WORDS)


def enrich_posts(*, workspace_id: int, post_ids: list[int]) -> consent.EnrichmentResult:
    """Read the batch's posts that have a person behind them, for the people who may be enriched."""
    rows = list(
        _own_public(Post.objects.filter(workspace_id=workspace_id, pk__in=post_ids, person__isnull=False)).values_list(
            "pk", "person_id"
        )
    )
    if not rows:
        return consent.EnrichmentResult()
    allowed = consent.permitted(workspace_id, {p for _, p in rows}, Purpose.ENRICHMENT)
    wanted = [pk for pk, person_id in rows if person_id in allowed]
    if not wanted:
        return consent.EnrichmentResult(refused=len(rows))
    texts = Post.objects.filter(pk__in=wanted).values_list("pk", "person_id", "text", "language", "created_at")
    return consent.record_enrichment(workspace_id, readings(texts, now=timezone.now()))


def on_posts_linked(event: str, payload: dict[str, Any]) -> None:
    """identity.posts_linked: enrich from the batch's posts whose people allowed it."""
    post_ids = list(payload.get("post_ids") or [])
    if post_ids and payload.get("workspace_id"):
        enrich_posts(workspace_id=payload["workspace_id"], post_ids=post_ids)


def on_identity_linked(event: str, payload: dict[str, Any]) -> None:
    """identity.linked: an account's earlier posts now belong to a person; read them if the person allowed it."""
    if payload.get("workspace_id") and payload.get("person_id"):
        redetect(workspace_id=payload["workspace_id"], person_ids=[payload["person_id"]])


def redetect(
    *, workspace_id: int, person_ids: Iterable[int] | None = None, since: datetime | None = None
) -> dict[str, int]:
    """Read the existing posts (and form answers) of people with the enrichment purpose again: these people, or
    everyone in the workspace who has it. Posts older than the longest-lived fact are not read."""
    from rapport.consent.enrichment.forms import enrich_from_answers

    now = timezone.now()
    since = since or now - max(taxonomy.INTEREST_TTL, taxonomy.LIFE_EVENT_MAX_TTL)
    ids = sorted(
        consent.permitted(
            workspace_id,
            person_ids if person_ids is not None else consent.granted_people(workspace_id, Purpose.ENRICHMENT),
            Purpose.ENRICHMENT,
        )
    )
    totals = {"people": len(ids), "posts": 0, "created": 0, "refreshed": 0, "life_events": 0}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = list(
            _own_public(Post.objects.filter(workspace_id=workspace_id, person_id__in=chunk, created_at__gte=since))
            .order_by("person_id", "-created_at")
            .values_list("pk", "person_id", "text", "language", "created_at")
        )
        kept, per_person = [], {}
        for row in rows:
            n = per_person.get(row[1], 0)
            if n < MAX_POSTS_PER_PERSON:
                kept.append(row)
                per_person[row[1]] = n + 1
        totals["posts"] += len(kept)
        for result in (
            consent.record_enrichment(workspace_id, readings(kept, now=now)),
            enrich_from_answers(workspace_id, chunk),
        ):
            totals["created"] += result.created
            totals["refreshed"] += result.refreshed
            totals["life_events"] += result.life_events
    return totals


def enrich_new_permissions(*, window: timedelta = timedelta(minutes=30)) -> dict[str, int]:
    """For the job: read the posts of people who gave the enrichment purpose within the window (a grant arrives
    without posts; their posts were heard before it)."""
    from rapport.core.models import Workspace

    since = timezone.now() - window
    out: dict[str, int] = {}
    for ws in Workspace.objects.all():
        ids = consent.granted_people(ws.pk, Purpose.ENRICHMENT, recorded_since=since)
        if ids:
            out[ws.slug] = redetect(workspace_id=ws.pk, person_ids=ids)["created"]
    return out


def post_lookup(workspace_id: int, post_ids: list[int]) -> dict[int, dict[str, Any]]:
    """For consent's panels: each source post's link on its network and its words (public posts only)."""
    return {
        pk: {"url": url, "text": (text or "")[:280], "created_at": created_at}
        for pk, url, text, created_at in Post.objects.filter(
            workspace_id=workspace_id, pk__in=post_ids, private=False
        ).values_list("pk", "url", "text", "created_at")
    }

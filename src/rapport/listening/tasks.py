"""Listening's periodic jobs."""

from __future__ import annotations

from datetime import timedelta

from rapport.core.jobs import scheduled
from rapport.listening import enrichment


@scheduled("listening.enrichment", every=600, retries=2)
def enrich_new_permissions() -> dict[str, int]:
    """Read the earlier posts of people who allowed enrichment in the last half hour (facts created per
    workspace); the window overlaps runs, and reading twice changes nothing."""
    return enrichment.enrich_new_permissions(window=timedelta(minutes=30))

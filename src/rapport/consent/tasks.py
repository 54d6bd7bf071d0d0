"""Consent's periodic jobs: data-subject requests (erasures left behind, deadline reminders) and retention."""

from __future__ import annotations

from rapport.consent import requests, retention
from rapport.core.jobs import scheduled


@scheduled("consent.privacy_tick", every=300, retries=3)
def privacy_tick() -> dict[str, int]:
    """Run erasures whose job never ran, and remind the DPO of requests due within a week."""
    erased = sum(1 for pk in requests.pending_erasures() if requests.run_erasure(pk) is not None)
    return {"erased": erased, "reminded": requests.send_reminders()}


@scheduled("consent.retention_purge", every=3600, retries=2)
def retention_purge() -> dict[str, dict[str, int]]:
    """Apply every workspace's retention policies; each run is kept as a report."""
    return retention.purge_all()

"""Periodic care work: SLA warnings and breaches, and resending failed replies."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from rapport.care.services import retry_failed
from rapport.care.sla import check_slas
from rapport.core.jobs import scheduled


def tick(*, now: datetime | None = None) -> dict[str, int]:
    """One pass: record SLA warnings / breaches and retry failed replies that are due."""
    now = now or timezone.now()
    return {**check_slas(now=now), **{f"replies_{k}": v for k, v in retry_failed(now=now).items()}}


@scheduled("care.sla_tick", every=30, retries=3)
def sla_tick() -> dict[str, int]:
    """SLA warnings / breaches and reply retries, every 30 seconds (idempotent: each is recorded once)."""
    return tick()

"""Periodic care work: SLA warnings and breaches, and resending failed replies."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from django.db import close_old_connections
from django.utils import timezone

from rapport.care.services import retry_failed
from rapport.care.sla import check_slas


def tick(*, now: datetime | None = None) -> dict[str, int]:
    """One pass: record SLA warnings / breaches and retry failed replies that are due."""
    now = now or timezone.now()
    return {**check_slas(now=now), **{f"replies_{k}": v for k, v in retry_failed(now=now).items()}}


def loop(*, every: float = 30.0, write: Callable[[str], None] = print, passes: int | None = None) -> None:
    """Run tick() every `every` seconds (for `rapport care tick --loop`)."""
    done = 0
    while passes is None or done < passes:
        result = tick()
        if any(result.values()):
            write(f"{timezone.now():%H:%M:%S} {result}")
        close_old_connections()
        done += 1
        if passes is None or done < passes:
            time.sleep(every)

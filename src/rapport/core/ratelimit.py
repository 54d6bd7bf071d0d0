"""A fixed-window request counter in Django's cache, for the few unauthenticated endpoints that need a limit.

Small on purpose: one atomic add/incr per hit. With the default local-memory cache the limit is per process;
point CACHES at Redis or the database when several server processes must share it.
"""

from __future__ import annotations

import time

from django.core.cache import cache


def clock() -> float:
    """The time windows are counted in (tests hold it still so a run cannot straddle two windows)."""
    return time.time()


def hit(key: str, *, limit: int, window: int) -> bool:
    """Count one request under key; False once more than `limit` came in the current `window` seconds."""
    bucket = f"rapport:ratelimit:{key}:{int(clock() // window)}"
    if cache.add(bucket, 1, timeout=window + 1):
        return True
    try:
        count = cache.incr(bucket)
    except ValueError:  # the bucket expired between add and incr
        cache.add(bucket, 1, timeout=window + 1)
        return True
    return count <= limit

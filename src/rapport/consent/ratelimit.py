"""A fixed-window counter for the public forms, in Django's cache (per process with the default local cache;
point CACHES at Redis or the database to share it between server processes)."""

from __future__ import annotations

import time

from django.core.cache import cache


def allow(key: str, *, limit: int, window: int) -> bool:
    """Count one request under key; False once more than `limit` came in the current `window` seconds."""
    bucket = f"rapport:consent:ratelimit:{key}:{int(time.time() // window)}"
    if cache.add(bucket, 1, timeout=window + 1):
        return True
    try:
        return cache.incr(bucket) <= limit
    except ValueError:  # the bucket expired between add and incr
        cache.add(bucket, 1, timeout=window + 1)
        return True

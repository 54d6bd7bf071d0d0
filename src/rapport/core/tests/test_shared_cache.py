"""With RAPPORT_CACHE_URL on Redis, rate limits (and the webhook replay memory beside them) hold across processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid

import pytest
import redis

REDIS_URL = os.environ.get("RAPPORT_TEST_REDIS_URL")


@pytest.mark.skipif(not REDIS_URL, reason="RAPPORT_TEST_REDIS_URL is not set")
def test_a_limit_counts_the_hits_of_every_process_sharing_the_cache():
    url = re.sub(r"/\d+$", "", REDIS_URL) + "/15"  # a database of its own: clearing a cache empties its database
    key = f"shared-{uuid.uuid4().hex}"
    code = (
        "import django; django.setup()\n"
        "from rapport.core import ratelimit\n"
        f"print(sum(ratelimit.hit({key!r}, limit=5, window=10**9) for _ in range(4)))"
    )
    env = {**os.environ, "RAPPORT_CACHE_URL": url, "DJANGO_SETTINGS_MODULE": "rapport.settings"}
    try:
        counts = [
            subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            ).stdout.strip()
            for _ in range(2)
        ]
    finally:
        client = redis.Redis.from_url(url)
        if leftovers := list(client.scan_iter(match=f"*{key}*")):
            client.delete(*leftovers)
    assert counts == ["4", "1"]  # the second process sees the first one's four hits: only one more fits under five


def test_unset_the_cache_is_the_process_own():
    from django.conf import settings

    assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")

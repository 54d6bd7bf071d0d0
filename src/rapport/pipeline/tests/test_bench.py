"""`rapport bench pipeline` runs end to end on a tiny input and cleans up after itself."""

from __future__ import annotations

import pytest

from rapport.core.models import Workspace
from rapport.listening.models import Post
from rapport.pipeline.bench import measure

pytestmark = pytest.mark.django_db(transaction=True)


def test_bench_smoke():
    before = Workspace.objects.count()
    figures = measure(posts=300, runs=1, batch=100, naive_posts=30, subscriber_posts=50)
    assert figures["end_to_end_posts_per_s"] > 0 and figures["naive_posts_per_s"] > 0
    assert figures["analysis_only_posts_per_s"] > 0 and figures["peak_rss_mb_after_end_to_end"] > 0
    assert Workspace.objects.count() == before and not Post.objects.exists()
    with_subs = figures["end_to_end_with_subscribers_posts_per_s"]
    expected = round(1e6 * (1 / with_subs - 1 / figures["end_to_end_posts_per_s"]), 1)
    assert figures["subscriber_cost_us_per_post"] == expected
    assert figures["user_command"] is None  # a fresh process cannot see the test database

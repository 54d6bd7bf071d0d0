"""`rapport bench pipeline` runs end to end on a tiny input and cleans up after itself."""

from __future__ import annotations

import argparse
import shutil

import pytest

from rapport.core import events
from rapport.core.models import Workspace
from rapport.listening.models import Post
from rapport.listening.query import compile_query, views_of
from rapport.pipeline import bench

pytestmark = pytest.mark.django_db(transaction=True)


def test_bench_smoke():
    before = Workspace.objects.count()
    figures = bench.measure(posts=300, runs=1, batch=100, baseline_posts=30, subscriber_posts=60)
    assert figures["end_to_end_posts_per_s"] > 0 and figures["baseline_posts_per_s"] > 0
    assert figures["baseline_posts_per_cpu_s"] > 0
    assert figures["analysis_only_posts_per_s"] > 0 and figures["peak_rss_mb_after_end_to_end"] > 0
    assert Workspace.objects.count() == before and not Post.objects.exists()
    with_subs = figures["end_to_end_with_subscribers_posts_per_s"]
    expected = round(1e6 * (1 / with_subs - 1 / figures["end_to_end_posts_per_s"]), 1)
    assert figures["subscriber_cost_us_per_post"] == expected
    # Each subscriber's own time is printed; inbox routing and author linking are among them.
    spent = figures["subscriber_us_per_post"]
    assert "rapport.care.intake.on_posts_linked" in spent and "rapport.listening.authors.on_posts_stored" in spent
    assert all(v >= 0 for v in spent.values())
    assert figures["user_command"] is None  # a fresh process cannot see the test database


def test_posts_address_the_brand_one_in_three():
    posts = list(bench.synthetic_posts(30, run="t"))
    addressed = [p for p in posts if p["text"].startswith(f"@{bench.BRAND} ")]
    assert len(addressed) == 10 and len({p["external_id"] for p in posts}) == 30


def test_straightforward_baseline_does_the_same_work(monkeypatch):
    """The per-post baseline stores every post and opens conversations for the addressed ones, one at a time."""
    seen: list[int] = []
    real = bench._drop

    def keep_counts(ws):
        from rapport.pipeline.benchhooks import brand

        seen.extend([Post.objects.filter(workspace=ws).count(), brand().messages(ws.pk)])
        seen.append(Post.objects.filter(workspace=ws, rule_matches__isnull=False).distinct().count())
        real(ws)

    monkeypatch.setattr(bench, "_drop", keep_counts)
    n = 80
    row = bench.straightforward(n)
    stored, messages, with_rules = seen
    assert stored == n
    assert 0 < messages == row["routed"] <= -(-n // 3)  # only posts to @benchbrand, and only those needing an answer
    texts = [p["text"] for p in bench.synthetic_posts(n, run="same texts")]
    predicates = [compile_query(q) for _name, _kind, q in bench.RULES]
    expected = sum(any(p(v) for p in predicates) for v in views_of(texts, ["en"] * n, ["twitter"] * n))
    assert with_rules == expected > 0  # every post the rules match has its rule rows
    assert not Post.objects.exists()


def test_timed_subscribers_put_the_handlers_back():
    before = dict(events.subscribers("listening.posts_stored"))
    with bench._timed_subscribers(("listening.posts_stored",)) as spent:
        during = events.subscribers("listening.posts_stored")
        assert set(during) == set(before)  # same names: outbox rows written meanwhile are delivered to them
        assert all(during[n] is not before[n] for n in before)
    assert events.subscribers("listening.posts_stored") == before
    assert spent == {}


def test_worker_counts_and_sizes_are_checked():
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    assert parser.parse_args(["--workers", "1,2,4"]).workers == (1, 2, 4)
    assert parser.parse_args(["--rss-posts", "10000,100000"]).rss_posts == (10000, 100000)
    for bad in ("1,x", "0", "-2"):
        with pytest.raises(SystemExit):
            parser.parse_args(["--workers", bad])


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server (the bench starts its own)")
def test_workers_run_on_their_own_queue():
    """One worker on a private Redis and a fresh SQLite install: every post stored and routed, CPU read."""
    from rapport.pipeline.benchworkers import scale_out

    lines: list[str] = []
    figures = scale_out(workers=[1], posts=60, batch=30, database="sqlite", write=lines.append)
    (row,) = figures["by_workers"]
    assert row["posts"] == 60 and row["posts_per_s"] > 0 and row["posts_per_worker_cpu_s"] > 0
    assert row["per_cpu_vs_first"] == 1.0 and row["worker_peak_rss_mb"][0] > 0
    assert 0 < row["routed"] <= (60 + 30) // 3 + 1
    assert figures["queue"] == "redis (private)"

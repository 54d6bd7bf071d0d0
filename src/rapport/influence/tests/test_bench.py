"""`rapport bench influence` on a tiny graph: every figure it promises is printed, the workspace is removed."""

from __future__ import annotations

import json

import pytest

from rapport.core.models import Workspace

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_bench_prints_its_figures_beside_the_full_recompute_and_cleans_up():
    from rapport.influence import bench

    lines: list[str] = []
    options = {"authors": 300, "interactions": 2000, "networkx_limit": 0, "db_authors": 1200, "rounds": 1}
    bench.run(options, lines.append)
    out = json.loads(lines[0])
    assert out["authors"] == 300 and out["interactions"] == 2000
    assert out["peak_rss_mb_after_recompute"] >= out["peak_rss_mb_before"] > 0
    assert "networkx_baseline" not in out  # --networkx-limit 0 skips it
    assert out["db_identities"] == 997 and out["db_full_recompute_s"] > 0
    assert out["user_path_1000_posts_ms"] >= out["incremental_job_1000_posts_ms"]
    assert out["user_path_vs_full_recompute"] > 0
    assert not Workspace.objects.filter(slug__startswith="bench-influence-").exists()


def test_skip_db_runs_only_the_in_memory_part():
    from rapport.influence import bench

    lines: list[str] = []
    bench.run({"authors": 200, "interactions": 1000, "networkx_limit": 200, "skip_db": True}, lines.append)
    out = json.loads(lines[0])
    assert "db_full_recompute_s" not in out
    assert out["networkx_baseline"]["authors"] == 200

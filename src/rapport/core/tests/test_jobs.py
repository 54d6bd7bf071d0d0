"""Scheduled jobs on django-tasks: claimed once, retried with backoff, run again after an abandoned lease."""

from __future__ import annotations

import json
import sys
import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from rapport.core import jobs
from rapport.core.models import ScheduledJob
from rapport.core.runner import JobRunner

pytestmark = pytest.mark.django_db

CALLS: list[str] = []
FAIL_TIMES = {"n": 0}


def counted() -> dict:
    CALLS.append("counted")
    return {"calls": len(CALLS)}


def flaky() -> dict:
    CALLS.append("flaky")
    if FAIL_TIMES["n"] > 0:
        FAIL_TIMES["n"] -= 1
        raise RuntimeError("upstream said 503")
    return {"ok": True}


@pytest.fixture
def test_jobs(monkeypatch):
    """A registry holding only this module's jobs, importable as tasks under their names (as @scheduled makes them)."""
    monkeypatch.setattr(jobs, "_registry", {})
    monkeypatch.setattr(jobs, "_discovered", True)
    module = sys.modules[__name__]
    monkeypatch.setattr(module, "counted", jobs.scheduled("test.counted", every=60, lease=30)(counted))
    monkeypatch.setattr(module, "flaky", jobs.scheduled("test.flaky", every=60, retries=2, backoff=0.2)(flaky))
    CALLS.clear()
    FAIL_TIMES["n"] = 0
    return jobs.registry()


def enqueued(name: str) -> int:
    return DBTaskResult.objects.filter(task_path=f"{__name__}.{name}").count()


def test_a_due_job_is_claimed_once_by_two_claimers(test_jobs):
    now = timezone.now()
    jobs.sync(now=now)
    # Both claimers read the job as due before either claims it: only the conditional UPDATE decides.
    seen_by_a, seen_by_b = jobs.due_names(now=now), jobs.due_names(now=now)
    assert "test.counted" in seen_by_a and "test.counted" in seen_by_b
    won_a = [n for n in seen_by_a if jobs.claim(n, now=now)]
    won_b = [n for n in seen_by_b if jobs.claim(n, now=now)]
    assert sorted(won_a) == ["test.counted", "test.flaky"] and won_b == []
    assert enqueued("counted") == 1 and enqueued("flaky") == 1
    assert jobs.schedule(now=now + timedelta(seconds=5)) == []  # still held by the claim


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite serialises writers; the PostgreSQL pass races")
def test_two_threads_racing_for_a_due_job_enqueue_it_once(test_jobs):
    now = timezone.now()
    jobs.sync(now=now)
    both_read = threading.Barrier(2)
    won: list[str | None] = []

    def claimer() -> None:
        try:
            assert "test.counted" in jobs.due_names(now=now)
            both_read.wait(timeout=10)
            won.append(jobs.claim("test.counted", now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=claimer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(won) == 2 and sum(1 for w in won if w) == 1
    assert enqueued("counted") == 1


def test_a_failing_job_records_its_error_and_is_retried_with_backoff(test_jobs):
    FAIL_TIMES["n"] = 1
    runner = JobRunner(worker_id="test")
    assert runner.step() == 2  # both jobs were due: claimed, enqueued and run
    row = ScheduledJob.objects.get(name="test.flaky")
    assert (row.failures, row.runs, row.attempt) == (1, 1, 1)
    assert row.last_error == "RuntimeError: upstream said 503"
    assert row.next_run_at > timezone.now() and row.claim_token  # the retry keeps the claim
    retry = DBTaskResult.objects.filter(task_path=f"{__name__}.flaky", status="READY").get()
    assert timedelta(0) < retry.run_after - row.last_finished_at <= timedelta(seconds=0.25)  # first backoff: 0.2 s
    assert DBTaskResult.objects.filter(task_path=f"{__name__}.flaky", status="FAILED").count() == 1
    assert runner.step() == 0  # not before its run_after
    time.sleep(0.3)
    assert runner.step() == 1
    row.refresh_from_db()
    assert (row.failures, row.runs, row.attempt, row.last_error, row.claim_token) == (0, 2, 0, "", "")
    assert row.next_run_at >= row.last_run_at + timedelta(seconds=59)
    assert CALLS.count("flaky") == 2


def test_retries_give_up_until_the_next_regular_run(test_jobs):
    FAIL_TIMES["n"] = 99
    runner = JobRunner(worker_id="test")
    runner.step()
    time.sleep(0.25)
    runner.step()  # retry 1 (after 0.2 s)
    time.sleep(0.45)
    runner.step()  # retry 2 (after 0.4 s): the last one
    row = ScheduledJob.objects.get(name="test.flaky")
    assert CALLS.count("flaky") == 3
    assert (row.failures, row.attempt, row.claim_token, row.claimed_until) == (3, 0, "", None)
    assert row.next_run_at > timezone.now() + timedelta(seconds=50)  # back on its regular interval
    assert not DBTaskResult.objects.filter(task_path=f"{__name__}.flaky", status="READY").exists()


def test_a_run_abandoned_by_a_dead_worker_is_claimed_again_after_its_lease(test_jobs):
    t0 = timezone.now()
    assert "test.counted" in jobs.schedule(now=t0)
    # The worker took the task and died (kill -9): the task row stays RUNNING, the schedule row stays claimed.
    DBTaskResult.objects.update(status="RUNNING", started_at=t0, worker_ids=["dead"])
    old_token = ScheduledJob.objects.get(name="test.counted").claim_token
    assert jobs.schedule(now=t0 + timedelta(seconds=20)) == []  # lease of 30 s not over: no second run yet
    # After it, the job is claimed afresh (test.flaky, whose lease is 600 s, is still held).
    assert jobs.schedule(now=t0 + timedelta(seconds=31)) == ["test.counted"]
    assert JobRunner(worker_id="test").step() == 1
    row = ScheduledJob.objects.get(name="test.counted")
    assert (row.runs, row.failures, row.claim_token) == (1, 0, "") and CALLS.count("counted") == 1
    # Should the dead worker's task ever run after all, its claim is gone: it is skipped, not counted twice.
    assert jobs.execute("test.counted", token=old_token) == {"skipped": "superseded"}
    assert ScheduledJob.objects.get(name="test.counted").runs == 1 and CALLS.count("counted") == 1


def test_jobs_list_and_run_on_a_fresh_database():
    out = StringIO()
    call_command("jobs", "list", "--json", stdout=out)
    rows = {r["name"]: r for r in json.loads(out.getvalue())}
    assert {"care.sla_tick", "channels.poll"} <= set(rows)
    assert rows["care.sla_tick"]["every_s"] == 30 and rows["care.sla_tick"]["last_run_at"] is None
    out = StringIO()
    call_command("jobs", "run", "care.sla_tick", stdout=out)
    result = json.loads(out.getvalue())["result"]
    assert result == {"warnings": 0, "breaches": 0, "replies_sent": 0, "replies_failed": 0}
    row = ScheduledJob.objects.get(name="care.sla_tick")
    assert (row.runs, row.failures, row.claim_token) == (1, 0, "") and row.last_finished_at is not None
    assert row.next_run_at >= row.last_run_at + timedelta(seconds=30)
    out = StringIO()
    call_command("jobs", "list", stdout=out)  # not a terminal: JSON on one line
    assert json.loads(out.getvalue())[0]["name"] == "care.sla_tick"


def test_jobs_run_of_an_unknown_or_failing_job_is_an_error(test_jobs):
    with pytest.raises(CommandError, match="no job named 'nope'; known jobs: test.counted, test.flaky"):
        call_command("jobs", "run", "nope", stdout=StringIO())
    FAIL_TIMES["n"] = 1
    with pytest.raises(CommandError, match="job test.flaky failed: RuntimeError: upstream said 503"):
        call_command("jobs", "run", "test.flaky", stdout=StringIO())
    row = ScheduledJob.objects.get(name="test.flaky")
    assert (row.failures, row.attempt) == (1, 1)  # recorded, and its retry queued for a worker


def test_worker_runs_due_jobs_end_to_end_and_exits_when_idle(settings):
    settings.RAPPORT_QUEUE_URL = ""
    out = StringIO()
    call_command("worker", "--exit-when-idle", "0.5", "--name", "w-test", stdout=out, stderr=StringIO())
    stats = json.loads(out.getvalue())
    assert stats["tasks"] >= 2 and stats["batches"] == 0
    for name in ("care.sla_tick", "channels.poll"):
        row = ScheduledJob.objects.get(name=name)
        assert (row.runs, row.failures, row.last_error, row.claim_token) == (1, 0, "", "")
    results = DBTaskResult.objects.filter(task_path="rapport.care.tasks.sla_tick")
    assert [(r.status, r.worker_ids) for r in results] == [("SUCCESSFUL", ["w-test"])]


def test_tests_never_start_the_embedded_runner(settings):
    from rapport.core.runner import start_embedded

    assert settings.RAPPORT_JOBS_EMBEDDED is False and start_embedded() is None


def test_old_task_results_are_pruned_and_recent_ones_kept():
    from rapport.care.tasks import sla_tick

    old, recent, abandoned = (sla_tick.enqueue().db_result for _ in range(3))
    long_ago = timezone.now() - timedelta(days=3)
    DBTaskResult.objects.filter(pk=old.pk).update(status="SUCCESSFUL", finished_at=long_ago)
    DBTaskResult.objects.filter(pk=recent.pk).update(status="FAILED", finished_at=timezone.now())
    DBTaskResult.objects.filter(pk=abandoned.pk).update(status="RUNNING", started_at=long_ago)
    assert jobs.run_now("core.prune_task_results") == {"deleted": 2}
    assert list(DBTaskResult.objects.values_list("pk", flat=True)) == [recent.pk]


def test_a_job_task_enqueued_by_hand_runs_and_is_recorded(test_jobs):
    from rapport.core.tests import test_jobs as module

    jobs.sync()
    ScheduledJob.objects.update(next_run_at=timezone.now() + timedelta(hours=1))  # nothing due on the schedule
    module.counted.enqueue()
    assert JobRunner(worker_id="test").step() == 1
    row = ScheduledJob.objects.get(name="test.counted")
    assert (row.runs, row.claim_token) == (1, "") and CALLS == ["counted"]

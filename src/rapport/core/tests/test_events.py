"""The outbox: an event is a row of its transaction, delivered at least once, each handler's work committed once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from rapport.core import events
from rapport.core.models import AuditEvent, OutboxEvent, Workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def handlers():
    """Subscribe test handlers to "test.happened" and remove them afterwards."""
    added = []

    def add(handler):
        events.subscribe("test.happened", handler)
        added.append(handler)
        return handler

    yield add
    for handler in added:
        events.unsubscribe("test.happened", handler)


def _audit(workspace_id: int, action: str) -> None:
    AuditEvent.objects.create(
        workspace_id=workspace_id, actor_kind="system", action=action, object_type="t", object_id="1"
    )


def test_an_event_nobody_listens_to_writes_nothing(workspace):
    events.emit("test.unheard", {"workspace_id": workspace.pk})
    assert not OutboxEvent.objects.exists()


def test_delivered_after_commit_and_marked(workspace, handlers, django_capture_on_commit_callbacks):
    seen = []
    handlers(lambda event, payload: seen.append(payload["n"]))
    with django_capture_on_commit_callbacks(execute=True):
        events.emit("test.happened", {"workspace_id": workspace.pk, "n": 1})
        assert seen == []  # not before the commit
    assert seen == [1]
    row = OutboxEvent.objects.get()
    assert row.delivered_at is not None and row.pending == []


def test_an_event_whose_transaction_rolls_back_never_happened(workspace, handlers, django_capture_on_commit_callbacks):
    seen = []
    handlers(lambda event, payload: seen.append(payload))
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                events.emit("test.happened", {"workspace_id": workspace.pk})
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    assert seen == [] and not OutboxEvent.objects.exists()


def test_a_process_that_died_after_commit_loses_nothing(workspace, handlers):
    seen = []
    handlers(lambda event, payload: seen.append(payload["n"]))
    # The on-commit delivery never runs (the process died): the row is all that is left.
    events.emit("test.happened", {"workspace_id": workspace.pk, "n": 7})
    assert seen == []
    assert events.deliver_pending(grace=timedelta(0)) == {"due": 1, "delivered": 1}
    assert seen == [7]
    assert events.deliver_pending(grace=timedelta(0)) == {"due": 0, "delivered": 0}
    assert seen == [7]


def test_a_failing_handler_is_retried_alone_and_its_work_rolled_back(
    workspace, handlers, django_capture_on_commit_callbacks
):
    good, flaky_calls = [], []

    def flaky(event, payload):
        flaky_calls.append(1)
        _audit(payload["workspace_id"], "flaky.wrote")  # written, then rolled back with the failure
        if len(flaky_calls) == 1:
            raise ValueError("downstream unavailable")

    handlers(lambda event, payload: good.append(1))
    handlers(flaky)
    with django_capture_on_commit_callbacks(execute=True):
        events.emit("test.happened", {"workspace_id": workspace.pk})
    row = OutboxEvent.objects.get()
    assert good == [1] and len(flaky_calls) == 1
    assert row.delivered_at is None and row.attempts == 1
    assert row.pending == [events.handler_name(flaky)]
    assert "downstream unavailable" in row.last_error
    assert not AuditEvent.objects.filter(action="flaky.wrote").exists()
    # Not due before its backoff has passed ...
    assert events.deliver_pending(grace=timedelta(0))["due"] == 0
    OutboxEvent.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    # ... then only the failed handler runs again.
    assert events.deliver_pending(grace=timedelta(0))["delivered"] == 1
    assert good == [1] and len(flaky_calls) == 2
    assert AuditEvent.objects.filter(action="flaky.wrote").count() == 1
    row.refresh_from_db()
    assert row.delivered_at is not None and row.last_error == ""


def test_a_row_held_by_a_live_deliverer_is_left_alone_until_its_lease_ends(workspace, handlers):
    seen = []
    handlers(lambda event, payload: seen.append(1))
    events.emit("test.happened", {"workspace_id": workspace.pk})
    OutboxEvent.objects.update(claimed_until=timezone.now() + timedelta(minutes=1))
    assert events.deliver_pending(grace=timedelta(0))["due"] == 0 and seen == []
    OutboxEvent.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))  # that deliverer died
    assert events.deliver_pending(grace=timedelta(0))["delivered"] == 1 and seen == [1]


def test_events_emitted_by_a_handler_follow_its_commit(workspace, handlers, django_capture_on_commit_callbacks):
    chain = []

    def second(event, payload):
        chain.append(event)

    def first(event, payload):
        chain.append(event)
        events.emit("test.followed", {"workspace_id": payload["workspace_id"]})

    handlers(first)
    events.subscribe("test.followed", second)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            events.emit("test.happened", {"workspace_id": workspace.pk})
    finally:
        events.unsubscribe("test.followed", second)
    assert chain == ["test.happened", "test.followed"]
    assert OutboxEvent.objects.filter(delivered_at__isnull=False).count() == 2


def test_purge_keeps_what_is_undelivered(workspace, handlers):
    handlers(lambda event, payload: None)
    events.emit("test.happened", {"workspace_id": workspace.pk})
    events.emit("test.happened", {"workspace_id": workspace.pk})
    first, second = OutboxEvent.objects.order_by("id")
    OutboxEvent.objects.filter(pk=first.pk).update(delivered_at=timezone.now() - timedelta(days=30))
    OutboxEvent.objects.filter(pk=second.pk).update(created_at=timezone.now() - timedelta(days=30))
    assert events.purge_delivered() == 1
    assert list(OutboxEvent.objects.values_list("pk", flat=True)) == [second.pk]
    assert Workspace.objects.filter(pk=workspace.pk).exists()


def test_the_deliver_job_picks_up_what_a_dead_process_left(workspace, handlers):
    from rapport.core import jobs
    from rapport.core.models import ScheduledJob

    seen = []
    handlers(lambda event, payload: seen.append(payload["n"]))
    events.emit("test.happened", {"workspace_id": workspace.pk, "n": 3})
    OutboxEvent.objects.update(created_at=timezone.now() - timedelta(minutes=1))  # past the grace period
    assert jobs.get_job("events.deliver").every == 10
    assert jobs.run_now("events.deliver") == {"due": 1, "delivered": 1}
    assert seen == [3] and ScheduledJob.objects.get(name="events.deliver").runs == 1


def test_emit_many_writes_one_row_per_event_in_one_insert_and_delivers_each(
    workspace, handlers, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    seen: list[int] = []
    handlers(lambda event, payload: seen.append(payload["n"]))
    with django_capture_on_commit_callbacks(execute=True):
        with CaptureQueriesContext(connection) as queries:
            events.emit_many("test.happened", [{"workspace_id": workspace.pk, "n": n} for n in range(40)])
        assert len(queries) == 1
    assert sorted(seen) == list(range(40))
    assert OutboxEvent.objects.filter(name="test.happened", delivered_at__isnull=False).count() == 40
    events.emit_many("test.happened", [])
    assert OutboxEvent.objects.count() == 40

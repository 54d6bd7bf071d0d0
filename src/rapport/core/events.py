"""Domain events that cannot be lost: a transactional outbox, delivered at least once to idempotent handlers.

`emit()` writes an `OutboxEvent` row in the caller's transaction, naming the handlers subscribed to it; nothing
is written for an event nobody listens to. Once the transaction commits, the row is delivered in the same
process at once (so a post reaches the live inbox without waiting for a poll). Each handler runs in a transaction
of its own that also strikes it from the row's `pending` list, so a handler whose work committed is never run
again for that event, and a handler that raised (or a process that died) is retried by the `events.deliver` job
with backoff. A handler may emit further events: they join its transaction and follow once it commits.

Handlers are named by module and qualified name, so a row written by one process is delivered by another.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

log = logging.getLogger(__name__)
Handler = Callable[[str, dict[str, Any]], None]
_handlers: dict[str, dict[str, Handler]] = defaultdict(dict)  # event -> handler name -> handler
MAX_BACKOFF = timedelta(hours=1)


def handler_name(handler: Handler) -> str:
    """The stable name a handler is recorded under."""
    return f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', repr(handler))}"


def subscribe(event: str, handler: Handler) -> None:
    """Call handler(event, payload) for every committed `event` (use "*" for all); subscribing twice is a no-op."""
    name = handler_name(handler)
    known = _handlers[event]
    if name in known and known[name] is not handler:  # two different lambdas of one module: keep both
        name = f"{name}#{sum(1 for n in known if n.startswith(name))}"
    known.setdefault(name, handler)


def unsubscribe(event: str, handler: Handler) -> None:
    """Remove a handler (tests that subscribe their own)."""
    for name, h in list(_handlers.get(event, {}).items()):
        if h is handler:
            del _handlers[event][name]


def subscribers(event: str) -> dict[str, Handler]:
    """The handlers `event` is delivered to, by name."""
    return {**_handlers.get(event, {}), **_handlers.get("*", {})}


def emit(event: str, payload: dict[str, Any]) -> None:
    """Record a past-tense event (e.g. "contact.merged") in the current transaction; it is delivered after commit."""
    from rapport.core.models import OutboxEvent

    names = list(subscribers(event))
    if not names:
        return
    row = OutboxEvent.objects.create(
        workspace_id=payload.get("workspace_id"), name=event, payload=payload, pending=names
    )
    transaction.on_commit(lambda: deliver_ids([row.pk]))


def emit_many(event: str, payloads: list[dict[str, Any]]) -> None:
    """Record many events of one name at once (one row each, one insert for all): what a batch announces."""
    from rapport.core.models import OutboxEvent

    names = list(subscribers(event))
    if not names or not payloads:
        return
    rows = OutboxEvent.objects.bulk_create(
        [OutboxEvent(workspace_id=p.get("workspace_id"), name=event, payload=p, pending=names) for p in payloads],
        batch_size=500,
    )
    ids = [r.pk for r in rows]
    transaction.on_commit(lambda: deliver_ids(ids))


def _claim(ids: Iterable[int], now) -> list:
    from rapport.core.models import OutboxEvent

    lease = now + timedelta(seconds=settings.RAPPORT_EVENT_LEASE_SECONDS)  # how long this process owns the rows
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    claimable = OutboxEvent.objects.filter(free, pk__in=list(ids), delivered_at__isnull=True)
    if not claimable.update(claimed_until=lease):
        return []
    return list(OutboxEvent.objects.filter(pk__in=list(ids), claimed_until=lease, delivered_at__isnull=True))


def _deliver(row) -> bool:
    """Run the row's pending handlers; True when none is left."""
    from rapport.core.models import OutboxEvent

    known = subscribers(row.name)
    pending = list(row.pending)
    errors = []
    for name in list(pending):
        handler = known.get(name)
        if handler is None:  # unsubscribed since (a removed feature): nothing can run it
            log.warning("event %s #%s: no handler %s any more; dropped", row.name, row.pk, name)
            pending.remove(name)
            OutboxEvent.objects.filter(pk=row.pk).update(pending=pending)
            continue
        try:
            with transaction.atomic():
                handler(row.name, row.payload)
                pending.remove(name)
                OutboxEvent.objects.filter(pk=row.pk).update(pending=pending)
        except Exception as exc:  # noqa: BLE001 - one failing handler must not stop the others or lose the event
            log.exception("event handler %s failed for %s #%s", name, row.name, row.pk)
            errors.append(f"{name}: {type(exc).__name__}: {exc}"[:500])
    now = timezone.now()
    if not pending:
        OutboxEvent.objects.filter(pk=row.pk).update(delivered_at=now, claimed_until=None, last_error="")
        return True
    attempts = row.attempts + 1
    backoff = min(MAX_BACKOFF, timedelta(seconds=5 * 2 ** min(attempts, 12)))
    OutboxEvent.objects.filter(pk=row.pk).update(
        attempts=attempts, last_error="\n".join(errors), claimed_until=None, next_attempt_at=now + backoff
    )
    return False


def deliver_ids(ids: list[int]) -> int:
    """Deliver these rows now if nobody else holds them; returns how many were completely delivered."""
    return sum(_deliver(row) for row in _claim(ids, timezone.now()))


def deliver_pending(*, limit: int = 500, grace: timedelta = timedelta(seconds=5)) -> dict[str, int]:
    """Deliver rows left undelivered (crash, failing handler) whose retry is due; the `events.deliver` job."""
    from rapport.core.models import OutboxEvent

    now = timezone.now()
    due = (
        OutboxEvent.objects.filter(delivered_at__isnull=True, next_attempt_at__lte=now, created_at__lte=now - grace)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    ids = list(due)
    delivered = 0
    for row in _claim(ids, now):
        delivered += _deliver(row)
    return {"due": len(ids), "delivered": delivered}


def purge_delivered(*, older_than: timedelta = timedelta(days=7)) -> int:
    """Drop delivered rows past the retention window; undelivered rows are kept whatever their age."""
    from rapport.core.models import OutboxEvent

    cutoff = timezone.now() - older_than
    return OutboxEvent.objects.filter(delivered_at__lt=cutoff).delete()[0]

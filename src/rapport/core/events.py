"""A small after-commit event bus: domain events leave only once their transaction has committed."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)
Handler = Callable[[str, dict[str, Any]], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str, handler: Handler) -> None:
    """Call handler(event, payload) after every committed `event` (use "*" for all)."""
    _handlers[event].append(handler)


def emit(event: str, payload: dict[str, Any]) -> None:
    """Publish a past-tense event (e.g. "contact.merged") once the current transaction commits."""

    def deliver() -> None:
        for handler in [*_handlers.get(event, []), *_handlers.get("*", [])]:
            try:
                handler(event, payload)
            except Exception:  # one failing subscriber must not break the others
                log.exception("event handler failed for %s", event)

    transaction.on_commit(deliver)

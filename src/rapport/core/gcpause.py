"""Pausing Python's cycle collector around batch work (no Django needed, so pure engines can use it too)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cycle collector while a batch builds many short-lived or acyclic objects.

    Each collection those allocations trigger would rescan every live container, loaded models included; reference
    counting frees the batch's objects anyway. The collector's previous state is restored afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

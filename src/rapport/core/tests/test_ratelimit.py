"""The fixed-window counter: a limit per key and window, and a fresh count in the next window."""

from __future__ import annotations

from rapport.core import ratelimit


def test_the_limit_holds_within_a_window_and_resets_in_the_next(monkeypatch):
    now = [1_800_000_000.0]
    monkeypatch.setattr(ratelimit, "clock", lambda: now[0])
    assert [ratelimit.hit("k", limit=3, window=60) for _ in range(5)] == [True, True, True, False, False]
    assert ratelimit.hit("other", limit=3, window=60)  # keys are counted apart
    now[0] += 60
    assert [ratelimit.hit("k", limit=3, window=60) for _ in range(4)] == [True, True, True, False]

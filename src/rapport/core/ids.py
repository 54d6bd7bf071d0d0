"""Database ids typed by people or passed in URLs and forms: parsed once, the same way everywhere."""

from __future__ import annotations

# The largest id a BIGINT (PostgreSQL) or INTEGER (SQLite) column holds: a larger number is no id, not a 500.
MAX_ID = 2**63 - 1


def parse_id(value: str | None) -> int | None:
    """The id in `value` (ASCII digits, 1..MAX_ID), or None for anything else ("", "abc", "²", "-1", 10**30)."""
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None

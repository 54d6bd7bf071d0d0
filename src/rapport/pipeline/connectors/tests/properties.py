"""Hypothesis strategies for the parser property tests: JSON values with hostile leaves, and fixtures mutated."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from ..base import MAX_FOLLOWERS, MAX_METRIC, MAX_YEAR, MIN_YEAR, Post

# Values that have broken parsers before: out-of-range times, surrogates, NUL, huge and non-finite numbers.
NASTY_STRINGS = [
    "",
    " ",
    "\ud800",
    "a\udcff",
    "\x00",
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "2024-02-30T10:00:00Z",
    "2024-01-01T00:00:00",
    "Wed Oct 10 20:19:24 +0000 2018",
    "Mon Jan 01 00:00:00 -1200 9999",
    "1e400",
    "nan",
    "-1",
    "9" * 40,
    "comment",
    "feed",
    "add",
    "mention",
    "message_create",
    "https://example.com/\ud800",
]
text = st.one_of(st.text(st.characters(exclude_categories=()), max_size=12), st.sampled_from(NASTY_STRINGS))
leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**31, 2**63, 10**30, -(10**30), 1_700_000_000, 1_700_000_000_000, 253402300800]),
    st.floats(allow_nan=True, allow_infinity=True),
    text,
)
json_values = st.recursive(
    leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=8
)


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """The value with some nodes replaced by hostile JSON, some keys dropped, some lists emptied or extended."""
    if draw(st.integers(0, 11)) == 0:
        return draw(json_values)
    if isinstance(value, dict):
        out = {}
        for key, sub in value.items():
            if draw(st.integers(0, 15)) == 0:
                continue
            out[key] = draw(mutated(sub))
        return out
    if isinstance(value, list):
        items = [draw(mutated(sub)) for sub in value]
        if items and draw(st.integers(0, 7)) == 0:
            items.append(draw(mutated(value[0])))
        return items
    if isinstance(value, str) and draw(st.integers(0, 5)) == 0:
        return draw(text)
    return value


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """A byte string with a few splices: deleted, replaced or inserted runs, some of them hostile text."""
    out = bytearray(data)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(out)))
        cut = draw(st.integers(0, 20))
        insert = draw(
            st.one_of(
                st.binary(max_size=12),
                st.sampled_from(NASTY_STRINGS).map(lambda s: s.encode("utf-8", "surrogatepass")),
            )
        )
        out[at : at + cut] = insert
    return bytes(out)


def assert_storable(post: Post) -> None:
    """What the database needs of a normalised post: typed fields, UTF-8 text without NUL, times and counts in range."""

    def storable(value: Any, field: str, *, optional: bool = False) -> None:
        if value is None and optional:
            return
        assert isinstance(value, str), (field, value)
        value.encode("utf-8")  # raises on a lone surrogate
        assert "\x00" not in value, field

    for field in ("network", "external_id", "created_at", "text", "kind"):
        storable(post[field], field)
    assert post["network"].strip() and post["external_id"].strip()
    for field in ("in_reply_to", "url", "thread_id"):
        storable(post.get(field), field, optional=True)
    at = datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
    assert at.tzinfo is not None and MIN_YEAR <= at.astimezone(UTC).year <= MAX_YEAR
    author = post["author"]
    for field in ("external_id", "handle", "name"):
        storable(author[field], f"author.{field}", optional=True)
    assert author["followers"] is None or (
        type(author["followers"]) is int and 0 <= author["followers"] <= MAX_FOLLOWERS
    )
    assert all(isinstance(k, str) and type(v) is int and 0 <= v <= MAX_METRIC for k, v in post["metrics"].items())
    json.dumps(post["raw"], ensure_ascii=False, allow_nan=False, default=str).encode("utf-8")
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in _leaves(post["raw"]))


def _leaves(value: Any):
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        else:
            yield item

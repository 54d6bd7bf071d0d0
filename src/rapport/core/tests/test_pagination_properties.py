"""Property tests of keyset cursors: any cursor string either decodes to typed sort keys or is a BadCursor."""

from __future__ import annotations

import base64
import json
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.core.pagination import BadCursor, decode_cursor, keyset_page
from rapport.listening.models import Post

nasty = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63, -(2**63) - 1, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(st.characters(exclude_categories=()), max_size=12),
    st.sampled_from(["2020-01-01", "2020-01-01T00:00:00+00:00", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00+14:00"]),
)
values = st.recursive(nasty, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner))


def encode(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode("utf-8", "surrogatepass")).decode().rstrip("=")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), values.map(encode)), st.integers(1, 3))
def test_decode_cursor_returns_keys_or_raises_bad_cursor(cursor, size):
    try:
        keys = decode_cursor(cursor, size)
    except BadCursor:
        return
    assert len(keys) == size and all(isinstance(k, str | int) for k in keys)


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.lists(values, min_size=2, max_size=2), values).map(encode))
def test_a_crafted_cursor_pages_or_is_a_bad_cursor_never_a_database_error(workspace, cursor):
    qs = Post.objects.filter(workspace=workspace)
    try:
        rows, _ = keyset_page(qs, fields=("created_at", "id"), descending=True, limit=5, cursor=cursor)
    except BadCursor:
        return
    assert rows == []
    created, pk = decode_cursor(cursor, 2)
    assert datetime.fromisoformat(created).tzinfo is not None and isinstance(pk, int)

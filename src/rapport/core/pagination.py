"""Keyset pagination: opaque cursors that stay fast on deep pages (no OFFSET)."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import AutoField, DateTimeField, IntegerField, Model, Q, QuerySet

MAX_INT = 2**63 - 1  # a 64-bit key: larger numbers overflow the database driver


class BadCursor(ValueError):
    """The cursor parameter is not one this API issued."""


def encode_cursor(values: Sequence[Any]) -> str:
    """Encode the sort key of the last row of a page."""
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    """Decode a cursor into its sort key values, or raise BadCursor."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeError) as exc:
        raise BadCursor("cursor is not valid") from exc
    if not isinstance(values, list) or len(values) != size or not all(isinstance(v, str | int) for v in values):
        raise BadCursor("cursor is not valid")
    if any(isinstance(v, str) and not v.isprintable() for v in values):  # NUL, lone surrogates, controls
        raise BadCursor("cursor is not valid")
    return values


def _key_value(model: type[Model], name: str, value: Any) -> Any:
    """A cursor value as the sort field's Python type; BadCursor for what this API never issues."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        field = IntegerField()  # an annotated sort key (a search rank) is an integer
    if isinstance(field, DateTimeField):
        try:
            parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        # Issued cursors hold aware times well inside datetime's range (no overflow when the database compares).
        if parsed is None or parsed.tzinfo is None or not 1 < parsed.year < 9999:
            raise BadCursor("cursor is not valid")
        return parsed
    if isinstance(field, IntegerField | AutoField):
        if isinstance(value, bool) or not isinstance(value, int) or not -MAX_INT <= value <= MAX_INT:
            raise BadCursor("cursor is not valid")
        return value
    try:
        return field.to_python(value)
    except (ValidationError, TypeError, ValueError) as exc:
        raise BadCursor("cursor is not valid") from exc


def keyset_page(
    qs: QuerySet, *, fields: Sequence[str], descending: bool, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """One page of qs ordered by fields (all ascending or all descending) after the cursor; returns (rows, next)."""
    order = [f"-{f}" if descending else f for f in fields]
    qs = qs.order_by(*order)
    if cursor:
        values = [_key_value(qs.model, f, v) for f, v in zip(fields, decode_cursor(cursor, len(fields)), strict=True)]
        op = "lt" if descending else "gt"
        # The redundant bound on the leading field lets the database walk the index range instead of filtering.
        condition = Q()
        bound = Q(**{f"{fields[0]}__{op}e": values[0]})
        # (a, b, c) > (x, y, z)  ==  a > x OR (a = x AND b > y) OR (a = x AND b = y AND c > z)
        for i, field in enumerate(fields):
            term = Q(**{f"{field}__{op}": values[i]})
            for j in range(i):
                term &= Q(**{fields[j]: values[j]})
            condition |= term
        qs = qs.filter(bound & condition)
    rows = list(qs[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, f) for f in fields])
    return rows, next_cursor

"""Shared API field types: bounded strings without control characters, database-safe ids, page limits."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from rapport.core.ids import MAX_ID

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # NUL and the other controls, not tab or newlines


def _no_control(value: str) -> str:
    if CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def Text(max_length: int = 200):  # noqa: N802 - reads like a type
    """A string of at most max_length characters with no control characters."""
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_no_control)]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Limit = Annotated[int, Field(ge=1, le=200)]
Cursor = Annotated[str, StringConstraints(max_length=500, pattern=r"^[A-Za-z0-9_\-]*$")]

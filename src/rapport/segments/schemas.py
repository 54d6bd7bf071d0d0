"""API shapes of segments, their members, fields and size history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from rapport.core.apitypes import Text


class SegmentIn(Schema):
    name: Text(120) | None = None
    description: Text(2000) | None = None
    definition: dict[str, Any] | None = Field(
        default=None,
        description='{"all": [...]}, {"any": [...]}, {"not": {...}} or {"field", "op", "value"} '
        "(ops eq, ne, lt, lte, gt, gte, in, contains, exists, within_days; social fields take days; purchase period "
        "fields take days or from/to dates and a category)",
        examples=[{"all": [{"field": "purchases.count", "op": "gte", "value": 1}]}],
    )


class DefinitionIn(Schema):
    definition: dict[str, Any]


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    definition: dict[str, Any]
    count: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    evaluated_at: datetime | None


class SegmentPage(Schema):
    items: list[SegmentOut]
    next_cursor: str | None


class MemberOut(Schema):
    id: int
    name: str
    email: str
    country: str
    lifecycle_stage: str
    tags: list[str]


class MemberPage(Schema):
    items: list[MemberOut]
    next_cursor: str | None


class PreviewOut(Schema):
    count: int
    sample: list[MemberOut]


class FieldParamOut(Schema):
    """A condition's extra key: days (a whole number, with its default and bounds), from/to (dates), category."""

    type: str = "integer"
    default: int | None = None
    min: int | None = None
    max: int | None = None
    help: str = ""


class FieldOut(Schema):
    name: str
    type: str
    label: str
    group: str
    ops: list[str]
    choices: list[str]
    params: dict[str, FieldParamOut]
    help: str = ""


class FieldList(Schema):
    items: list[FieldOut]


class SnapshotOut(Schema):
    day: date
    size: int


class HistoryOut(Schema):
    items: list[SnapshotOut]


class StageCount(Schema):
    stage: str
    label: str
    count: int


class PhaseOut(Schema):
    phase: str
    count: int
    stages: list[StageCount]


class LifecycleOut(Schema):
    items: list[PhaseOut]

"""API shapes of scores and their components."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema


class ComponentOut(Schema):
    name: str
    label: str
    value: int
    detail: str


class InfluenceOut(Schema):
    score: int
    components: list[ComponentOut]
    updated_at: datetime
    change_7d: int | None = None


class RankedOut(InfluenceOut):
    rank_key: str
    person_id: int | None
    identity_id: int | None
    name: str
    network: str
    handle: str


class RankedPage(Schema):
    items: list[RankedOut]
    next_cursor: str | None


class HistoryPoint(Schema):
    day: date
    score: int
    components: dict[str, int]


class HistoryOut(Schema):
    contact_id: int
    items: list[HistoryPoint]

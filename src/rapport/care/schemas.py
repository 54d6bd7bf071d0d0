"""API shapes of the care inbox."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema

from rapport.core.apitypes import Id, Text


class SentimentOut(Schema):
    label: str | None
    score: float | None


class ContactRef(Schema):
    id: int | None
    name: str
    handle: str | None


class ConversationItem(Schema):
    id: int
    contact: ContactRef | None
    contact_id: int | None
    status: str
    channel: str
    subject: str
    priority: float
    priority_reasons: list[dict]
    sentiment: SentimentOut
    needs_response: str
    assignee: int | None
    team: int | None
    tags: list[str]
    sla_due_at: datetime | None
    last_inbound_at: datetime | None
    updated_at: datetime


class ConversationPage(Schema):
    items: list[ConversationItem]
    next_cursor: str | None


class MessageOut(Schema):
    id: int
    network: str
    kind: str
    external_id: str
    direction: str
    text: str
    created_at: datetime
    author: str
    delivery_status: str
    attempts: int
    last_error: str


class SlaOut(Schema):
    policy: str
    first_response_due: datetime | None
    next_response_due: datetime | None
    resolution_due: datetime | None
    paused: bool
    warned: list[str]
    breached: list[str]


class ConversationDetail(ConversationItem):
    messages: list[MessageOut]
    sla: SlaOut | None
    other_viewers: list[int]
    transfers: int


class ReplyIn(Schema):
    text: Text(5000)


class NoteIn(Schema):
    text: Text(5000)


class AssignIn(Schema):
    assignee: Id | None = None
    team: Id | None = None


class StatusIn(Schema):
    status: Text(20)


class TagsIn(Schema):
    tags: list[Text(50)]


class CsatIn(Schema):
    score: int
    comment: Text(2000) = ""


class CannedOut(Schema):
    id: int
    name: str
    text: str
    team: int | None

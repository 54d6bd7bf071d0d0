"""API shapes of campaigns and their stats."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field

from rapport.core.apitypes import Id, Text


class VariantIn(Schema):
    name: Text(40) | None = None
    subject: Text(300) | None = Field(default=None, description="defaults to the campaign's subject")
    body: Text(100_000) | None = Field(default=None, description="defaults to the campaign's body")


class CampaignIn(Schema):
    name: Text(200)
    segment_ids: list[Id] = Field(max_length=50)
    channel: Text(16) = "email"
    purpose: Text(32)
    subject: Text(300) = Field(description="a template: {{ first_name }}, {{ last_name }}, {{ name }}, {{ city }}...")
    body: Text(100_000) = Field(description="a template in the same language as the subject")
    variants: list[VariantIn] = Field(default_factory=list, max_length=10)
    track_opens: bool = Field(default=False, description="add an HTML part with an invisible image that records opens")
    track_clicks: bool = Field(default=True, description="send the template's fixed links through a signed redirect")


class VariantOut(Schema):
    name: str
    subject: str
    body: str


class StatsOut(Schema):
    members: int = Field(description="distinct people in the segments")
    audience: int = Field(description="members who may be sent it: not suppressed, with consent and an address")
    suppressed: int
    no_consent: int = Field(description="no consent for the purpose and channel, including withdrawals before sending")
    no_address: int
    pending: int
    sent: int
    failed: int
    uncertain: int = Field(description="interrupted while being handed to the mail server; never sent again")
    unique_messages: int = Field(description="distinct rendered messages among those sent")
    opened: int = Field(description="sends whose open image loaded or whose link was clicked (opens are unreliable)")
    clicked: int = Field(description="people who clicked a link of the message")
    unsubscribed: int = Field(description="people sent it who may no longer be sent its purpose on its channel")
    converted: int = Field(description="people who ordered within the attribution window of their first click")
    revenue: float = Field(description="the total of those orders, less returns")


class CampaignOut(Schema):
    id: int
    name: str
    segment_ids: list[int]
    channel: str
    purpose: str
    subject: str
    body: str
    variants: list[VariantOut]
    track_opens: bool
    track_clicks: bool
    status: str
    error: str
    created_by: str
    created_at: datetime
    queued_at: datetime | None
    finished_at: datetime | None
    stats: StatsOut


class RecommendationOut(Schema):
    sku: str
    name: str
    category: str
    score: float = Field(description="higher is a better match; popular fallbacks rank below personal picks")
    reason: str = Field(description='"because you bought ..." or "popular with other customers"')


class RecommendationList(Schema):
    items: list[RecommendationOut]

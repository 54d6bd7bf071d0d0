"""Listening API: mentions with filters and charts, tracking rules and spike alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from rapport.core.apiauth import require
from rapport.core.apitypes import Cursor, Id, Limit, Text
from rapport.core.ids import parse_id
from rapport.core.pagination import keyset_page
from rapport.listening import services
from rapport.listening.alerts import alert_payload
from rapport.listening.models import RuleKind, SpikeAlert, TrackingRule

mentions_router = Router(tags=["listening"])
rules_router = Router(tags=["listening"])
alerts_router = Router(tags=["listening"])


class SentimentOut(Schema):
    label: str | None
    score: float | None


class AuthorOut(Schema):
    handle: str | None
    name: str | None
    followers: int | None
    contact_id: int | None


class MentionOut(Schema):
    id: int
    network: str
    external_id: str
    text: str
    created_at: datetime
    url: str | None
    kind: str
    in_reply_to: str | None
    language: str | None
    sentiment: SentimentOut
    rules: list[str]
    author: AuthorOut
    near_duplicate_of: int | None


class MentionPage(Schema):
    items: list[MentionOut]
    next_cursor: str | None


class MentionFilters(Schema):
    rule: Text(100) = Field("", description="rule id or name")
    sentiment: Literal["", "negative", "neutral", "positive"] = ""
    language: Text(8) = ""
    network: Text(16) = ""
    author: Text(200) = Field("", description="author handle, with or without @")
    contact: Id | None = None
    since: datetime | None = None
    until: datetime | None = None


class MentionListFilters(MentionFilters):
    limit: Limit = 25
    cursor: Cursor | None = None
    sort: Text(32) = Field(
        "newest", description="newest, or an order other apps add: influence (most influential authors first)"
    )


def _rule_id(request: HttpRequest, value: str) -> int | None:
    if not value:
        return None
    if (pk := parse_id(value)) is not None:
        return pk
    rule = TrackingRule.objects.filter(workspace=request.workspace, name=value).first()
    return rule.pk if rule else -1


def _filtered(request: HttpRequest, f: MentionFilters):
    return services.filter_mentions(
        workspace=request.workspace,
        rule=_rule_id(request, f.rule),
        sentiment=f.sentiment,
        language=f.language,
        network=f.network,
        author=f.author,
        contact=f.contact,
        since=f.since,
        until=f.until,
    )


@mentions_router.get("", response=MentionPage)
def list_mentions(request: HttpRequest, filters: Query[MentionListFilters]):
    """Stored posts, newest first (or `sort=influence`: most influential authors first), filtered by rule,
    sentiment, language, network, author, contact and time."""
    require(request, "listening.view")
    rows, next_cursor = services.mentions_page(
        _filtered(request, filters),
        limit=filters.limit,
        cursor=filters.cursor,
        sort=filters.sort,
        workspace_id=request.workspace.pk,
    )
    return {"items": [services.mention_out(p) for p in rows], "next_cursor": next_cursor}


class VolumePoint(Schema):
    at: datetime
    total: int
    negative: int
    neutral: int
    positive: int


class VoiceShare(Schema):
    rule_id: int
    name: str
    kind: str
    mentions: int
    share: float


class MentionStats(Schema):
    series: list[VolumePoint]
    sentiment: dict[str, int]
    share_of_voice: list[VoiceShare]


@mentions_router.get("/stats", response=MentionStats)
def mention_stats(request: HttpRequest, filters: Query[MentionFilters], bucket: Literal["day", "hour"] = "day"):
    """Volume and sentiment over time for the filtered mentions, and share of voice of brands vs competitors."""
    require(request, "listening.view")
    qs = _filtered(request, filters)
    return {
        "series": services.volume_series(qs, bucket=bucket),
        "sentiment": services.sentiment_totals(qs),
        "share_of_voice": services.share_of_voice(workspace=request.workspace, since=filters.since),
    }


class RuleIn(Schema):
    name: Text(100) | None = None
    kind: RuleKind | None = None
    query: Text(2000) | None = None
    languages: list[Text(8)] | None = None
    networks: list[Text(16)] | None = None
    active: bool | None = None


class RuleOut(Schema):
    id: int
    name: str
    kind: str
    query: str
    languages: list[str]
    networks: list[str]
    active: bool
    mentions: int
    created_at: datetime
    updated_at: datetime


def _rule_out(rule: TrackingRule, counts: dict[int, int] | None = None) -> dict[str, Any]:
    counts = counts if counts is not None else services.rule_counts(rule.workspace)
    return {
        **{f: getattr(rule, f) for f in services.RULE_FIELDS},
        "id": rule.pk,
        "mentions": counts.get(rule.pk, 0),
        "created_at": rule.created_at,
        "updated_at": rule.updated_at,
    }


class RulePage(Schema):
    items: list[RuleOut]
    next_cursor: str | None


@rules_router.get("", response=RulePage)
def list_rules(request: HttpRequest, limit: Limit = 100, cursor: Cursor | None = None):
    """The workspace's tracking rules with their numbers of matched posts, paged like every list."""
    require(request, "listening.view")
    counts = services.rule_counts(request.workspace)
    rows, next_cursor = keyset_page(
        TrackingRule.objects.filter(workspace=request.workspace),
        fields=["id"],
        descending=False,
        limit=limit,
        cursor=cursor,
    )
    return {"items": [_rule_out(r, counts) for r in rows], "next_cursor": next_cursor}


@rules_router.post("", response={201: RuleOut})
def create_rule(request: HttpRequest, payload: RuleIn):
    """Create a rule; the query must parse: AND, OR, NOT, (), "phrases", #tags, @mentions, lang:, network:."""
    require(request, "listening.manage")
    rule = services.create_rule(
        workspace=request.workspace, actor=request.actor, data=payload.dict(exclude_unset=True, exclude_none=True)
    )
    return Status(201, _rule_out(rule))


def _rule(request: HttpRequest, rule_id: int) -> TrackingRule:
    return get_object_or_404(TrackingRule, workspace=request.workspace, pk=rule_id)


@rules_router.get("/{rule_id}", response=RuleOut)
def get_rule(request: HttpRequest, rule_id: Id):
    """One rule."""
    require(request, "listening.view")
    return _rule_out(_rule(request, rule_id))


@rules_router.patch("/{rule_id}", response=RuleOut)
def update_rule(request: HttpRequest, rule_id: Id, payload: RuleIn):
    """Change a rule; it applies to posts stored from now on."""
    require(request, "listening.manage")
    rule = services.update_rule(
        workspace=request.workspace,
        actor=request.actor,
        rule=_rule(request, rule_id),
        changes=payload.dict(exclude_unset=True, exclude_none=True),
    )
    return _rule_out(rule)


@rules_router.delete("/{rule_id}", response={204: None})
def delete_rule(request: HttpRequest, rule_id: Id):
    """Delete a rule and its tags on posts."""
    require(request, "listening.manage")
    services.delete_rule(workspace=request.workspace, actor=request.actor, rule=_rule(request, rule_id))
    return Status(204, None)


class AlertOut(Schema):
    id: int
    dimension: str
    key: str
    label: str
    reason: str
    started_at: datetime
    last_seen_at: datetime
    count: int
    baseline: float
    negative_share: float
    probability: float
    delivered: bool


class AlertPage(Schema):
    items: list[AlertOut]
    next_cursor: str | None


@alerts_router.get("", response=AlertPage)
def list_alerts(request: HttpRequest, limit: Limit = 25, cursor: Cursor | None = None):
    """Spike alerts, newest episode first."""
    require(request, "listening.view")

    rows, next_cursor = keyset_page(
        SpikeAlert.objects.filter(workspace=request.workspace),
        fields=("id",),
        descending=True,
        limit=limit,
        cursor=cursor,
    )
    items = [
        {
            **alert_payload(a),
            "started_at": a.started_at,
            "last_seen_at": a.last_seen_at,
            "delivered": a.delivered_at is not None,
        }
        for a in rows
    ]
    return {"items": items, "next_cursor": next_cursor}

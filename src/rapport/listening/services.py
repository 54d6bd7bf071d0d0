"""Listening services: mention search and charts, tracking-rule changes (audited) and spike alerts."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.db.models.functions import TruncDay, TruncHour, TruncWeek
from django.utils import timezone

from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.core.models import Workspace
from rapport.core.pagination import keyset_page
from rapport.core.services import record_audit
from rapport.identity.models import normalise_handle
from rapport.listening.models import Post, PostRule, RuleKind, Sentiment, TrackingRule
from rapport.listening.query import QueryError, compile_query

RULE_FIELDS = ("name", "kind", "query", "languages", "networks", "active")


def filter_mentions(
    *,
    workspace: Workspace,
    rule: int | None = None,
    sentiment: str = "",
    language: str = "",
    network: str = "",
    author: str = "",
    contact: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Post]:
    """Public posts of the workspace narrowed by every given filter (empty filters are ignored).

    Private messages are never mentions, for any role (rapport.core.privacy): listening is what is said in public,
    and a DM counted here would put a customer's private words into every marketer's charts and searches.
    """
    qs = Post.objects.filter(workspace=workspace, private=False)
    if rule:
        qs = qs.filter(pk__in=PostRule.objects.filter(workspace=workspace, rule_id=rule).values("post_id"))
    if sentiment:
        qs = qs.filter(sentiment_label=sentiment)
    if language:
        qs = qs.filter(language=language.lower())
    if network:
        qs = qs.filter(network=network.lower())
    if author:
        qs = qs.filter(author__handle_key=normalise_handle(author))
    if contact:
        qs = qs.filter(person_id=contact)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    return qs


def mentions_page(
    qs: QuerySet[Post], *, limit: int, cursor: str | None, sort: str = "", workspace_id: int | None = None
) -> tuple[list[Post], str | None]:
    """One page of mentions with authors and rule names loaded: newest first, or by a registered order (then
    newest first among equals; each row carries `order_value`). An unknown sort is a FieldErrors on "sort"."""
    from rapport.listening.ordering import NEWEST, mention_order, sort_names

    qs = qs.select_related("author").prefetch_related(
        Prefetch("rule_matches", queryset=PostRule.objects.select_related("rule").only("post_id", "rule__name"))
    )
    if not sort or sort == NEWEST:
        return keyset_page(qs, fields=("created_at", "id"), descending=True, limit=limit, cursor=cursor)
    order = mention_order(sort)
    if order is None:
        raise FieldErrors({"sort": f"unknown order {sort[:40]!r}; one of: {', '.join(sort_names())}"})
    if workspace_id is None:
        raise ValueError("a registered order needs the workspace")
    qs = qs.annotate(order_value=order.value(workspace_id))
    return keyset_page(qs, fields=("order_value", "created_at", "id"), descending=True, limit=limit, cursor=cursor)


def mention_out(post: Post) -> dict[str, Any]:
    """The API shape of a mention (expects author and rule matches loaded)."""
    a = post.author
    return {
        "id": post.pk,
        "network": post.network,
        "external_id": post.external_id,
        "text": post.text,
        "created_at": post.created_at,
        "url": post.url or None,
        "kind": post.kind,
        "in_reply_to": post.in_reply_to or None,
        "language": post.language or None,
        "sentiment": {"label": post.sentiment_label or None, "score": post.sentiment_score},
        "rules": sorted(m.rule.name for m in post.rule_matches.all()),
        "author": {
            "handle": a.handle if a else None,
            "name": (a.display_name or None) if a else None,
            "followers": a.followers if a else None,
            "contact_id": post.person_id,
        },
        "near_duplicate_of": post.near_duplicate_of_id,
    }


def volume_series(qs: QuerySet[Post], *, bucket: str = "day") -> list[dict[str, Any]]:
    """Posts per hour, day or week split by sentiment: [{"at", "total", "negative", "neutral", "positive"}]
    (buckets with posts only; `listening.charts.fill` adds the empty ones of a period)."""
    trunc = {"hour": TruncHour, "week": TruncWeek}.get(bucket, TruncDay)
    rows = (
        qs.order_by()
        .annotate(at=trunc("created_at"))
        .values("at", "sentiment_label")
        .annotate(n=Count("id"))
        .order_by("at")
    )
    series: dict[datetime, dict[str, Any]] = {}
    for row in rows:
        point = series.setdefault(row["at"], {"at": row["at"], "total": 0, **{s: 0 for s in Sentiment.values}})
        point["total"] += row["n"]
        if row["sentiment_label"] in Sentiment.values:
            point[row["sentiment_label"]] += row["n"]
    return list(series.values())


def share_of_voice(*, workspace: Workspace, since: datetime | None = None) -> list[dict[str, Any]]:
    """Mentions per brand and competitor rule, with their share of the total."""
    qs = PostRule.objects.filter(
        workspace=workspace, rule__kind__in=[RuleKind.BRAND, RuleKind.COMPETITOR], post__private=False
    )
    if since:
        qs = qs.filter(created_at__gte=since)
    counts = list(qs.values("rule_id", "rule__name", "rule__kind").annotate(n=Count("id")).order_by("-n"))
    total = sum(c["n"] for c in counts) or 1
    return [
        {
            "rule_id": c["rule_id"],
            "name": c["rule__name"],
            "kind": c["rule__kind"],
            "mentions": c["n"],
            "share": round(c["n"] / total, 4),
        }
        for c in counts
    ]


def _clean_rule(data: dict[str, Any], *, workspace: Workspace, rule: TrackingRule | None = None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if "name" in data:
        data["name"] = (data["name"] or "").strip()
        if not data["name"]:
            errors["name"] = "must not be empty"
        elif (
            TrackingRule.objects.filter(workspace=workspace, name=data["name"])
            .exclude(pk=rule.pk if rule else None)
            .exists()
        ):
            errors["name"] = "a rule with this name exists"
    if "query" in data:
        try:
            compile_query(data["query"] or "")
        except QueryError as exc:
            errors["query"] = str(exc)
    for key in ("languages", "networks"):
        if key in data:
            data[key] = sorted({(v or "").strip().lower() for v in data[key] or [] if (v or "").strip()})
    if errors:
        raise FieldErrors(errors)
    return data


def _rule_dict(rule: TrackingRule) -> dict[str, Any]:
    return {f: getattr(rule, f) for f in RULE_FIELDS}


@transaction.atomic
def create_rule(*, workspace: Workspace, actor: Actor, data: dict[str, Any]) -> TrackingRule:
    """Create a tracking rule after checking its query parses."""
    missing = {f: "required" for f in ("name", "query") if not data.get(f)}
    if missing:
        raise FieldErrors(missing)
    data = _clean_rule(dict(data), workspace=workspace)
    rule = TrackingRule.objects.create(workspace=workspace, **{k: v for k, v in data.items() if k in RULE_FIELDS})
    record_audit(
        workspace=workspace,
        actor=actor,
        action="rule.created",
        object_type="rule",
        object_id=rule.pk,
        after=_rule_dict(rule),
    )
    retag_rule(rule=rule)
    return rule


@transaction.atomic
def update_rule(*, workspace: Workspace, actor: Actor, rule: TrackingRule, changes: dict[str, Any]) -> TrackingRule:
    """Change a rule; the recent stored posts are tagged again with the new query and filters."""
    changes = _clean_rule(dict(changes), workspace=workspace, rule=rule)
    before = _rule_dict(rule)
    for key, value in changes.items():
        if key in RULE_FIELDS:
            setattr(rule, key, value)
    rule.save()
    record_audit(
        workspace=workspace,
        actor=actor,
        action="rule.updated",
        object_type="rule",
        object_id=rule.pk,
        before=before,
        after=_rule_dict(rule),
    )
    retag_rule(rule=rule)
    return rule


def retag_rule(*, rule: TrackingRule, days: int | None = None) -> tuple[int, int]:
    """Apply a new or changed rule to the posts of the last `days` (RAPPORT_RETAG_DAYS); returns (added, removed)."""
    from rapport.listening.query import view_of
    from rapport.listening.rules import CompiledRule, compile_query

    days = settings.RAPPORT_RETAG_DAYS if days is None else days
    since = timezone.now() - timedelta(days=days)
    compiled = (
        CompiledRule(
            rule.pk,
            rule.name,
            compile_query(rule.query),
            frozenset(rule.languages or ()),
            frozenset(rule.networks or ()),
            rule.query,
        )
        if rule.active
        else None
    )
    posts = Post.objects.filter(workspace_id=rule.workspace_id, created_at__gte=since).order_by("id")
    matched: dict[int, datetime] = {}
    last = 0
    while True:
        chunk = list(posts.filter(id__gt=last).values_list("id", "text", "language", "network", "created_at")[:5000])
        if not chunk:
            break
        last = chunk[-1][0]
        if compiled is not None:
            for pk, text, language, network, created in chunk:
                if compiled.matches(view_of(text, language=language or "", network=network)):
                    matched[pk] = created
    scope = PostRule.objects.filter(rule=rule, created_at__gte=since)
    have = dict(scope.values_list("post_id", "id"))
    stale = [row_id for post_id, row_id in have.items() if post_id not in matched]
    removed = 0
    for start in range(0, len(stale), 2000):
        removed += PostRule.objects.filter(pk__in=stale[start : start + 2000]).delete()[0]
    added = PostRule.objects.bulk_create(
        [
            PostRule(workspace_id=rule.workspace_id, post_id=pk, rule=rule, created_at=created)
            for pk, created in matched.items()
            if pk not in have
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    return len(added), removed


@transaction.atomic
def delete_rule(*, workspace: Workspace, actor: Actor, rule: TrackingRule) -> None:
    """Delete a rule and its tags on posts."""
    record_audit(
        workspace=workspace,
        actor=actor,
        action="rule.deleted",
        object_type="rule",
        object_id=rule.pk,
        before=_rule_dict(rule),
    )
    rule.delete()


def rule_counts(workspace: Workspace) -> dict[int, int]:
    """Matched public posts per rule (what the rule's mentions list shows)."""
    return dict(
        PostRule.objects.filter(workspace=workspace, post__private=False)
        .values("rule_id")
        .annotate(n=Count("id"))
        .values_list("rule_id", "n")
    )


def sentiment_totals(qs: QuerySet[Post]) -> dict[str, int]:
    """Posts per sentiment label."""
    out: dict[str, int] = defaultdict(int)
    for label, n in qs.order_by().values_list("sentiment_label").annotate(n=Count("id")):
        out[label or "unknown"] += n
    return dict(out)

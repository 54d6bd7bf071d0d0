"""Listening web pages: mentions (htmx filters, volume and sentiment chart) and spike alerts."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.db.models import Min
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from rapport.core import csvsafe
from rapport.core.ids import parse_id
from rapport.core.networks import LISTENED_NETWORKS
from rapport.core.pagination import BadCursor
from rapport.core.periods import day_range
from rapport.core.services import has_permission
from rapport.listening import services
from rapport.listening.charts import bucket_for, fill, volume_chart
from rapport.listening.models import Sentiment, SpikeAlert, TrackingRule
from rapport.listening.nlp import SUPPORTED_LANGUAGES
from rapport.listening.ordering import NEWEST, mention_order, mention_orders
from rapport.web.views import workspace_required

PAGE = 25
PERIODS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30), "all": None}


def _filters(request: HttpRequest) -> dict:
    g = request.GET
    rule = g.get("rule", "")
    days = day_range(g)
    return {
        "rule": parse_id(rule),
        "sentiment": g.get("sentiment", "") if g.get("sentiment", "") in Sentiment.values else "",
        "language": g.get("language", "")[:8],
        "network": g.get("network", "")[:16],
        "author": g.get("author", "")[:200],
        "period": g.get("period", "all") if g.get("period") in PERIODS else "all",
        "from": days.start,
        "to": days.end,
        "days": days,
        "bad_dates": list(days.bad),
        "sort": g.get("sort", "") if mention_order(g.get("sort", "")[:32]) else NEWEST,
        "bad_sort": bool(g.get("sort")) and g.get("sort") != NEWEST and mention_order(g.get("sort", "")[:32]) is None,
    }


def _window(f: dict) -> tuple[datetime | None, datetime | None]:
    """(since, until) of the filters: a date range picked wins over the period presets; until None is now."""
    if f["days"].given:
        return f["days"].window()
    delta = PERIODS[f["period"]]
    return (timezone.now() - delta if delta else None), None


def _filtered(request: HttpRequest, f: dict):
    since, until = _window(f)
    return services.filter_mentions(
        workspace=request.workspace,
        rule=f["rule"],
        sentiment=f["sentiment"],
        language=f["language"],
        network=f["network"],
        author=f["author"],
        since=since,
        until=until,
    )


def _chart(qs, f: dict) -> dict:
    """The volume chart of the period asked for, every bucket drawn (empty ones too) on a linear time axis."""
    since, until = _window(f)
    end = min(until - timedelta(seconds=1), timezone.now()) if until else timezone.now()
    start = since or qs.aggregate(first=Min("created_at"))["first"] or end
    start, end = timezone.localtime(start), timezone.localtime(max(end, start))
    bucket = bucket_for(end - start)
    series = fill(services.volume_series(qs, bucket=bucket), start=start, end=end, bucket=bucket)
    return volume_chart(series, bucket=bucket)


@workspace_required("listening.view")
def mentions(request: HttpRequest) -> HttpResponse:
    """Mentions list with filters; htmx requests get the results block (chart and rows) only."""
    f = _filters(request)
    if f["bad_dates"] and not request.headers.get("HX-Request"):
        messages.warning(request, f"{' and '.join(f['bad_dates'])}: not a date (use YYYY-MM-DD); left out.")
    if f["bad_sort"] and not request.headers.get("HX-Request"):
        messages.warning(request, "sort: not an order this workspace offers; showing the newest first.")
    since, _ = _window(f)
    qs = _filtered(request, f)
    try:
        rows, next_cursor = services.mentions_page(
            qs, limit=PAGE, cursor=request.GET.get("cursor") or None, sort=f["sort"], workspace_id=request.workspace.pk
        )
    except BadCursor:
        if request.headers.get("HX-Request"):  # "more rows" with a cursor we never issued: nothing to append
            return HttpResponse("That page link is not valid.", status=400, content_type="text/plain")
        messages.warning(request, "That page link is not valid (it may be old or edited); showing the first page.")
        rows, next_cursor = services.mentions_page(
            qs, limit=PAGE, cursor=None, sort=f["sort"], workspace_id=request.workspace.pk
        )
    query = request.GET.copy()
    query.pop("cursor", None)
    ctx = {
        "rows": rows,
        "next_cursor": next_cursor,
        "f": f,
        "query": query.urlencode(),
        "can_export": has_permission(role=request.role, permission="listening.export"),
        "order": mention_order(f["sort"]),
    }
    if request.GET.get("cursor") and request.headers.get("HX-Request"):
        return render(request, "listening/_rows.html", ctx)
    ctx.update(
        chart=_chart(qs, f),
        totals=services.sentiment_totals(qs),
        voice=services.share_of_voice(workspace=request.workspace, since=since),
        alerts=SpikeAlert.objects.filter(workspace=request.workspace)[:5],
    )
    if request.headers.get("HX-Request"):
        return render(request, "listening/_results.html", ctx)
    ctx.update(
        nav="mentions",
        rules=TrackingRule.objects.filter(workspace=request.workspace),
        languages=SUPPORTED_LANGUAGES,
        networks=LISTENED_NETWORKS,
        periods=list(PERIODS),
        sentiments=Sentiment.values,
        orders=mention_orders(),
        is_admin=has_permission(role=request.role, permission="channels.manage"),
    )
    return render(request, "listening/mentions.html", ctx)


EXPORT_COLUMNS = ["created_at", "network", "author", "author_name", "text", "sentiment", "language", "url", "rules"]


@workspace_required("listening.export")
def mentions_export(request: HttpRequest) -> StreamingHttpResponse:
    """The mentions the filters select, newest first, as CSV (formula cells neutralised), streamed."""
    qs = _filtered(request, _filters(request)).select_related("author").prefetch_related("rule_matches__rule")

    def rows():
        for post in qs.order_by("-created_at", "-id").iterator(chunk_size=2000):
            yield {
                "created_at": post.created_at.isoformat(),
                "network": post.network,
                "author": post.author.handle if post.author_id else "",
                "author_name": post.author.display_name if post.author_id else "",
                "text": post.text,
                "sentiment": post.sentiment_label,
                "language": post.language,
                "url": post.url,
                "rules": "; ".join(m.rule.name for m in post.rule_matches.all()),
            }

    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    name = f"mentions-{request.workspace.slug}-{stamp}.csv"
    return csvsafe.download(csvsafe.dict_lines(EXPORT_COLUMNS, rows()), name)


@workspace_required("listening.view")
def alerts(request: HttpRequest) -> HttpResponse:
    """Spike alerts, newest first."""
    rows = SpikeAlert.objects.filter(workspace=request.workspace)[:200]
    return render(request, "listening/alerts.html", {"rows": rows, "nav": "mentions"})

"""Listening web pages: mentions (htmx filters, volume and sentiment chart) and spike alerts."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from rapport.core.ids import parse_id
from rapport.core.networks import LISTENED_NETWORKS
from rapport.core.pagination import BadCursor
from rapport.core.services import has_permission
from rapport.listening import services
from rapport.listening.charts import volume_chart
from rapport.listening.models import Sentiment, SpikeAlert, TrackingRule
from rapport.listening.nlp import SUPPORTED_LANGUAGES
from rapport.web.views import workspace_required

PAGE = 25
PERIODS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30), "all": None}


def _filters(request: HttpRequest) -> dict:
    g = request.GET
    rule = g.get("rule", "")
    return {
        "rule": parse_id(rule),
        "sentiment": g.get("sentiment", "") if g.get("sentiment", "") in Sentiment.values else "",
        "language": g.get("language", "")[:8],
        "network": g.get("network", "")[:16],
        "author": g.get("author", "")[:200],
        "period": g.get("period", "all") if g.get("period") in PERIODS else "all",
    }


@workspace_required("listening.view")
def mentions(request: HttpRequest) -> HttpResponse:
    """Mentions list with filters; htmx requests get the results block (chart and rows) only."""
    f = _filters(request)
    delta = PERIODS[f["period"]]
    qs = services.filter_mentions(
        workspace=request.workspace,
        rule=f["rule"],
        sentiment=f["sentiment"],
        language=f["language"],
        network=f["network"],
        author=f["author"],
        since=timezone.now() - delta if delta else None,
    )
    try:
        rows, next_cursor = services.mentions_page(qs, limit=PAGE, cursor=request.GET.get("cursor") or None)
    except BadCursor:
        if request.headers.get("HX-Request"):  # "more rows" with a cursor we never issued: nothing to append
            return HttpResponse("That page link is not valid.", status=400, content_type="text/plain")
        messages.warning(request, "That page link is not valid (it may be old or edited); showing the first page.")
        rows, next_cursor = services.mentions_page(qs, limit=PAGE, cursor=None)
    query = request.GET.copy()
    query.pop("cursor", None)
    ctx = {"rows": rows, "next_cursor": next_cursor, "f": f, "query": query.urlencode()}
    if request.GET.get("cursor") and request.headers.get("HX-Request"):
        return render(request, "listening/_rows.html", ctx)
    bucket = "hour" if delta and delta <= timedelta(days=2) else "day"
    series = services.volume_series(qs, bucket=bucket)[-120:]
    ctx.update(
        chart=volume_chart(series, bucket=bucket),
        totals=services.sentiment_totals(qs),
        voice=services.share_of_voice(workspace=request.workspace, since=timezone.now() - delta if delta else None),
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
        is_admin=has_permission(role=request.role, permission="channels.manage"),
    )
    return render(request, "listening/mentions.html", ctx)


@workspace_required("listening.view")
def alerts(request: HttpRequest) -> HttpResponse:
    """Spike alerts, newest first."""
    rows = SpikeAlert.objects.filter(workspace=request.workspace)[:200]
    return render(request, "listening/alerts.html", {"rows": rows, "nav": "mentions"})

"""Segment pages: the list, the builder with a live preview count, a segment with its members, size chart and CSV
export, and lifecycle stages against the customer journey."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from rapport.core import csvsafe
from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.core.pagination import BadCursor, keyset_page
from rapport.core.services import has_permission
from rapport.segments import exporter, lifecycle, services
from rapport.segments.fields import DEFAULT_DAYS, fields_for, get_field
from rapport.segments.models import Segment
from rapport.web.views import workspace_required

PAGE = 50
OP_WORDS = {
    "eq": "is",
    "ne": "is not",
    "lt": "<",
    "lte": "≤",
    "gt": ">",
    "gte": "≥",
    "in": "is one of",
    "contains": "contains",
    "exists": "is known",
    "within_days": "within the last",
}


def describe(node: Any, workspace_id: int) -> str:
    """A definition in words: "Orders ≥ 1 and (Tags contains vip or not Country is SE)"."""
    if not isinstance(node, dict):
        return "?"
    for key, joiner in (("all", " and "), ("any", " or ")):
        if key in node and isinstance(node[key], list):
            parts = [describe(n, workspace_id) for n in node[key]]
            return joiner.join(f"({p})" if (" and " in p or " or " in p) else p for p in parts)
    if "not" in node:
        inner = describe(node["not"], workspace_id)
        return f"not ({inner})" if (" and " in inner or " or " in inner) else f"not {inner}"
    f = get_field(node.get("field"), workspace_id) if isinstance(node.get("field"), str) else None
    label = f.label if f else str(node.get("field"))
    op, value = node.get("op"), node.get("value")
    if op == "exists":
        text = f"{label} {'is known' if value else 'is unknown'}"
    elif op == "within_days":
        text = f"{label} within the last {value} days"
    else:
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        text = f"{label} {OP_WORDS.get(op, op)} {shown}"
    if f is not None and f.days:
        text += f" (last {node.get('days', DEFAULT_DAYS)} days)"
    if f is not None and f.category and node.get("category"):
        text += f" in category {node['category']}"
    if f is not None and f.period:
        if node.get("days"):
            text += f" (last {node['days']} days)"
        elif node.get("from") or node.get("to"):
            span = " ".join(
                p
                for p in (
                    f"from {node['from']}" if node.get("from") else "",
                    f"to {node['to']}" if node.get("to") else "",
                )
                if p
            )
            text += f" ({span})"
    return text


def size_chart(snapshots, *, width: int = 900, height: int = 160) -> dict[str, Any]:
    """Bars of the segment's size per day."""
    top = max((s.size for s in snapshots), default=0)
    n = max(len(snapshots), 1)
    slot = width / n
    bars = []
    for i, s in enumerate(snapshots):
        h = round(height * s.size / top, 2) if top else 0
        w = min(max(slot * 0.8, 1), 36)
        bars.append(
            {
                "x": round(i * slot + (slot - w) / 2, 2),
                "y": round(height - h, 2),
                "w": round(w, 2),
                "h": h,
                "title": f"{s.day:%Y-%m-%d}: {s.size} people",
            }
        )
    step = max(1, n // 6)
    labels = [(round(i * slot + slot / 2, 2), f"{snapshots[i].day:%Y-%m-%d}") for i in range(0, len(snapshots), step)]
    return {"width": width, "height": height, "bars": bars, "top": top, "labels": labels}


def _can_manage(request: HttpRequest) -> bool:
    return has_permission(role=request.role, permission="segments.manage")


@workspace_required("contacts.view")
def segment_list(request: HttpRequest) -> HttpResponse:
    segments = list(Segment.objects.filter(workspace=request.workspace).order_by("name", "id")[:500])
    for s in segments:
        s.count = services.member_count(s)
        s.words = describe(s.definition, request.workspace.pk)
    return render(
        request, "segments/list.html", {"nav": "segments", "segments": segments, "can_manage": _can_manage(request)}
    )


def _fields_json(workspace_id: int) -> list[dict[str, Any]]:
    return [f.describe() for f in fields_for(workspace_id)]


def _parse_definition(raw: str) -> tuple[Any, dict[str, str]]:
    try:
        return json.loads(raw or ""), {}
    except ValueError as exc:
        return None, {"definition": f"is not valid JSON: {exc}"}
    except RecursionError:  # the API's parser refuses this too; a definition nests at most a few levels
        return None, {"definition": "is nested too deeply to read"}


def _builder(request: HttpRequest, segment: Segment | None) -> HttpResponse:
    if not _can_manage(request):
        raise PermissionDenied("your role may not segments.manage")
    default = {"all": [{"field": "purchases.count", "op": "gte", "value": 1}]}
    data = {
        "name": segment.name if segment else "",
        "description": segment.description if segment else "",
        "definition": json.dumps(segment.definition if segment else default, indent=2, ensure_ascii=False),
    }
    errors: dict[str, str] = {}
    preview = None
    status = 200
    if request.method == "POST":
        data = {k: request.POST.get(k, "") for k in ("name", "description", "definition")}
        definition, errors = _parse_definition(data["definition"])
        if not errors and request.POST.get("action") == "preview":
            try:
                preview = services.preview(workspace=request.workspace, definition=definition)
            except FieldErrors as exc:
                errors = exc.errors
        elif not errors:
            actor = Actor.for_user(request.user)
            payload = {"name": data["name"], "description": data["description"], "definition": definition}
            try:
                if segment is None:
                    segment = services.create_segment(workspace=request.workspace, actor=actor, data=payload)
                    messages.success(request, f"Segment “{segment.name}” saved.")
                else:
                    services.update_segment(workspace=request.workspace, actor=actor, segment=segment, changes=payload)
                    messages.success(request, f"Segment “{segment.name}” updated.")
                return redirect("segments:detail", pk=segment.pk)
            except FieldErrors as exc:
                errors = exc.errors
        if errors:
            status = 422
    ctx = {
        "nav": "segments",
        "segment": segment,
        "data": data,
        "errors": errors,
        "preview": preview,
        "fields": _fields_json(request.workspace.pk),
    }
    return render(request, "segments/builder.html", ctx, status=status)


@workspace_required("contacts.view")
def segment_create(request: HttpRequest) -> HttpResponse:
    return _builder(request, None)


@workspace_required("contacts.view")
def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _builder(request, get_object_or_404(Segment, workspace=request.workspace, pk=pk))


@workspace_required("contacts.view")
@require_POST
def segment_preview(request: HttpRequest) -> HttpResponse:
    """The builder's live count: a fragment with the count and a few people, or the errors naming the node."""
    definition, errors = _parse_definition(request.POST.get("definition", ""))
    preview = None
    if not errors:
        try:
            preview = services.preview(workspace=request.workspace, definition=definition)
        except FieldErrors as exc:
            errors = exc.errors
    return render(
        request, "segments/_preview.html", {"preview": preview, "errors": errors}, status=422 if errors else 200
    )


@workspace_required("contacts.view")
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_object_or_404(Segment, workspace=request.workspace, pk=pk)
    try:
        rows, next_cursor = keyset_page(
            services.members(segment),
            fields=["sort_name", "id"],
            descending=False,
            limit=PAGE,
            cursor=request.GET.get("cursor") or None,
        )
    except BadCursor:
        messages.warning(request, "That page link is not valid; showing the first page.")
        rows, next_cursor = keyset_page(
            services.members(segment), fields=["sort_name", "id"], descending=False, limit=PAGE, cursor=None
        )
    ctx = {
        "nav": "segments",
        "segment": segment,
        "words": describe(segment.definition, request.workspace.pk),
        "count": services.member_count(segment),
        "rows": rows,
        "next_cursor": next_cursor,
        "chart": size_chart(services.history(segment)),
        "can_manage": _can_manage(request),
        "can_export": has_permission(role=request.role, permission="contacts.export"),
    }
    return render(request, "segments/detail.html", ctx)


@workspace_required("segments.manage")
@require_POST
def segment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_object_or_404(Segment, workspace=request.workspace, pk=pk)
    services.delete_segment(workspace=request.workspace, actor=Actor.for_user(request.user), segment=segment)
    messages.success(request, f"Segment “{segment.name}” deleted; its people stay.")
    return redirect("segments:list")


@workspace_required("contacts.export")
def segment_export(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    segment = get_object_or_404(Segment, workspace=request.workspace, pk=pk)
    return csvsafe.download(exporter.csv_lines(segment), f"segment-{segment.pk}.csv")


@workspace_required("contacts.view")
def lifecycle_view(request: HttpRequest) -> HttpResponse:
    ctx = {
        "nav": "segments",
        "funnel": lifecycle.funnel(workspace_id=request.workspace.pk),
        "moves": lifecycle.recent_moves(workspace_id=request.workspace.pk),
        "rules": [
            (
                "churn_risk",
                "lapsed",
                "engage",
                f"a customer whose probability of being active fell below {lifecycle.CHURN_RISK:.0%}",
            ),
            ("repeat_purchase", "advocate", "engage", "two or more orders"),
            ("first_purchase", "customer", "buy", "one order"),
            ("question", "prospect", "explore", "a post or inbound message asking a question"),
            ("first_mention", "lead", "discover", "heard on a network"),
        ],
    }
    return render(request, "segments/lifecycle.html", ctx)

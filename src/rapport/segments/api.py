"""Segments API: save, count, preview and page live segments; the fields a definition may use; CSV export."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from rapport.contacts.models import Person
from rapport.core import csvsafe
from rapport.core.apiauth import require
from rapport.core.apitypes import Cursor, Id, Limit, Text
from rapport.core.pagination import keyset_page
from rapport.segments import exporter, lifecycle, services
from rapport.segments.fields import fields_for
from rapport.segments.models import Segment
from rapport.segments.schemas import (
    DefinitionIn,
    FieldList,
    HistoryOut,
    LifecycleOut,
    MemberPage,
    PreviewOut,
    SegmentIn,
    SegmentOut,
    SegmentPage,
)

router = Router(tags=["segments"])


def member_out(p: Person) -> dict:
    return {
        "id": p.pk,
        "name": p.name,
        "email": p.email,
        "country": p.country,
        "lifecycle_stage": p.lifecycle_stage,
        "tags": list(p.tags or []),
    }


def segment_out(s: Segment, count: int | None = None) -> dict:
    return {
        "id": s.pk,
        "name": s.name,
        "description": s.description,
        "definition": s.definition,
        "count": services.member_count(s) if count is None else count,
        "created_by": s.created_by,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
        "evaluated_at": s.evaluated_at,
    }


def _segment(request: HttpRequest, segment_id: int) -> Segment:
    return get_object_or_404(Segment.objects.filter(workspace=request.workspace), pk=segment_id)


class ListFilters(Schema):
    search: Text(120) = ""
    limit: Limit = 25
    cursor: Cursor | None = None


@router.get("", response=SegmentPage)
def list_segments(request: HttpRequest, filters: Query[ListFilters]):
    """Saved segments by name, with their current size."""
    require(request, "contacts.view")
    qs = Segment.objects.filter(workspace=request.workspace)
    if filters.search:
        qs = qs.filter(name__icontains=filters.search)
    rows, next_cursor = keyset_page(
        qs, fields=["name", "id"], descending=False, limit=filters.limit, cursor=filters.cursor
    )
    return {"items": [segment_out(s) for s in rows], "next_cursor": next_cursor}


@router.post("", response={201: SegmentOut})
def create_segment(request: HttpRequest, payload: SegmentIn):
    """Save a segment; its members are computed at once and kept current from then on."""
    require(request, "segments.manage")
    segment = services.create_segment(
        workspace=request.workspace, actor=request.actor, data=payload.dict(exclude_none=True)
    )
    return Status(201, segment_out(segment))


@router.get("/fields", response=FieldList)
def list_fields(request: HttpRequest):
    """Every field a definition may test, with its type, the ops it takes, its choices and parameters."""
    require(request, "contacts.view")
    return {"items": [f.describe() for f in fields_for(request.workspace.pk)]}


@router.post("/preview", response=PreviewOut)
def preview(request: HttpRequest, payload: DefinitionIn):
    """Count and a sample of the people a definition selects, while it is being built (nothing is saved)."""
    require(request, "contacts.view")
    result = services.preview(workspace=request.workspace, definition=payload.definition)
    return {"count": result["count"], "sample": [member_out(p) for p in result["sample"]]}


@router.get("/lifecycle", response=LifecycleOut)
def lifecycle_funnel(request: HttpRequest):
    """People per lifecycle stage, grouped by journey phase (discover, explore, buy, engage), in journey order."""
    require(request, "contacts.view")
    return {"items": lifecycle.funnel(workspace_id=request.workspace.pk)}


@router.get("/{segment_id}", response=SegmentOut)
def get_segment(request: HttpRequest, segment_id: Id):
    """One segment with its current member count."""
    require(request, "contacts.view")
    return segment_out(_segment(request, segment_id))


@router.patch("/{segment_id}", response=SegmentOut)
def update_segment(request: HttpRequest, segment_id: Id, payload: SegmentIn):
    """Rename or redefine a segment; a new definition is applied at once, announcing who entered and left."""
    require(request, "segments.manage")
    segment = services.update_segment(
        workspace=request.workspace,
        actor=request.actor,
        segment=_segment(request, segment_id),
        changes=payload.dict(exclude_unset=True),
    )
    return segment_out(segment)


@router.delete("/{segment_id}", response={204: None})
def delete_segment(request: HttpRequest, segment_id: Id):
    """Delete a segment (its people stay)."""
    require(request, "segments.manage")
    services.delete_segment(workspace=request.workspace, actor=request.actor, segment=_segment(request, segment_id))
    return Status(204, None)


class PageFilters(Schema):
    limit: Limit = 25
    cursor: Cursor | None = None


@router.get("/{segment_id}/members", response=MemberPage)
def segment_members(request: HttpRequest, segment_id: Id, filters: Query[PageFilters]):
    """The segment's members by name, keyset-paged."""
    require(request, "contacts.view")
    segment = _segment(request, segment_id)
    rows, next_cursor = keyset_page(
        services.members(segment),
        fields=["sort_name", "id"],
        descending=False,
        limit=filters.limit,
        cursor=filters.cursor,
    )
    return {"items": [member_out(p) for p in rows], "next_cursor": next_cursor}


@router.get("/{segment_id}/history", response=HistoryOut)
def segment_history(request: HttpRequest, segment_id: Id):
    """The segment's size per day (the last count of each day), oldest first."""
    require(request, "contacts.view")
    return {"items": [{"day": s.day, "size": s.size} for s in services.history(_segment(request, segment_id))]}


@router.get("/{segment_id}/export", response={200: None})
def export_segment(request: HttpRequest, segment_id: Id):
    """The segment's members as CSV (text/csv), streamed."""
    require(request, "contacts.export")
    segment = _segment(request, segment_id)
    return csvsafe.download(exporter.csv_lines(segment), f"segment-{segment.pk}.csv")

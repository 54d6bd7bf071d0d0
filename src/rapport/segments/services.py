"""Segments' door: save and change segments, count and preview definitions, keep stored memberships current.

Membership is stored (`SegmentMember`) and kept current two ways:
- incrementally: when data about some people changes (their value, their fields, a merge, their posts), each
  segment whose definition reads that kind of data is evaluated for those people only, one query per segment,
  and the difference is written and announced as `segment.entered` / `segment.left`;
- by reconcile: a scheduled job compares each segment's definition with its stored members in SQL (two
  anti-joins), which catches what time alone changes ("last purchase within 90 days") and data that announces
  nothing. Each run records the day's size (`SegmentSnapshot`), the series the size chart shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from rapport.contacts.models import Person
from rapport.contacts.services import people
from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.core.events import emit
from rapport.core.models import Workspace
from rapport.core.services import record_audit
from rapport.segments.fields import Compiled, compile_definition, storable
from rapport.segments.models import Segment, SegmentMember, SegmentSnapshot

EVENT_CHUNK = 1000  # person ids per segment.entered / segment.left event
SAMPLE = 10

# Which kinds of data each event says changed, for which people.
FAMILIES_OF_EVENT = {
    "commerce.value_changed": {"value"},
    "contact.created": {"person", "value", "posts", "consent"},
    "contact.updated": {"person"},
    "contact.merged": {"person", "value", "posts", "consent"},
    "contact.unmerged": {"person", "value", "posts", "consent"},
    "listening.posts_stored": {"posts"},
    "identity.posts_linked": {"posts"},
}


def compile_segment(segment: Segment, *, now: datetime | None = None) -> Compiled:
    return compile_definition(segment.definition, workspace_id=segment.workspace_id, now=now)


def matching(*, workspace: Workspace | int, definition: Any, now: datetime | None = None) -> QuerySet[Person]:
    """The live people a definition selects, as one queryset (validated first: FieldErrors)."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    compiled = compile_definition(definition, workspace_id=workspace_id, now=now)
    return compiled.apply(Person.objects.filter(workspace_id=workspace_id, merged_into__isnull=True))


def preview(*, workspace: Workspace, definition: Any, sample: int = SAMPLE) -> dict[str, Any]:
    """Count and a few people of a definition being built (nothing stored)."""
    qs = matching(workspace=workspace, definition=definition)
    rows = list(qs.order_by("sort_name", "id")[:sample])
    return {"count": qs.count(), "sample": rows}


def _clean(workspace: Workspace, data: dict, segment: Segment | None = None) -> dict:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    if "name" in data or segment is None:
        name = (data.get("name") or "").strip() if isinstance(data.get("name"), str | type(None)) else None
        if not name:
            errors["name"] = "a segment needs a name"
        elif len(name) > 120 or not storable(name):
            errors["name"] = "is longer than 120 characters or has control characters"
        else:
            taken = Segment.objects.filter(workspace=workspace, name__iexact=name)
            if segment is not None:
                taken = taken.exclude(pk=segment.pk)
            if taken.exists():
                errors["name"] = f"a segment named {name!r} already exists"
            out["name"] = name
    if "description" in data:
        description = data.get("description") or ""
        if not isinstance(description, str) or len(description) > 2000 or not storable(description):
            errors["description"] = "is a text of at most 2000 characters"
        out["description"] = description
    if "definition" in data or segment is None:
        if data.get("definition") is None:
            errors["definition"] = "a segment needs a definition"
        else:
            try:
                compile_definition(data["definition"], workspace_id=workspace.pk)
                out["definition"] = data["definition"]
            except FieldErrors as exc:
                errors.update(exc.errors)
    if errors:
        raise FieldErrors(errors)
    return out


@transaction.atomic
def create_segment(*, workspace: Workspace, actor: Actor, data: dict) -> Segment:
    """Save a segment and fill its memberships at once (the first fill announces no entries: nobody moved)."""
    fields = _clean(workspace, data)
    segment = Segment.objects.create(workspace=workspace, created_by=actor.label[:200], **fields)
    rebuild(segment)
    record_audit(
        workspace=workspace,
        actor=actor,
        action="segment.created",
        object_type="segment",
        object_id=segment.pk,
        after={"name": segment.name, "definition": segment.definition},
    )
    return segment


@transaction.atomic
def update_segment(*, workspace: Workspace, actor: Actor, segment: Segment, changes: dict) -> Segment:
    """Rename or redefine a segment; a new definition is reconciled at once (announcing who entered and left)."""
    segment = Segment.objects.select_for_update().get(pk=segment.pk, workspace=workspace)
    fields = _clean(workspace, changes, segment)
    before = {k: getattr(segment, k) for k in fields}
    for key, value in fields.items():
        setattr(segment, key, value)
    segment.save()
    if "definition" in fields and before.get("definition") != segment.definition:
        reconcile(segment)
    changed = {k for k in fields if before[k] != fields[k]}
    if changed:
        record_audit(
            workspace=workspace,
            actor=actor,
            action="segment.updated",
            object_type="segment",
            object_id=segment.pk,
            before={k: before[k] for k in changed},
            after={k: fields[k] for k in changed},
        )
    return segment


@transaction.atomic
def delete_segment(*, workspace: Workspace, actor: Actor, segment: Segment) -> None:
    record_audit(
        workspace=workspace,
        actor=actor,
        action="segment.deleted",
        object_type="segment",
        object_id=segment.pk,
        before={"name": segment.name, "definition": segment.definition},
    )
    segment.delete()


def member_count(segment: Segment) -> int:
    return SegmentMember.objects.filter(segment=segment).count()


def members(segment: Segment) -> QuerySet[Person]:
    """The segment's stored members as people (live ones)."""
    return people(workspace=segment.workspace).filter(segment_memberships__segment=segment)


def _announce(segment: Segment, event: str, person_ids: list[int]) -> None:
    for i in range(0, len(person_ids), EVENT_CHUNK):
        emit(
            event,
            {
                "workspace_id": segment.workspace_id,
                "segment_id": segment.pk,
                "segment": segment.name,
                "person_ids": person_ids[i : i + EVENT_CHUNK],
            },
        )


def _matching_qs(segment: Segment, now: datetime | None = None) -> QuerySet[Person]:
    return compile_segment(segment, now=now).apply(
        Person.objects.filter(workspace_id=segment.workspace_id, merged_into__isnull=True)
    )


def _add(segment: Segment, person_ids: Iterable[int], now: datetime) -> None:
    SegmentMember.objects.bulk_create(
        [
            SegmentMember(workspace_id=segment.workspace_id, segment=segment, person_id=pk, entered_at=now)
            for pk in person_ids
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )


def rebuild(segment: Segment, *, now: datetime | None = None) -> int:
    """Fill an empty segment's memberships in one INSERT ... SELECT (no events); returns the size."""
    now = now or timezone.now()
    SegmentMember.objects.filter(segment=segment).delete()
    ids = _matching_qs(segment, now).order_by().annotate(seg_pid=F("pk")).values("seg_pid")
    sql, params = ids.query.sql_with_params()
    table = SegmentMember._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (workspace_id, segment_id, person_id, entered_at) "  # noqa: S608 - our own SQL
            f"SELECT %s, %s, q.seg_pid, %s FROM ({sql}) q",
            [segment.workspace_id, segment.pk, connection.ops.adapt_datetimefield_value(now), *params],
        )
    Segment.objects.filter(pk=segment.pk).update(evaluated_at=now)
    size = member_count(segment)
    snapshot(segment, size=size, day=timezone.localdate(now))
    return size


def reconcile(segment: Segment, *, now: datetime | None = None) -> dict[str, int]:
    """Bring stored memberships in line with the definition (two anti-joins in SQL), announce the moves, record
    today's size."""
    now = now or timezone.now()
    with transaction.atomic():
        live = _matching_qs(segment, now)
        stored = SegmentMember.objects.filter(segment=segment)
        entered = list(live.exclude(pk__in=stored.values("person_id")).values_list("pk", flat=True))
        left = list(stored.exclude(person_id__in=live.values("pk")).values_list("person_id", flat=True))
        if left:
            for i in range(0, len(left), 5000):
                SegmentMember.objects.filter(segment=segment, person_id__in=left[i : i + 5000]).delete()
        _add(segment, entered, now)
        _announce(segment, "segment.entered", entered)
        _announce(segment, "segment.left", left)
        Segment.objects.filter(pk=segment.pk).update(evaluated_at=now)
        size = member_count(segment)
        snapshot(segment, size=size, day=timezone.localdate(now))
    return {"entered": len(entered), "left": len(left), "size": size}


def refresh_people(
    *, workspace_id: int, person_ids: Iterable[int], families: set[str] | None = None, now: datetime | None = None
) -> dict[int, dict[str, list[int]]]:
    """Re-evaluate these people in every segment that reads the changed kinds of data (one query per segment);
    write the difference and announce it. Returns {segment id: {"entered": [...], "left": [...]}} for the moves."""
    ids = sorted({int(pk) for pk in person_ids})
    moves: dict[int, dict[str, list[int]]] = {}
    if not ids:
        return moves
    now = now or timezone.now()
    for segment in Segment.objects.filter(workspace_id=workspace_id).order_by("id"):
        try:
            compiled = compile_segment(segment, now=now)
        except FieldErrors:  # a rule it named was deleted: reconcile reports it; nobody moves meanwhile
            continue
        if families is not None and not (compiled.families & families) and "person" not in families:
            continue
        for i in range(0, len(ids), 5000):
            chunk = ids[i : i + 5000]
            base = Person.objects.filter(workspace_id=workspace_id, merged_into__isnull=True, pk__in=chunk)
            now_in = set(compiled.apply(base).values_list("pk", flat=True))
            was_in = set(
                SegmentMember.objects.filter(segment=segment, person_id__in=chunk).values_list("person_id", flat=True)
            )
            entered, left = sorted(now_in - was_in), sorted(was_in - now_in)
            if not entered and not left:
                continue
            if left:
                SegmentMember.objects.filter(segment=segment, person_id__in=left).delete()
            try:
                with transaction.atomic():
                    _add(segment, entered, now)
            except IntegrityError:  # a person deleted meanwhile: the rest still enter
                entered = [pk for pk in entered if Person.objects.filter(pk=pk).exists()]
                _add(segment, entered, now)
            _announce(segment, "segment.entered", entered)
            _announce(segment, "segment.left", left)
            slot = moves.setdefault(segment.pk, {"entered": [], "left": []})
            slot["entered"] += entered
            slot["left"] += left
    return moves


def snapshot(segment: Segment, *, size: int, day=None) -> None:
    """Record the segment's size for the day (the latest count of the day wins)."""
    day = day or timezone.localdate()
    SegmentSnapshot.objects.update_or_create(
        segment=segment, day=day, defaults={"workspace_id": segment.workspace_id, "size": size}
    )


def reconcile_all(*, now: datetime | None = None) -> dict[str, int]:
    """The scheduled pass: reconcile every segment of every workspace."""
    totals = {"segments": 0, "entered": 0, "left": 0, "invalid": 0}
    for segment in Segment.objects.order_by("id"):
        try:
            result = reconcile(segment, now=now)
        except FieldErrors:
            totals["invalid"] += 1
            continue
        totals["segments"] += 1
        totals["entered"] += result["entered"]
        totals["left"] += result["left"]
    return totals


def history(segment: Segment, *, days: int = 180) -> list[SegmentSnapshot]:
    rows = list(SegmentSnapshot.objects.filter(segment=segment).order_by("-day")[:days])
    return rows[::-1]


def tag_audience(*, workspace: Workspace, actor: Actor, name: str, tag: str) -> dict[str, Any]:
    """The segment of the people tagged `tag` ("add to a list" elsewhere), made when missing; a segment of that
    name with another definition is a FieldErrors on "list"."""
    from django.urls import reverse

    definition = {"field": "tags", "op": "contains", "value": tag}
    segment = Segment.objects.filter(workspace=workspace, name=name).first()
    created = segment is None
    if segment is None:
        segment = create_segment(
            workspace=workspace,
            actor=actor,
            data={"name": name, "description": f"People added to the list '{tag}'", "definition": definition},
        )
    elif segment.definition != definition:
        raise FieldErrors({"list": f"a segment named {name!r} already selects people another way; pick another name"})
    else:
        reconcile(segment)  # the people just tagged are in it at once, not after the next event or sweep
    url = reverse("segments:detail", args=[segment.pk])
    return {"id": segment.pk, "name": segment.name, "url": url, "created": created}

"""Saved segments, their stored (live) memberships and their size per day."""

from __future__ import annotations

from django.db import models

from rapport.core.models import WorkspaceScoped


class Segment(WorkspaceScoped):
    """A saved selection of people: a definition over the field registry, kept current as data arrives."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    definition = models.JSONField(
        help_text='{"all": [...]}, {"any": [...]}, {"not": {...}} or {"field", "op", "value"}'
    )
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    evaluated_at = models.DateTimeField(null=True, blank=True, help_text="last full reconcile of the memberships")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="segment_unique_name")]
        indexes = [models.Index(fields=["workspace", "name", "id"], name="segment_ws_name_idx")]

    def __str__(self) -> str:
        return self.name


class SegmentMember(WorkspaceScoped):
    """A person is in a segment since `entered_at`; rows come and go as the person's data changes."""

    # The unique (segment, person) index serves every lookup by segment; person_id keeps its own for merges and
    # deletions. No more indexes: each one costs on a first fill of a million rows.
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="members", db_index=False)
    person = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="segment_memberships")
    entered_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["segment", "person"], name="segment_member_unique")]


class SegmentSnapshot(WorkspaceScoped):
    """The size of a segment on one day (the last count taken that day)."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="snapshots")
    day = models.DateField()
    size = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["segment", "day"], name="segment_snapshot_unique_day")]
        ordering = ["day"]

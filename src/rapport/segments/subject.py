"""Segments' part of access exports and erasures: which segments the person is in, and since when."""

from __future__ import annotations

from typing import Any

from rapport.consent.subject import Subject, register_subject_data
from rapport.segments.models import SegmentMember


def _memberships(subject: Subject) -> list[dict[str, Any]]:
    return [
        {"segment": name, "entered_at": entered.isoformat()}
        for name, entered in SegmentMember.objects.filter(
            workspace_id=subject.workspace_id, person_id__in=subject.person_ids
        )
        .order_by("segment__name")
        .values_list("segment__name", "entered_at")
    ]


def _erase(subject: Subject) -> dict[str, int]:
    n, _ = SegmentMember.objects.filter(workspace_id=subject.workspace_id, person_id__in=subject.person_ids).delete()
    return {"segment_memberships": n}


def register() -> None:
    register_subject_data("segments", _memberships, _erase)

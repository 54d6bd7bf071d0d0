"""CSV export of a segment's members, streamed in chunks, cells safe from spreadsheet formulas."""

from __future__ import annotations

from collections.abc import Iterator

from rapport.core import csvsafe
from rapport.segments.models import Segment, SegmentMember

HEADERS = [
    "id",
    "external_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "country",
    "lifecycle_stage",
    "tags",
    "entered_at",
]
CHUNK = 2000


def csv_lines(segment: Segment) -> Iterator[str]:
    """The header line, then one line per member, ordered by person id (keyset chunks: constant memory)."""
    writer = csvsafe.row_lines()
    yield writer.writerow(HEADERS)
    qs = (
        SegmentMember.objects.filter(segment=segment, person__merged_into__isnull=True)
        .select_related("person")
        .order_by("person_id")
    )
    last = 0
    while True:
        chunk = list(qs.filter(person_id__gt=last)[:CHUNK])
        if not chunk:
            return
        for m in chunk:
            p = m.person
            yield writer.writerow(
                [
                    p.pk,
                    p.external_id,
                    p.first_name,
                    p.last_name,
                    p.email,
                    p.phone,
                    p.country,
                    p.lifecycle_stage,
                    ",".join(p.tags or []),
                    m.entered_at.isoformat(),
                ]
            )
        last = chunk[-1].person_id

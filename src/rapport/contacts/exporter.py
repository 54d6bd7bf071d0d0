"""CSV export of contacts with the canonical headers, streamed in chunks."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rapport.contacts.csvfile import CANONICAL_HEADERS
from rapport.contacts.identities import person_identities
from rapport.contacts.models import Affiliation, Person
from rapport.contacts.services import PERSON_FIELDS
from rapport.core import csvsafe
from rapport.core.models import Workspace

CHUNK = 2000


def export_rows(*, workspace: Workspace) -> Iterable[dict[str, str]]:
    """Every live person as a dict with the canonical CSV headers, streamed in chunks."""
    qs = Person.objects.filter(workspace=workspace, merged_into__isnull=True).order_by("id")
    last = 0
    while True:
        chunk = list(qs.filter(id__gt=last)[:CHUNK])
        if not chunk:
            return
        ids = [p.pk for p in chunk]
        handles = person_identities().export_handles(ids)
        orgs: dict[int, str] = {}
        for aff in (
            Affiliation.objects.filter(person_id__in=ids).select_related("organization").order_by("-is_primary", "id")
        ):
            orgs.setdefault(aff.person_id, aff.organization.name)
        for p in chunk:
            row = {h: "" for h in CANONICAL_HEADERS}
            for col in PERSON_FIELDS:
                value = getattr(p, col)
                row[col] = (
                    ",".join(value)
                    if col == "tags"
                    else (value.isoformat() if hasattr(value, "isoformat") else value or "")
                )
            row["organisation"] = orgs.get(p.pk, "")
            row.update(handles.get(p.pk, {}))
            yield row
        last = ids[-1]


def export_contacts(*, workspace: Workspace, path: Path) -> int:
    """Write every live person to a CSV file with the canonical headers; returns the row count."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csvsafe.DictWriter(fh, fieldnames=CANONICAL_HEADERS)
        writer.writeheader()
        for row in export_rows(workspace=workspace):
            writer.writerow({k: row.get(k, "") for k in CANONICAL_HEADERS})
            count += 1
    return count

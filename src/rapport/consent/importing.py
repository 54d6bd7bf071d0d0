"""Import of existing consents with their original dates: one CSV row per grant or withdrawal.

Columns: `email` or `external_id` or `contact_id` (which person), `purpose`, `channel` (empty: processing),
`granted` (yes/no, true/false, 1/0), `occurred_at` (ISO 8601), and optionally `wording`, `wording_version`,
`evidence`. A bad row is reported with its line and field and skipped; the others are imported. The file is read
as every import reads CSV (core's csvread: encoding and delimiter detected, a row named by the line it starts on).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from rapport.consent import services
from rapport.consent.models import ContactChannel, Purpose
from rapport.contacts.models import Person
from rapport.core import csvread
from rapport.core.ids import parse_id
from rapport.core.models import Workspace

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
TRUE, FALSE = {"yes", "true", "1", "y", "granted"}, {"no", "false", "0", "n", "withdrawn"}


@dataclass
class ImportResult:
    imported: int = 0
    errors: list[str] = field(default_factory=list)


def _person(workspace: Workspace, row: dict[str, str]) -> Person | None:
    people = Person.objects.filter(workspace=workspace, merged_into__isnull=True)
    pk = parse_id(row.get("contact_id"))  # "²" and 10**30 are no id (they raised, or overflowed the column)
    if pk is not None:
        return people.filter(pk=pk).first()
    if (row.get("external_id") or "").strip():
        return people.filter(external_id=row["external_id"].strip()).first()
    if (row.get("email") or "").strip():
        return people.filter(email__iexact=row["email"].strip()).order_by("id").first()
    return None


def import_consents(
    workspace: Workspace,
    path: Path,
    *,
    dry_run: bool = False,
    encoding: str = "utf-8-sig",
    delimiter: str | None = None,
) -> ImportResult:
    """Raises csvread.CsvFileError when the file as a whole cannot be read."""
    result = ImportResult()
    with path.open("rb") as fh:
        _header, rows = csvread.read_rows(fh, mapping={}, encoding=encoding, delimiter=delimiter)
        for line, raw, error in rows:
            if raw is None:
                result.errors.append(f"line {line}: {error}")
                continue
            row = {k: (v or "").strip() for k, v in raw.items()}
            bad = next((k for k, v in row.items() if _CONTROL.search(v)), None)
            if bad is not None:  # PostgreSQL stores no NUL: this row's error, not the import's end
                result.errors.append(f"line {line}: {bad}: must not contain control characters")
                continue
            person = _person(workspace, row)
            purpose, channel, granted = row.get("purpose", ""), row.get("channel", ""), row.get("granted", "").lower()
            try:
                when = parse_datetime(row.get("occurred_at", ""))
            except ValueError:  # well formed but impossible: 30 February, an offset of 99 hours
                when = None
            problem = None
            if person is None:
                problem = "email/external_id/contact_id: no such contact in this workspace"
            elif purpose not in Purpose.values:
                problem = f"purpose: one of {', '.join(Purpose.values)}"
            elif channel not in ContactChannel.values:
                problem = f"channel: empty or one of {', '.join(c for c in ContactChannel.values if c)}"
            elif granted not in TRUE | FALSE:
                problem = "granted: yes or no"
            elif when is None:
                problem = "occurred_at: an ISO 8601 date and time"
            elif timezone.is_naive(when):
                when = timezone.make_aware(when, timezone.get_current_timezone())
            if problem is None and when > timezone.now():
                problem = "occurred_at: in the future"
            if problem:
                result.errors.append(f"line {line}: {problem}")
                continue
            if not dry_run:
                services.record(
                    person,
                    purpose,
                    granted=granted in TRUE,
                    channel=channel,
                    source="import",
                    wording=row.get("wording", ""),
                    wording_version=row.get("wording_version", "")[:32],
                    evidence={"import": path.name, "line": line, "evidence": row.get("evidence", "")[:300]},
                    occurred_at=when,
                )
            result.imported += 1
    return result

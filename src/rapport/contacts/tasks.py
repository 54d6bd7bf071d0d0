"""Contacts' background work: large CSV imports, run by the job runner instead of inside the upload request."""

from __future__ import annotations

import contextlib
from pathlib import Path

from django.db.models import F
from django.utils import timezone
from django_tasks import task

from rapport.contacts.csvfile import ImportFileError, parse_delimiter, parse_mapping
from rapport.contacts.importer import import_contacts
from rapport.contacts.models import ContactImport
from rapport.core.actors import Actor

KEPT = 1000  # rejected rows and warnings kept on the import for the page; the summary counts all of them


@task()
def run_import(import_id: int) -> dict:
    """Import one uploaded file, recording progress per batch; the file is deleted whatever happens."""
    job = ContactImport.objects.select_related("workspace", "requested_by").get(pk=import_id)
    if job.status not in (ContactImport.Status.QUEUED, ContactImport.Status.RUNNING):
        return job.summary  # already done: a task run twice does nothing twice
    ContactImport.objects.filter(pk=job.pk).update(status=ContactImport.Status.RUNNING, processed=0)
    path = Path(job.path)
    actor = Actor.for_user(job.requested_by) if job.requested_by else Actor.importer(f"import {job.file_name}")

    def advance(rows: int) -> None:
        ContactImport.objects.filter(pk=job.pk).update(processed=F("processed") + rows)

    try:
        with path.open("rb") as fh:
            result = import_contacts(
                workspace=job.workspace,
                actor=actor,
                stream=fh,
                mapping=parse_mapping(job.mapping),
                dry_run=job.dry_run,
                encoding=job.encoding or "utf-8-sig",
                delimiter=parse_delimiter(job.delimiter or None),
                progress=advance,
            )
    except (ImportFileError, LookupError, OSError) as exc:
        ContactImport.objects.filter(pk=job.pk).update(
            status=ContactImport.Status.FAILED, error=str(exc), finished_at=timezone.now()
        )
        return {"error": str(exc)}
    except Exception as exc:  # a bug: the import says so (the runner keeps the traceback) instead of hanging
        ContactImport.objects.filter(pk=job.pk).update(
            status=ContactImport.Status.FAILED,
            error=f"internal error: {type(exc).__name__}",
            finished_at=timezone.now(),
        )
        raise
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
    summary = {**result.summary(), "encoding": result.dialect.encoding, "delimiter": result.dialect.delimiter}
    ContactImport.objects.filter(pk=job.pk).update(
        status=ContactImport.Status.DONE,
        summary=summary,
        rejected=[{"line": r.line, "external_id": r.external_id, "reason": r.reason} for r in result.rejected[:KEPT]],
        warnings=[{"line": w.line, "external_id": w.external_id, "reason": w.reason} for w in result.warnings[:KEPT]],
        finished_at=timezone.now(),
    )
    return summary

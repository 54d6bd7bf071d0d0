"""CSV import of contacts: rows checked (in a worker process for large files), bad rows named by line with their
reason, good rows written in bulk batches. The file format itself lives in csvfile.py, export in exporter.py."""

from __future__ import annotations

import multiprocessing
import os
import re
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from rapport.contacts.csvfile import CANONICAL_HEADERS, NETWORK_COLUMNS, Dialect, read_rows
from rapport.contacts.identities import person_identities
from rapport.contacts.models import Affiliation, Organization, Person
from rapport.contacts.services import PERSON_FIELDS, fold, person_search_text, search_text_for
from rapport.contacts.validation import clean_person_fields
from rapport.core.actors import Actor
from rapport.core.bulk import allocate_ids, insert, insert_ignore, json_value, select_in, update_fields
from rapport.core.errors import FieldErrors
from rapport.core.models import AuditEvent, Workspace
from rapport.core.services import record_audit

# The person fields a CSV row may carry: the same list the services validate and audit.
PERSON_COLUMNS = PERSON_FIELDS
HANDLE_RE = re.compile(r"^@?[\w.\-@:/]{1,100}$", re.UNICODE)
BATCH = 2000


@dataclass
class Rejection:
    line: int
    external_id: str
    reason: str

    def __str__(self) -> str:
        ext = f" (external_id {self.external_id})" if self.external_id else ""
        return f"line {self.line}{ext}: {self.reason}"


@dataclass
class RowDecision:
    """What a resolver decided for a row: link to an existing person, hold for review, or create."""

    decision: str  # linked | review | new
    person_id: int | None = None
    score: float = 0.0


@dataclass
class ImportResult:
    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0  # rows that matched a known person and had nothing new
    rejected: list[Rejection] = field(default_factory=list)
    dry_run: bool = False
    unknown_columns: list[str] = field(default_factory=list)
    # Per-row decisions (line, external_id, decision, person_id), kept only when a resolver decides rows.
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    # Rows imported without an optional field that was bad (an impossible date of birth): named by line and field.
    warnings: list[Rejection] = field(default_factory=list)
    dialect: Dialect = field(default_factory=Dialect)

    def summary(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
            "imported_without_a_field": len(self.warnings),
            "dry_run": self.dry_run,
        }


@dataclass
class _Prepared:
    line: int
    external_id: str
    fields: dict[str, Any]
    handles: list[tuple[str, str]]
    organisation: str
    # The row a new person is inserted with (see _person_row) and the audited values, computed while checking.
    person_row: list[Any] = field(default_factory=list)
    audit_after: str = ""
    dropped: dict[str, str] = field(default_factory=dict)  # optional fields left out, with why


# Fields that describe a person without identifying them: a bad value is left out and reported, and the row is
# imported. A bad name, email, external id or customer number rejects the row (it would match or merge wrongly).
OPTIONAL_COLUMNS = frozenset(
    {"date_of_birth", "phone", "country", "postcode", "region", "street", "city", "job_title", "lifecycle_stage",
     "tags", *NETWORK_COLUMNS}
)


def _prepare(line: int, row: dict[str, str]) -> _Prepared:
    raw = {k: row[k] for k in PERSON_COLUMNS if k in row}
    errors: dict[str, str] = {}
    dropped: dict[str, str] = {}
    try:
        fields = clean_person_fields(raw)
    except FieldErrors as exc:
        optional = {k: v for k, v in exc.errors.items() if k in OPTIONAL_COLUMNS}
        errors.update({k: v for k, v in exc.errors.items() if k not in optional})
        dropped.update(optional)
        fields = {}
        if not errors:
            try:
                fields = clean_person_fields({k: v for k, v in raw.items() if k not in optional})
            except FieldErrors as again:  # a field valid only beside a dropped one (a phone read by its country)
                dropped.update({k: v for k, v in again.errors.items() if k in OPTIONAL_COLUMNS})
                errors.update({k: v for k, v in again.errors.items() if k not in OPTIONAL_COLUMNS})
                fields = {} if errors else clean_person_fields({k: v for k, v in raw.items() if k not in dropped})
    handles = []
    for network in NETWORK_COLUMNS:
        value = (row.get(network) or "").strip()
        if not value:
            continue
        handle = value.rstrip("/").rsplit("/", 1)[-1] if value.startswith("http") else value
        if network == "linkedin":
            handle = handle.removeprefix("in/")
        if not HANDLE_RE.match(handle):
            dropped[network] = f"{value!r} is not a {network} handle"
        else:
            handles.append((network, handle.lstrip("@")))
    if not errors and not any(fields.get(f) for f in ("first_name", "last_name", "email")):
        errors["first_name"] = "a row needs first_name, last_name or email"
    organisation = (row.get("organisation") or "").strip()
    if len(organisation) > 200:
        errors["organisation"] = "is longer than 200 characters"
    if errors:
        raise FieldErrors(errors)
    normalise_handle = person_identities().normalise_handle
    search_text, sort_name = search_text_for(
        fields, handles=[normalise_handle(h) for _, h in handles], organisations=[organisation] if organisation else []
    )
    return _Prepared(
        line,
        fields.get("external_id", ""),
        fields,
        handles,
        organisation,
        _person_row(fields, search_text, sort_name),
        json_value({k: str(v) for k, v in fields.items() if v not in ("", None, [])}),
        dropped,
    )


def _prepare_chunk(chunk: list[tuple[int, dict[str, str]]]) -> list[_Prepared | Rejection]:
    """Check a chunk of rows: each becomes a prepared row or its rejection (runs in a worker process too)."""
    out: list[_Prepared | Rejection] = []
    for line, row in chunk:
        try:
            out.append(_prepare(line, row))
        except FieldErrors as exc:
            reason = "; ".join(f"{k}: {v}" for k, v in exc.errors.items())
            out.append(Rejection(line, (row.get("external_id") or "").strip(), reason))
    return out


def _checked_rows(
    rows: Iterator[tuple[int, dict[str, str] | None, str | None]], *, result: ImportResult, parallel: bool
) -> Iterator[_Prepared]:
    """Prepared rows in file order; unreadable and invalid rows are added to result.rejected on the way.

    With `parallel`, a forked worker process checks the next chunks (parsing phone numbers and emails is most of an
    import's Python time) while this process writes the current batch, so checking overlaps the database's work.
    """

    def chunks() -> Iterator[list[tuple[int, dict[str, str]]]]:
        chunk: list[tuple[int, dict[str, str]]] = []
        for line, row, error in rows:
            result.received += 1
            if row is None:
                result.rejected.append(Rejection(line, "", error or "unreadable"))
                continue
            chunk.append((line, row))
            if len(chunk) >= BATCH:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def unpack(checked: list[_Prepared | Rejection]) -> Iterator[_Prepared]:
        for item in checked:
            if isinstance(item, Rejection):
                result.rejected.append(item)
            else:
                for name, why in item.dropped.items():
                    result.warnings.append(Rejection(item.line, item.external_id, f"imported without {name}: {why}"))
                yield item

    use_pool = parallel and (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods()
    if not use_pool:
        for chunk in chunks():
            yield from unpack(_prepare_chunk(chunk))
        return
    # The child only computes; it never touches the parent's database connection.
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
        pending: deque[Future] = deque()
        for chunk in chunks():
            pending.append(pool.submit(_prepare_chunk, chunk))
            if len(pending) > 2:
                yield from unpack(pending.popleft().result())
        while pending:
            yield from unpack(pending.popleft().result())


Resolver = Callable[[list[_Prepared]], list[RowDecision]]
Progress = Callable[[int], None]


def import_contacts(
    *,
    workspace: Workspace,
    actor: Actor,
    stream: IO[bytes],
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    encoding: str = "utf-8-sig",
    delimiter: str | None = None,
    resolver: Resolver | None = None,
    progress: Progress | None = None,
    parallel: bool = False,
) -> ImportResult:
    """Import people from CSV: good rows are written, bad rows are named by line with their reason.

    `parallel` checks rows in a forked worker process while batches are written; only for single-threaded callers
    such as the command line (forking a threaded web server is not safe)."""
    dialect = Dialect()
    header, rows = read_rows(stream, mapping=mapping or {}, encoding=encoding, delimiter=delimiter, dialect=dialect)
    result = ImportResult(
        dry_run=dry_run, unknown_columns=[h for h in header if h and h not in CANONICAL_HEADERS], dialect=dialect
    )
    seen_ext: dict[str, int] = {}
    seen_email: dict[str, int] = {}
    batch: list[_Prepared] = []

    def flush() -> None:
        if batch:
            _write_batch(workspace=workspace, actor=actor, batch=batch, result=result, resolver=resolver)
            if progress:
                progress(len(batch))
            batch.clear()

    try:
        with transaction.atomic():
            for prepared in _checked_rows(rows, result=result, parallel=parallel):
                line, ext = prepared.line, prepared.external_id
                email = prepared.fields.get("email", "")
                if ext and ext in seen_ext:
                    result.rejected.append(
                        Rejection(line, ext, f"duplicate of line {seen_ext[ext]} (same external_id)")
                    )
                    continue
                if email and not ext and email in seen_email:
                    result.rejected.append(Rejection(line, ext, f"duplicate of line {seen_email[email]} (same email)"))
                    continue
                if ext:
                    seen_ext[ext] = line
                if email:
                    seen_email.setdefault(email, line)
                batch.append(prepared)
                if len(batch) >= BATCH:
                    flush()
            flush()
            if result.created or result.updated:
                record_audit(
                    workspace=workspace,
                    actor=actor,
                    action="contacts.imported",
                    object_type="workspace",
                    object_id=workspace.pk,
                    after=result.summary(),
                )
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    result.rejected.sort(key=lambda r: r.line)
    result.warnings.sort(key=lambda r: r.line)
    return result


class _DryRun(Exception):
    """Rolls back a dry run after every check has been made."""


def _write_batch(
    *, workspace: Workspace, actor: Actor, batch: list[_Prepared], result: ImportResult, resolver: Resolver | None
) -> None:
    """Create or update one batch of rows with a handful of queries."""
    ext_ids = [p.external_id for p in batch if p.external_id]
    existing: dict[str, Person] = {}
    if ext_ids:
        # A merged-away person's external id now means the person it was merged into.
        ids = [pk for (pk,) in select_in(_PEOPLE_BY_EXT_SQL, [workspace.pk], ext_ids)]
        found = list(Person.objects.filter(pk__in=ids).order_by("id")) if ids else []
        merged = {p.external_id: p.merged_into_id for p in found if p.merged_into_id}
        existing = {p.external_id: p for p in found if not p.merged_into_id}
        if merged.keys() - existing.keys():
            live = {p.pk: p for p in Person.objects.filter(pk__in=set(merged.values()), merged_into__isnull=True)}
            existing.update({e: live[pk] for e, pk in merged.items() if e not in existing and pk in live})
    decisions = resolver(batch) if resolver else [RowDecision("new") for _ in batch]
    linked_ids = {d.person_id for d in decisions if d.decision == "linked" and d.person_id}
    linked = {p.pk: p for p in Person.objects.filter(workspace=workspace, pk__in=linked_ids)} if linked_ids else {}

    # Handles already owned by someone else reject the row rather than silently moving the account.
    accounts = person_identities()
    normalise_handle = accounts.normalise_handle
    wanted = {(n, normalise_handle(h)) for p in batch for n, h in p.handles}
    owners: dict[tuple[str, str], int | None] = {}
    if wanted:
        for network, key, person_id in accounts.handle_owners(workspace.pk, list({h for _, h in wanted})):
            owners[(network, key)] = person_id

    org_names = {p.organisation for p in batch if p.organisation}
    orgs = {fold(name): pk for pk, name in select_in(_ORGS_SQL, [workspace.pk], list(org_names))} if org_names else {}
    new_orgs = {fold(name): name for name in org_names if fold(name) not in orgs}
    for org in Organization.objects.bulk_create(
        [Organization(workspace=workspace, name=name, search_text=f" {fold(name)} ") for name in new_orgs.values()]
    ):
        orgs[fold(org.name)] = org.pk

    to_create: list[_Prepared] = []
    matched: list[tuple[_Prepared, Person]] = []
    changes: dict[int, dict[str, tuple[Any, Any]]] = {}  # person id -> field -> (before, after)
    decided: list[tuple[_Prepared, RowDecision, Person | None]] = []
    for prepared, decision in zip(batch, decisions, strict=True):
        target = existing.get(prepared.external_id) if prepared.external_id else None
        if target is None and decision.decision == "linked":
            target = linked.get(decision.person_id)
        conflict = next(
            (
                f"{n} handle @{h} already belongs to contact {owners[(n, normalise_handle(h))]}"
                for n, h in prepared.handles
                if owners.get((n, normalise_handle(h))) not in (None, getattr(target, "pk", None))
            ),
            None,
        )
        if conflict:
            result.rejected.append(Rejection(prepared.line, prepared.external_id, conflict))
            continue
        if target is not None:
            # A re-import fills in and corrects; an empty cell never erases what is known.
            diff = changes.setdefault(target.pk, {})
            for key, value in prepared.fields.items():
                if value in ("", None, []) or (key == "external_id" and target.external_id):
                    continue
                old = getattr(target, key)
                if old != value:
                    diff.setdefault(key, (old, value))
                    setattr(target, key, value)
            matched.append((prepared, target))
        else:
            to_create.append(prepared)
        if resolver is not None:
            decided.append((prepared, decision, target))

    created_ids = _insert_people(workspace, to_create)
    result.created += len(to_create)
    new_id = {id(prepared): pk for prepared, pk in zip(to_create, created_ids, strict=True)}
    result.outcomes.extend(
        {
            "line": prepared.line,
            "external_id": prepared.external_id,
            "decision": decision,
            "person_id": target.pk if target is not None else new_id[id(prepared)],
        }
        for prepared, decision, target in decided
    )

    # The rows below have a fixed shape, so they skip the ORM's per-object and per-value work.
    written = [*zip(to_create, created_ids, strict=True), *((p, person.pk) for p, person in matched)]
    now = timezone.now()
    ws = workspace.pk
    added = accounts.insert(
        workspace_id=ws,
        rows=[
            (person_id, n, h)
            for prepared, person_id in written
            for n, h in prepared.handles
            if (n, normalise_handle(h)) not in owners
        ],
    )
    adopted = [
        (person_id, n, key)
        for prepared, person_id in written
        for n, h in prepared.handles
        if (n, (key := normalise_handle(h))) in owners and owners[(n, key)] is None
    ]
    if adopted:
        accounts.adopt(workspace=workspace, rows=adopted)
    affiliations = [
        (ws, person_id, orgs[fold(prepared.organisation)], prepared.fields.get("job_title", "")[:100], True)
        for prepared, person_id in written
        if prepared.organisation
    ]
    # A person created just now has no affiliation to collide with; only matched people need the conflict check.
    created = len([p for p in to_create if p.organisation])
    insert(Affiliation, AFFILIATION_COLUMNS, affiliations[:created])
    joined = insert_ignore(
        Affiliation, AFFILIATION_COLUMNS, affiliations[created:], conflict=None, returning=["person", "organization"]
    )
    changed = _settle_matched(
        matched=matched,
        changes=changes,
        identities=[(person_id, f"{n}:{key}") for person_id, n, key in [*added, *adopted]],
        organisations=[(person_id, org_id) for person_id, org_id in joined],
        org_names={pk: name for name, pk in ((n, orgs[fold(n)]) for n in org_names)},
    )
    result.updated += len(changed)
    result.unchanged += len({person.pk for _, person in matched}) - len(changed)

    # One audit event per created person and per person the import changed, with what changed.
    head = (ws, now, actor.kind, actor.user.pk if actor.user else None, actor.label[:200])
    insert(
        AuditEvent,
        AUDIT_COLUMNS,
        [
            (*head, "contact.created", "person", str(person_id), None, prepared.audit_after)
            for prepared, person_id in written[: len(to_create)]
        ]
        + [
            (
                *head,
                "contact.updated",
                "person",
                str(person_id),
                json_value({k: _audit_value(old) for k, (old, _new) in diff.items()}),
                json_value({k: _audit_value(new) for k, (_old, new) in diff.items()}),
            )
            for person_id, diff in changed.items()
        ],
    )


def _audit_value(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _settle_matched(
    *,
    matched: list[tuple[_Prepared, Person]],
    changes: dict[int, dict[str, tuple[Any, Any]]],
    identities: list[tuple[int, str]],
    organisations: list[tuple[int, int]],
    org_names: dict[int, str],
) -> dict[int, dict[str, tuple[Any, Any]]]:
    """Write the people a batch matched whose fields changed, with their search text rebuilt from all their
    identities and organisations; returns the changes per person (new accounts and organisations included)."""
    people = {person.pk: person for _, person in matched}
    if not people:
        return {}
    for person_id, account in identities:
        if person_id in people:
            changes[person_id].setdefault("identities", ((), []))[1].append(account)
    for person_id, org_id in organisations:
        if person_id in people:
            changes[person_id].setdefault("organisations", ((), []))[1].append(org_names.get(org_id, str(org_id)))
    handles: dict[int, list[str]] = {}
    for person_id, key in person_identities().handle_keys(list(people)):
        handles.setdefault(person_id, []).append(key)
    employers: dict[int, list[str]] = {}
    for person_id, name in select_in(_ORG_NAMES_SQL, [], list(people)):
        employers.setdefault(person_id, []).append(name)
    dirty: list[Person] = []
    for pk, person in people.items():
        text, sort = person_search_text(
            person, handles=sorted(handles.get(pk, [])), organisations=sorted(employers.get(pk, []))
        )
        if changes[pk] or (text, sort) != (person.search_text, person.sort_name):
            person.search_text, person.sort_name = text, sort
            dirty.append(person)
    fields = sorted({k for pk in people for k in changes[pk] if k in PERSON_COLUMNS})
    update_fields(dirty, [*fields, "search_text", "sort_name", "updated_at"])
    return {pk: diff for pk, diff in changes.items() if pk in people and diff}


AFFILIATION_COLUMNS = ["workspace", "person", "organization", "role", "is_primary"]
AUDIT_COLUMNS = [
    "workspace",
    "created_at",
    "actor_kind",
    "actor_user",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
]
# Raw lookups by a batch of keys: Django compiles an IN list value by value, which shows at thousands of rows.
_PEOPLE_BY_EXT_SQL = f"SELECT id FROM {Person._meta.db_table} WHERE workspace_id = %s AND external_id IN ({{in}})"  # noqa: S608
_ORG_NAMES_SQL = (
    f"SELECT a.person_id, o.name FROM {Affiliation._meta.db_table} a "  # noqa: S608
    f"JOIN {Organization._meta.db_table} o ON o.id = a.organization_id WHERE a.person_id IN ({{in}})"
)
_ORGS_SQL = f"SELECT id, name FROM {Organization._meta.db_table} WHERE workspace_id = %s AND name IN ({{in}})"  # noqa: S608
_PERSON_FIELDS = [
    f for f in Person._meta.concrete_fields if not f.primary_key and f.name not in ("created_at", "updated_at")
]


# Values of a new person's row, in this order; workspace_id is filled in when the row is written.
_ROW_FIELDS = [f for f in _PERSON_FIELDS if f.name not in ("search_text", "sort_name")]
_ROW_COLUMNS = [*(f.name for f in _ROW_FIELDS), "search_text", "sort_name", "created_at", "updated_at"]
_ROW_DEFAULTS = [(f.name, None if f.name in ("workspace", "merged_into") else f.get_default()) for f in _ROW_FIELDS]
_ROW_WORKSPACE = _ROW_COLUMNS.index("workspace")
_ROW_TAGS = _ROW_COLUMNS.index("tags")


def _person_row(fields: dict[str, Any], search_text: str, sort_name: str) -> list[Any]:
    """A new person's column values (JSON already serialised), built from checked fields and model defaults."""
    row = [fields.get(name, default) for name, default in _ROW_DEFAULTS]
    row[_ROW_TAGS] = json_value(row[_ROW_TAGS] or [])
    return [*row, search_text, sort_name]


def _insert_people(workspace: Workspace, people: list[_Prepared]) -> list[int]:
    """Insert new people from their prepared rows; returns their primary keys in the same order."""
    if not people:
        return []
    now = timezone.now()
    rows = []
    for prepared in people:
        row = [*prepared.person_row, now, now]
        row[_ROW_WORKSPACE] = workspace.pk
        rows.append(row)
    ids = allocate_ids(Person, len(people))
    if ids is not None:
        for row, pk in zip(rows, ids, strict=True):
            row.append(pk)
        insert(Person, [*_ROW_COLUMNS, "id"], rows)
        return ids
    # SQLite returns ids in VALUES order, which is what bulk_create relies on as well.
    return [pk for (pk,) in insert(Person, _ROW_COLUMNS, rows, returning=["id"])]


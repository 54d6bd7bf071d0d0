"""Everything Rapport holds about one person, gathered for an access export and removed for an erasure.

Each app registers what it holds with `register_subject_data(label, export_fn, erase_fn)` from its
`AppConfig.ready` (apps below consent, which cannot import it, are covered here: contacts' profile, timeline and
organisations). An export calls every `export_fn`; an erasure calls every `erase_fn` in the reverse order of
registration (the apps on the higher floors first, while the rows they find through lower ones still exist), then
deletes the person records and scrubs the audit log. Export functions return JSON-able data; erase functions
delete or anonymise and return counts, never the data.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from rapport.contacts.models import Affiliation, Person, Touchpoint
from rapport.contacts.services import PERSON_FIELDS
from rapport.core.models import AuditEvent

ExportFn = Callable[["Subject"], Any]
EraseFn = Callable[["Subject"], dict[str, int]]
IdentifiersFn = Callable[["Subject"], Iterable[str]]

ERASED = "[erased]"
MIN_IDENTIFIER = 5  # shorter strings ("Anna") are too common to scrub from free text by themselves


@dataclass
class Subject:
    """One data subject: the person and every record merged into them, and strings that identify them."""

    workspace_id: int
    person_ids: list[int]
    identifiers: set[str] = field(default_factory=set)

    @property
    def person_id(self) -> int:
        return self.person_ids[0]

    def named_in(self, field_name: str) -> Q | None:
        """A filter for rows whose `field_name` holds one of the person's identifiers (any case); None without any."""
        if not self.identifiers:
            return None
        names = Q()
        for value in self.identifiers:
            names |= Q(**{f"{field_name}__icontains": value})
        return names


@dataclass(frozen=True)
class SubjectData:
    label: str
    export: ExportFn
    erase: EraseFn | None = None
    identifiers: IdentifiersFn | None = None


_REGISTRY: dict[str, SubjectData] = {}


def register_subject_data(
    label: str, export_fn: ExportFn, erase_fn: EraseFn | None = None, *, identifiers: IdentifiersFn | None = None
) -> None:
    """Add a kind of personal data to access exports (and erasures, with `erase_fn`).

    `identifiers`, when given, returns strings that identify the person (handles, account ids) so that an erasure
    can also scrub them from free text it does not own, such as the audit log."""
    _REGISTRY.setdefault(label, SubjectData(label, export_fn, erase_fn, identifiers))


def registered() -> list[SubjectData]:
    """What is registered, in registration order (INSTALLED_APPS order)."""
    return list(_REGISTRY.values())


# --- helpers for export functions ---------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A JSON-able copy of a value."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def row(obj: models.Model, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """A model row as a dict of its concrete fields (foreign keys as ids)."""
    skip = set(exclude) | {"workspace", "workspace_id", "search_text", "sort_name"}
    out: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if f.name in skip or f.attname in skip:
            continue
        value = getattr(obj, f.attname)
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        out[f.name if not f.is_relation else f.attname] = value
    return out


def rows(qs: Iterable[models.Model], *, exclude: Iterable[str] = ()) -> list[dict[str, Any]]:
    return [row(o, exclude=exclude) for o in qs]


# --- the subject --------------------------------------------------------------------------------------------------


def subject_for(person: Person) -> Subject:
    """The subject a person belongs to: the person and every record merged into them, at any depth."""
    ids = [person.pk]
    frontier = [person.pk]
    while frontier:
        frontier = list(Person.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True))
        ids.extend(pid for pid in frontier if pid not in ids)
    subject = Subject(workspace_id=person.workspace_id, person_ids=ids)
    for p in Person.objects.filter(pk__in=ids):
        name = " ".join(x for x in (p.first_name, p.last_name) if x)
        for value in (p.email, p.phone, p.customer_number, p.external_id, name, p.street):
            if value and len(value) >= MIN_IDENTIFIER:
                subject.identifiers.add(value)
    for entry in registered():
        if entry.identifiers:
            subject.identifiers.update(v for v in entry.identifiers(subject) if v and len(v) >= MIN_IDENTIFIER)
    return subject


def export_subject(person: Person) -> dict[str, Any]:
    """The access export: everything held about the person, by kind, with who viewed or changed their record."""
    subject = subject_for(person)
    data: dict[str, Any] = {
        "subject": {"id": person.pk, "name": person.name, "merged_records": subject.person_ids[1:]},
        "generated_at": timezone.now().isoformat(),
    }
    for entry in registered():
        data[entry.label] = plain(entry.export(subject))
    data["audit"] = [
        {
            "when": e.created_at.isoformat(),
            "who": e.actor_label,
            "action": e.action,
            "record": f"{e.object_type}:{e.object_id}",
        }
        for e in AuditEvent.objects.filter(
            workspace_id=subject.workspace_id,
            object_type="person",
            object_id__in=[str(i) for i in subject.person_ids],
        ).order_by("-created_at", "-id")[:2000]
    ]
    return data


def erase_subject(person: Person) -> dict[str, int]:
    """Erase the person: every app's data is deleted or anonymised, the person records go, and the audit log keeps
    that something happened but no longer what the person's data was. Returns counts per kind."""
    subject = subject_for(person)
    counts: dict[str, int] = {}
    with transaction.atomic():
        for entry in reversed(registered()):
            if entry.erase:
                for key, n in entry.erase(subject).items():
                    counts[key] = counts.get(key, 0) + n
        # Absorbed records first: each points at the one it was merged into.
        people = Person.objects.filter(pk__in=subject.person_ids)
        people.update(merged_into=None)
        counts["people"] = people.count()
        people.delete()
        counts["audit_events_scrubbed"] = scrub_audit(subject)
    return counts


def scrub_audit(subject: Subject) -> int:
    """Blank the before/after of every audit event about the person's records or naming one of their identifiers;
    the events themselves stay (who did what when), marked as erased."""
    about = Q(object_type="person", object_id__in=[str(i) for i in subject.person_ids])
    qs = AuditEvent.objects.filter(workspace_id=subject.workspace_id).annotate(
        before_text=Cast("before", TextField()), after_text=Cast("after", TextField())
    )
    mentions = Q()
    for value in subject.identifiers:
        # JSON escapes non-ASCII and quotes; search both the raw and the encoded spelling.
        for spelling in {value, json.dumps(value)[1:-1]}:
            mentions |= Q(before_text__contains=spelling) | Q(after_text__contains=spelling)
    ids = list(qs.filter(about | mentions if subject.identifiers else about).values_list("pk", flat=True))
    AuditEvent.objects.filter(pk__in=ids).update(before=None, after={"erased": True})
    return len(ids)


# --- contacts' data (contacts sits below consent and cannot register itself) ----------------------------------------

# The fields a person is made of (contacts' one list), plus the record's own bookkeeping.
PROFILE_FIELDS = frozenset(PERSON_FIELDS) | {"id", "merged_into_id", "created_at", "updated_at"}


def _export_profile(subject: Subject) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in row(p).items() if k in PROFILE_FIELDS}
        for p in Person.objects.filter(pk__in=subject.person_ids)
    ]


def _export_touchpoints(subject: Subject) -> list[dict[str, Any]]:
    fields = [f.attname for f in Touchpoint._meta.concrete_fields if f.attname not in ("workspace_id", "search_text")]
    return list(
        Touchpoint.objects.filter(person_id__in=subject.person_ids).order_by("-occurred_at", "-id").values(*fields)
    )


def _export_organisations(subject: Subject) -> list[dict[str, Any]]:
    return [
        {"organisation": a.organization.name, "role": a.role, "is_primary": a.is_primary}
        for a in Affiliation.objects.filter(person_id__in=subject.person_ids).select_related("organization")
    ]


def _erase_rows(model: type[models.Model], label: str, field_name: str = "person_id") -> EraseFn:
    def erase(subject: Subject) -> dict[str, int]:
        n, _ = model.objects.filter(**{f"{field_name}__in": subject.person_ids}).delete()
        return {label: n}

    return erase


def register_own() -> None:
    """Contacts' data, then consent's own."""
    from rapport.consent import privacy_data

    register_subject_data("profile", _export_profile)  # the person rows go last, in erase_subject
    register_subject_data("touchpoints", _export_touchpoints, _erase_rows(Touchpoint, "touchpoints"))
    register_subject_data("organisations", _export_organisations, _erase_rows(Affiliation, "affiliations"))
    privacy_data.register()

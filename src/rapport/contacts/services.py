"""Contact services: create, change and find people and organisations, and read their timeline."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Case, Expression, ExpressionWrapper, IntegerField, Prefetch, Q, QuerySet, Value, When
from unidecode import unidecode

from rapport.contacts.access import record_view as record_view  # the door to the access log
from rapport.contacts.identities import attach_identities, person_identities
from rapport.contacts.models import Affiliation, Organization, OrganizationKind, Person, Touchpoint
from rapport.contacts.relations import OnDelete, person_relations
from rapport.contacts.touchpoints import withhold_private
from rapport.contacts.validation import clean_person_fields
from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.core.events import emit
from rapport.core.models import Workspace
from rapport.core.pagination import keyset_page
from rapport.core.privacy import Reader
from rapport.core.services import record_audit

PERSON_FIELDS = [
    "external_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "job_title",
    "street",
    "city",
    "postcode",
    "region",
    "country",
    "date_of_birth",
    "customer_number",
    "lifecycle_stage",
    "tags",
]
ORGANIZATION_FIELDS = ["name", "kind", "external_id", "domain", "industry", "size", "phone", "city", "country", "tags"]


def fold(text: str) -> str:
    """Search key of a text: transliterated to ASCII and lower-case ("Sørensen" -> "sorensen")."""
    return unidecode(text or "").lower()


def person_search_text(
    person: Person, *, handles: Iterable[str] = (), organisations: Iterable[str] = ()
) -> tuple[str, str]:
    """The denormalised search text and sort key of a person."""
    # Read through the attributes (a deferred field loads), not the instance's __dict__.
    values = {name: getattr(person, name) for name in _SEARCHED_FIELDS}
    return search_text_for(values, handles=handles, organisations=organisations)


# The person fields search_text_for reads.
_SEARCHED_FIELDS = ("first_name", "last_name", "email", "phone", "customer_number", "external_id", "city", "tags")


def search_text_for(
    values: Mapping[str, Any], *, handles: Iterable[str] = (), organisations: Iterable[str] = ()
) -> tuple[str, str]:
    """Search text and sort key from a person's field values (missing fields count as empty)."""
    get = values.get
    phone = get("phone") or ""
    first, last = get("first_name") or "", get("last_name") or ""
    handles = list(handles)
    parts = [
        first,
        last,
        get("email") or "",
        phone,
        "".join(ch for ch in phone if ch.isdigit()),
        get("customer_number") or "",
        get("external_id") or "",
        get("city") or "",
        *handles,
        *(f"@{h}" for h in handles),
        *organisations,
        *(f"#{t}" for t in get("tags") or []),
    ]
    text = " ".join(fold(p) for p in parts if p)
    sort = fold(f"{last} {first}".strip() or (get("email") or ""))[:220]
    return f" {text} ", sort


def refresh_person_search(person: Person) -> None:
    """Recompute a person's search text from their fields, handles and organisations."""
    handles = [key for _, key in person_identities().handle_keys([person.pk])]
    orgs = list(Organization.objects.filter(affiliations__person=person).values_list("name", flat=True))
    person.search_text, person.sort_name = person_search_text(person, handles=handles, organisations=orgs)
    Person.objects.filter(pk=person.pk).update(search_text=person.search_text, sort_name=person.sort_name)


def person_snapshot(person: Person) -> dict[str, Any]:
    """The audited state of a person."""
    snap = {f: getattr(person, f) for f in PERSON_FIELDS}
    snap["date_of_birth"] = person.date_of_birth.isoformat() if person.date_of_birth else None
    snap["identities"] = sorted(person_identities().labels(person))
    snap["organisations"] = sorted(
        f"{a.organization.name} ({a.role})" if a.role else a.organization.name
        for a in Affiliation.objects.filter(person=person).select_related("organization")
    )
    return snap


def _apply_organisations(*, workspace: Workspace, person: Person, organisations: list[dict]) -> None:
    """Replace a person's affiliations: each item names an organisation by id or by name, with a role."""
    errors: dict[str, str] = {}
    Affiliation.objects.filter(person=person).delete()
    for n, item in enumerate(organisations):
        org = None
        if item.get("id"):
            org = Organization.objects.filter(workspace=workspace, pk=item["id"]).first()
            if org is None:
                errors[f"organisations[{n}].id"] = f"no organisation with id {item['id']} in this workspace"
                continue
        elif (item.get("name") or "").strip():
            name = item["name"].strip()[:200]
            org = Organization.objects.filter(workspace=workspace, name__iexact=name).first()
            if org is None:
                org = Organization.objects.create(workspace=workspace, name=name, kind=item.get("kind") or "company")
                refresh_organization_search(org)
        else:
            errors[f"organisations[{n}]"] = "needs an id or a name"
            continue
        Affiliation.objects.get_or_create(
            workspace=workspace,
            person=person,
            organization=org,
            role=(item.get("role") or "").strip()[:100],
            defaults={"is_primary": bool(item.get("is_primary"))},
        )
    if errors:
        raise FieldErrors(errors)


@transaction.atomic
def create_person(
    *,
    workspace: Workspace,
    actor: Actor,
    data: dict,
    identities: list[dict] | None = None,
    organisations: list[dict] | None = None,
) -> Person:
    """Create a person with their identities and affiliations, audited."""
    fields = clean_person_fields({k: v for k, v in data.items() if k in PERSON_FIELDS})
    if not any(fields.get(f) for f in ("first_name", "last_name", "email", "phone", "external_id")):
        raise FieldErrors({"name": "a contact needs a name, an email, a phone number or an external_id"})
    person = Person.objects.create(workspace=workspace, **fields)
    if identities:
        attach_identities(workspace=workspace, person=person, identities=identities)
    if organisations:
        _apply_organisations(workspace=workspace, person=person, organisations=organisations)
    refresh_person_search(person)
    record_audit(
        workspace=workspace,
        actor=actor,
        action="contact.created",
        object_type="person",
        object_id=person.pk,
        after=person_snapshot(person),
    )
    emit("contact.created", {"workspace_id": workspace.pk, "person_id": person.pk})
    return person


@transaction.atomic
def update_person(
    *,
    workspace: Workspace,
    actor: Actor,
    person: Person,
    changes: dict,
    identities: list[dict] | None = None,
    organisations: list[dict] | None = None,
) -> Person:
    """Change a person's fields (and optionally replace identities / affiliations), audited with before and after."""
    person = Person.objects.select_for_update().get(pk=person.pk, workspace=workspace)
    before = person_snapshot(person)
    fields = clean_person_fields({k: v for k, v in changes.items() if k in PERSON_FIELDS})
    if "phone" in fields and "country" not in changes and changes.get("phone"):
        fields.update(clean_person_fields({"phone": changes["phone"], "country": person.country}))
    for key, value in fields.items():
        setattr(person, key, value)
    person.save()
    if identities is not None:
        attach_identities(workspace=workspace, person=person, identities=identities)
    if organisations is not None:
        _apply_organisations(workspace=workspace, person=person, organisations=organisations)
    refresh_person_search(person)
    after = person_snapshot(person)
    if after != before:
        changed = {k for k in after if after[k] != before.get(k)}
        record_audit(
            workspace=workspace,
            actor=actor,
            action="contact.updated",
            object_type="person",
            object_id=person.pk,
            before={k: before.get(k) for k in changed},
            after={k: after[k] for k in changed},
        )
        emit("contact.updated", {"workspace_id": workspace.pk, "person_id": person.pk, "fields": sorted(changed)})
    return person


class PersonInUse(Exception):
    """The person cannot be deleted as things stand; the message says why and what to do."""


@transaction.atomic
def delete_person(*, workspace: Workspace, actor: Actor, person: Person) -> dict[str, int]:
    """Delete a person: each registered relation is deleted, detached or refuses, as its app chose; the audit
    keeps the person's snapshot and what was removed or detached. Returns the counts per relation."""
    relations = [(r, r.model_class()) for r in person_relations()]
    relations = [(r, m) for r, m in relations if m is not None]
    for relation, model in relations:
        if relation.on_delete == OnDelete.REFUSE and model.objects.filter(**{relation.field: person}).exists():
            raise PersonInUse(f"contact {person.pk} cannot be deleted: {relation.refuse_reason or relation.label}")
    before = person_snapshot(person)
    pk = person.pk
    removed: dict[str, list[int]] = {}
    detached: dict[str, list[int]] = {}
    for relation, model in relations:
        rows = model.objects.filter(**{relation.field: person})
        ids = list(rows.values_list("pk", flat=True))
        if not ids:
            continue
        if relation.on_delete == OnDelete.DETACH:
            model.objects.filter(pk__in=ids).update(**{relation.field: None})
            detached[relation.label] = ids
        elif relation.on_delete == OnDelete.DELETE:
            model.objects.filter(pk__in=ids).delete()
            removed[relation.label] = ids
    person.delete()
    record_audit(
        workspace=workspace,
        actor=actor,
        action="contact.deleted",
        object_type="person",
        object_id=pk,
        before=before,
        after={"removed": removed, "detached": detached},
    )
    emit("contact.deleted", {"workspace_id": workspace.pk, "person_id": pk})
    return {**{k: len(v) for k, v in removed.items()}, **{k: len(v) for k, v in detached.items()}}


def people(*, workspace: Workspace) -> QuerySet[Person]:
    """Live (not merged-away) people of a workspace."""
    return Person.objects.filter(workspace=workspace, merged_into__isnull=True)


def search_people(
    *,
    workspace: Workspace,
    query: str = "",
    lifecycle_stage: str = "",
    tag: str = "",
    organization_id: int | None = None,
    limit: int = 25,
    cursor: str | None = None,
) -> tuple[list[Person], str | None]:
    """Find people by name, email, phone, handle, organisation, customer number or tag; keyset-paged.

    Without a query the list is by name. With one, the best matches come first (see `search_rank`), then by name.
    """
    qs = people(workspace=workspace)
    tokens = [token.lstrip("@") if len(token) > 1 else token for token in fold(query).split()[:8]]
    for token in tokens:
        qs = qs.filter(search_text__contains=token)
    if lifecycle_stage:
        qs = qs.filter(lifecycle_stage=lifecycle_stage)
    if tag:
        qs = qs.filter(search_text__contains=f" #{fold(tag)} ")
    if organization_id:
        qs = qs.filter(affiliations__organization_id=organization_id).distinct()
    if tokens:
        qs = qs.annotate(search_rank=search_rank(tokens))
        fields = ["search_rank", "sort_name", "id"]
    else:
        fields = ["sort_name", "id"]
    rows, next_cursor = keyset_page(qs, fields=fields, descending=False, limit=limit, cursor=cursor)
    return rows, next_cursor


def search_rank(tokens: list[str]) -> Expression:
    """How well a person matches the query's words, as a sort key (lower is better), the same on every database.

    Per word: 4 when it is the person's first or last name, 3 when a name starts with it, 2 when it is a whole
    identifier or word of the search text (an email, a handle, a customer number, a city, an organisation), 1 when
    such a word starts with it, 0 when it only occurs inside one (every result contains every word somewhere).
    The key is minus the sum, so "kristensen" lists the Kristensens before "Lund, Kristensen & Co" staff.
    """
    total: Expression = Value(0)
    for token in tokens:
        name_word = (
            Q(sort_name=token)
            | Q(sort_name__startswith=f"{token} ")
            | Q(sort_name__endswith=f" {token}")
            | Q(sort_name__contains=f" {token} ")
        )
        name_prefix = Q(sort_name__startswith=token) | Q(sort_name__contains=f" {token}")
        total = total + Case(
            When(name_word, then=Value(4)),
            When(name_prefix, then=Value(3)),
            When(search_text__contains=f" {token} ", then=Value(2)),
            When(search_text__contains=f" {token}", then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    return ExpressionWrapper(-total, output_field=IntegerField())


# What apps above contacts add to a person's detail (influence's score...), registered from their AppConfig.ready.
_DETAIL_EXTENSIONS: dict[str, tuple[Any, Any]] = {}


def register_detail_extension(name: str, fn, schema=None) -> None:
    """Add `name` to GET /contacts/{id}: fn(person) gives its value (or None); schema types it in the OpenAPI."""
    _DETAIL_EXTENSIONS.setdefault(name, (fn, schema))


def detail_extensions() -> dict[str, tuple[Any, Any]]:
    """The registered extensions: name -> (fn, schema)."""
    return dict(_DETAIL_EXTENSIONS)


def extended_detail(person: Person) -> dict[str, Any]:
    """The values of every registered extension for one person."""
    return {name: fn(person) for name, (fn, _) in _DETAIL_EXTENSIONS.items()}


def with_details(qs: QuerySet[Person]) -> QuerySet[Person]:
    """Prefetch what a contact's full representation shows."""
    return qs.prefetch_related(
        "identities",
        Prefetch(
            "affiliations", queryset=Affiliation.objects.select_related("organization").order_by("-is_primary", "id")
        ),
    )


def timeline(
    *,
    workspace: Workspace,
    person_ids: list[int],
    channel: str = "",
    kind: str = "",
    limit: int = 50,
    cursor: str | None = None,
    reader: Reader | None = None,
) -> tuple[list[Touchpoint], str | None]:
    """Every touchpoint of the people, newest first, filterable by channel and kind; keyset-paged.

    Private messages the reader may not read keep their time and channel but lose their text (no reader: all do)."""
    qs = Touchpoint.objects.filter(workspace=workspace)
    qs = qs.filter(person_id=person_ids[0]) if len(person_ids) == 1 else qs.filter(person_id__in=person_ids)
    if channel:
        qs = qs.filter(channel=channel)
    if kind:
        qs = qs.filter(kind=kind)
    rows, next_cursor = keyset_page(qs, fields=["occurred_at", "id"], descending=True, limit=limit, cursor=cursor)
    return withhold_private(rows, reader=reader), next_cursor


@transaction.atomic
def log_touchpoint(
    *,
    workspace: Workspace,
    actor: Actor,
    person: Person,
    kind: str,
    channel: str,
    occurred_at: datetime,
    title: str = "",
    body: str = "",
    direction: str = "none",
    amount=None,
    currency: str = "",
    source: str = "",
    source_id: str = "",
    data: dict | None = None,
) -> Touchpoint:
    """Add one touchpoint (a call, a meeting, a note...) to a person's timeline."""
    tp = Touchpoint.objects.create(
        workspace=workspace,
        person=person,
        kind=kind,
        channel=channel,
        occurred_at=occurred_at,
        title=title[:200],
        body=body,
        direction=direction,
        amount=amount,
        currency=currency,
        source=source,
        source_id=source_id,
        data=data or {},
    )
    record_audit(
        workspace=workspace,
        actor=actor,
        action="touchpoint.created",
        object_type="person",
        object_id=person.pk,
        after={"touchpoint": tp.pk, "kind": kind, "channel": channel, "title": tp.title},
    )
    # Other apps react to what agents log (e.g. the inbox joins a customer's call to their open conversation).
    emit(
        "contacts.touchpoint_logged",
        {
            "workspace_id": workspace.pk,
            "person_id": person.pk,
            "touchpoint_id": tp.pk,
            "kind": kind,
            "channel": channel,
            "direction": direction,
            "actor_user_id": actor.user.pk if actor.user else None,
        },
    )
    return tp


def log_touchpoints_bulk(
    *,
    workspace: Workspace,
    actor: Actor,
    kind: str,
    channel: str,
    direction: str,
    source: str,
    entries: Iterable[Mapping[str, Any]],
) -> list[Touchpoint]:
    """Add many touchpoints of one kind, channel and direction at once (each message of a campaign): one insert,
    one bulk audit write, and one `contacts.touchpoints_logged` event for the batch instead of one
    `contacts.touchpoint_logged` per row. Each entry: person_id, occurred_at, and optionally title, body,
    source_id, data."""
    from rapport.core.services import record_audit_bulk

    rows = [
        Touchpoint(
            workspace=workspace,
            person_id=e["person_id"],
            kind=kind,
            channel=channel,
            direction=direction,
            occurred_at=e["occurred_at"],
            title=(e.get("title") or "")[:200],
            body=e.get("body") or "",
            source=source,
            source_id=str(e.get("source_id") or ""),
            data=e.get("data") or {},
        )
        for e in entries
    ]
    if not rows:
        return []
    with transaction.atomic():
        Touchpoint.objects.bulk_create(rows, batch_size=1000)
        record_audit_bulk(
            workspace=workspace,
            actor=actor,
            events=[
                (
                    "touchpoint.created",
                    "person",
                    tp.person_id,
                    {"touchpoint": tp.pk, "kind": kind, "channel": channel, "title": tp.title},
                )
                for tp in rows
            ],
        )
        emit(
            "contacts.touchpoints_logged",
            {
                "workspace_id": workspace.pk,
                "kind": kind,
                "channel": channel,
                "direction": direction,
                "source": source,
                "touchpoint_ids": [tp.pk for tp in rows],
                "person_ids": sorted({tp.person_id for tp in rows}),
            },
        )
    return rows


# Organisations


def refresh_organization_search(org: Organization) -> None:
    """Recompute an organisation's search text."""
    org.search_text = (
        " " + " ".join(fold(p) for p in (org.name, org.domain, org.city, org.industry, org.external_id) if p) + " "
    )
    Organization.objects.filter(pk=org.pk).update(search_text=org.search_text)


def organization_snapshot(org: Organization) -> dict[str, Any]:
    """The audited state of an organisation."""
    return {f: getattr(org, f) for f in ORGANIZATION_FIELDS}


def clean_organization_fields(data: dict) -> dict:
    """Validate organisation fields; raise FieldErrors naming the bad ones."""
    errors, out = {}, {}
    for field, value in data.items():
        if field not in ORGANIZATION_FIELDS:
            continue
        if field == "tags":
            from rapport.contacts.validation import clean_tags

            out[field] = clean_tags(value)
            continue
        value = (value or "").strip() if isinstance(value, str) or value is None else value
        if field == "kind" and value not in OrganizationKind.values:
            errors[field] = f"{value!r} is not one of {', '.join(OrganizationKind.values)}"
        elif field == "country" and value and (len(value) != 2 or not value.isalpha()):
            errors[field] = f"{value!r} is not a two-letter ISO country code"
        elif isinstance(value, str) and len(value) > Organization._meta.get_field(field).max_length:
            errors[field] = f"is longer than {Organization._meta.get_field(field).max_length} characters"
        elif isinstance(value, str) and "\x00" in value:
            errors[field] = "contains control characters"
        else:
            out[field] = value.upper() if field == "country" else value
    if "name" in data and not out.get("name") and "name" not in errors:
        errors["name"] = "an organisation needs a name"
    if errors:
        raise FieldErrors(errors)
    return out


@transaction.atomic
def create_organization(*, workspace: Workspace, actor: Actor, data: dict) -> Organization:
    """Create an organisation, audited."""
    fields = clean_organization_fields({"kind": "company", **data, "name": data.get("name")})
    org = Organization.objects.create(workspace=workspace, **fields)
    refresh_organization_search(org)
    record_audit(
        workspace=workspace,
        actor=actor,
        action="organisation.created",
        object_type="organization",
        object_id=org.pk,
        after=organization_snapshot(org),
    )
    return org


@transaction.atomic
def update_organization(*, workspace: Workspace, actor: Actor, org: Organization, changes: dict) -> Organization:
    """Change an organisation, audited with before and after."""
    org = Organization.objects.select_for_update().get(pk=org.pk, workspace=workspace)
    before = organization_snapshot(org)
    for key, value in clean_organization_fields(changes).items():
        setattr(org, key, value)
    org.save()
    refresh_organization_search(org)
    after = organization_snapshot(org)
    changed = {k for k in after if after[k] != before[k]}
    if changed:
        record_audit(
            workspace=workspace,
            actor=actor,
            action="organisation.updated",
            object_type="organization",
            object_id=org.pk,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return org


@transaction.atomic
def delete_organization(*, workspace: Workspace, actor: Actor, org: Organization) -> None:
    """Delete an organisation (its people stay), audited."""
    before = organization_snapshot(org)
    pk = org.pk
    org.delete()
    record_audit(
        workspace=workspace,
        actor=actor,
        action="organisation.deleted",
        object_type="organization",
        object_id=pk,
        before=before,
    )


def search_organizations(
    *, workspace: Workspace, query: str = "", kind: str = "", limit: int = 25, cursor: str | None = None
) -> tuple[list[Organization], str | None]:
    """Find organisations by name, domain, city or industry; keyset-paged by name."""
    qs = Organization.objects.filter(workspace=workspace)
    for token in fold(query).split()[:8]:
        qs = qs.filter(search_text__contains=token)
    if kind:
        qs = qs.filter(kind=kind)
    return keyset_page(qs, fields=["name", "id"], descending=False, limit=limit, cursor=cursor)

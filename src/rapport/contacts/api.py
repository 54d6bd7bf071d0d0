"""Contacts API: people and organisations, their timelines and audit trails."""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from rapport.contacts import services
from rapport.contacts.models import Organization, Person, TouchpointChannel, TouchpointKind
from rapport.contacts.schemas import (
    AuditPage,
    ContactIn,
    ContactOut,
    ContactPage,
    OrganisationIn,
    OrganisationOut,
    OrganisationPage,
    TimelinePage,
    TouchpointIn,
    TouchpointOut,
    contact_detail_schema,
)
from rapport.core.apiauth import require
from rapport.core.apitypes import Cursor, Id, Limit, Text
from rapport.core.privacy import reader_for
from rapport.core.services import audit_trail

router = Router(tags=["contacts"])
organisations_router = Router(tags=["organisations"])


def contact_out(person: Person) -> dict:
    """The API representation of a person (expects identities and affiliations prefetched)."""
    data = {f: getattr(person, f) for f in services.PERSON_FIELDS}
    data.update(
        id=person.pk,
        name=person.name,
        merged_into=person.merged_into_id,
        created_at=person.created_at,
        updated_at=person.updated_at,
        identities=[
            {
                "id": i.pk,
                "network": i.network,
                "handle": i.handle,
                "external_id": i.external_id,
                "profile_url": i.profile_url,
                "display_name": i.display_name,
                "followers": i.followers,
            }
            for i in person.identities.all()
        ],
        organisations=[
            {
                "id": a.organization_id,
                "name": a.organization.name,
                "kind": a.organization.kind,
                "role": a.role,
                "is_primary": a.is_primary,
            }
            for a in person.affiliations.all()
        ],
    )
    return data


def _split_name(payload: dict) -> dict:
    name = (payload.pop("name", None) or "").strip()
    if name and not payload.get("first_name") and not payload.get("last_name"):
        first, _, last = name.rpartition(" ")
        payload["first_name"], payload["last_name"] = (first, last) if first else (name, "")
    return payload


def _person(request: HttpRequest, contact_id: int) -> Person:
    return get_object_or_404(services.with_details(Person.objects.filter(workspace=request.workspace)), pk=contact_id)


class ContactFilters(Schema):
    search: Text(200) = ""
    lifecycle_stage: Text(16) = ""
    tag: Text(50) = ""
    organisation: Id | None = None
    limit: Limit = 25
    cursor: Cursor | None = None


@router.get("", response=ContactPage)
def list_contacts(request: HttpRequest, filters: Query[ContactFilters]):
    """Search people by name, email, phone, social handle, organisation, customer number or tag."""
    require(request, "contacts.view")
    rows, next_cursor = services.search_people(
        workspace=request.workspace,
        query=filters.search,
        lifecycle_stage=filters.lifecycle_stage,
        tag=filters.tag,
        organization_id=filters.organisation,
        limit=filters.limit,
        cursor=filters.cursor,
    )
    detailed = {p.pk: p for p in services.with_details(Person.objects.filter(pk__in=[r.pk for r in rows]))}
    return {"items": [contact_out(detailed[r.pk]) for r in rows], "next_cursor": next_cursor}


@router.post("", response={201: ContactOut})
def create_contact(request: HttpRequest, payload: ContactIn):
    """Create a person, with social identities and organisations."""
    require(request, "contacts.change")
    data = _split_name(payload.dict(exclude_unset=True))
    identities, organisations = data.pop("identities", None), data.pop("organisations", None)
    person = services.create_person(
        workspace=request.workspace, actor=request.actor, data=data, identities=identities, organisations=organisations
    )
    return Status(201, contact_out(_person(request, person.pk)))


@router.get("/{contact_id}", response=contact_detail_schema())
def get_contact(request: HttpRequest, contact_id: Id):
    """One person with identities and organisations, and what other apps add (their influence score)."""
    require(request, "contacts.view")
    person = _person(request, contact_id)
    services.record_view(person, actor=request.actor, what="API")
    return {**contact_out(person), **services.extended_detail(person)}


@router.patch("/{contact_id}", response=ContactOut)
def update_contact(request: HttpRequest, contact_id: Id, payload: ContactIn):
    """Change a person; `identities` and `organisations`, when given, replace the lists."""
    require(request, "contacts.change")
    person = _person(request, contact_id)
    data = _split_name(payload.dict(exclude_unset=True))
    identities, organisations = data.pop("identities", None), data.pop("organisations", None)
    services.update_person(
        workspace=request.workspace,
        actor=request.actor,
        person=person,
        changes=data,
        identities=identities,
        organisations=organisations,
    )
    return contact_out(_person(request, contact_id))


class DeleteRefused(Schema):
    detail: str


@router.delete("/{contact_id}", response={204: None, 409: DeleteRefused})
def delete_contact(request: HttpRequest, contact_id: Id):
    """Delete a person (admins and DPOs): the timeline goes, conversations, posts and accounts stay detached, and
    the audit log keeps what was deleted; 409 says why when the deletion must wait (e.g. an undoable merge)."""
    require(request, "contacts.delete")
    try:
        services.delete_person(workspace=request.workspace, actor=request.actor, person=_person(request, contact_id))
    except services.PersonInUse as exc:
        return Status(409, {"detail": str(exc)})
    return Status(204, None)


class TimelineFilters(Schema):
    channel: TouchpointChannel | None = None
    kind: TouchpointKind | None = None
    limit: Limit = 50
    cursor: Cursor | None = None


def _touchpoint_out(tp) -> dict:
    return {f: getattr(tp, f) for f in TouchpointOut.model_fields}


@router.get("/{contact_id}/timeline", response=TimelinePage)
def contact_timeline(request: HttpRequest, contact_id: Id, filters: Query[TimelineFilters]):
    """Every touchpoint of the person, newest first, filterable by channel and kind."""
    require(request, "contacts.view")
    person = _person(request, contact_id)
    rows, next_cursor = services.timeline(
        workspace=request.workspace,
        person_ids=[person.pk],
        channel=filters.channel or "",
        kind=filters.kind or "",
        limit=filters.limit,
        cursor=filters.cursor,
        reader=reader_for(request),
    )
    return {"items": [_touchpoint_out(t) for t in rows], "next_cursor": next_cursor}


@router.post("/{contact_id}/touchpoints", response={201: TouchpointOut})
def add_touchpoint(request: HttpRequest, contact_id: Id, payload: TouchpointIn):
    """Log a touchpoint (call, meeting, note, purchase...) on the person's timeline.

    An inbound call, meeting, email or chat (`direction: inbound`) also joins the person's open conversation in the
    care inbox, or opens one, so it counts as a contact there."""
    require(request, "contacts.change")
    person = _person(request, contact_id)
    tp = services.log_touchpoint(workspace=request.workspace, actor=request.actor, person=person, **payload.dict())
    return Status(201, _touchpoint_out(tp))


def _audit_out(events) -> dict:
    return {
        "items": [
            {
                "id": e.pk,
                "created_at": e.created_at,
                "actor": e.actor_label,
                "actor_kind": e.actor_kind,
                "action": e.action,
                "before": e.before,
                "after": e.after,
            }
            for e in events
        ]
    }


@router.get("/{contact_id}/audit", response=AuditPage)
def contact_audit(request: HttpRequest, contact_id: Id):
    """The newest audit events of the person: who changed what, when, before and after."""
    require(request, "audit.view")
    person = _person(request, contact_id)
    return _audit_out(audit_trail(workspace=request.workspace, object_type="person", object_id=person.pk))


# Organisations


def organisation_out(org: Organization) -> dict:
    data = {f: getattr(org, f) for f in services.ORGANIZATION_FIELDS}
    data.update(
        id=org.pk, created_at=org.created_at, updated_at=org.updated_at, people_count=getattr(org, "people_count", 0)
    )
    return data


def _org(request: HttpRequest, org_id: int) -> Organization:
    qs = Organization.objects.filter(workspace=request.workspace).annotate(people_count=Count("affiliations"))
    return get_object_or_404(qs, pk=org_id)


class OrganisationFilters(Schema):
    search: Text(200) = ""
    kind: Text(16) = ""
    limit: Limit = 25
    cursor: Cursor | None = None


@organisations_router.get("", response=OrganisationPage)
def list_organisations(request: HttpRequest, filters: Query[OrganisationFilters]):
    """Search organisations (companies, associations, networks) by name, domain, city or industry."""
    require(request, "contacts.view")
    rows, next_cursor = services.search_organizations(
        workspace=request.workspace, query=filters.search, kind=filters.kind, limit=filters.limit, cursor=filters.cursor
    )
    counts = dict(
        Organization.objects.filter(pk__in=[r.pk for r in rows])
        .annotate(n=Count("affiliations"))
        .values_list("pk", "n")
    )
    for row in rows:
        row.people_count = counts.get(row.pk, 0)
    return {"items": [organisation_out(r) for r in rows], "next_cursor": next_cursor}


@organisations_router.post("", response={201: OrganisationOut})
def create_organisation(request: HttpRequest, payload: OrganisationIn):
    """Create an organisation."""
    require(request, "contacts.change")
    org = services.create_organization(
        workspace=request.workspace, actor=request.actor, data=payload.dict(exclude_unset=True)
    )
    return Status(201, organisation_out(_org(request, org.pk)))


@organisations_router.get("/{org_id}", response=OrganisationOut)
def get_organisation(request: HttpRequest, org_id: Id):
    """One organisation."""
    require(request, "contacts.view")
    return organisation_out(_org(request, org_id))


@organisations_router.patch("/{org_id}", response=OrganisationOut)
def update_organisation(request: HttpRequest, org_id: Id, payload: OrganisationIn):
    """Change an organisation."""
    require(request, "contacts.change")
    services.update_organization(
        workspace=request.workspace,
        actor=request.actor,
        org=_org(request, org_id),
        changes=payload.dict(exclude_unset=True),
    )
    return organisation_out(_org(request, org_id))


@organisations_router.delete("/{org_id}", response={204: None})
def delete_organisation(request: HttpRequest, org_id: Id):
    """Delete an organisation; its people stay."""
    require(request, "contacts.delete")
    services.delete_organization(workspace=request.workspace, actor=request.actor, org=_org(request, org_id))
    return Status(204, None)


@organisations_router.get("/{org_id}/people", response=ContactPage)
def organisation_people(request: HttpRequest, org_id: Id, limit: Limit = 25, cursor: Cursor | None = None):
    """The people affiliated with an organisation."""
    require(request, "contacts.view")
    org = _org(request, org_id)
    rows, next_cursor = services.search_people(
        workspace=request.workspace, organization_id=org.pk, limit=limit, cursor=cursor
    )
    detailed = {p.pk: p for p in services.with_details(Person.objects.filter(pk__in=[r.pk for r in rows]))}
    return {"items": [contact_out(detailed[r.pk]) for r in rows], "next_cursor": next_cursor}


@organisations_router.get("/{org_id}/timeline", response=TimelinePage)
def organisation_timeline(request: HttpRequest, org_id: Id, filters: Query[TimelineFilters]):
    """Every touchpoint of the organisation's people, newest first."""
    require(request, "contacts.view")
    org = _org(request, org_id)
    person_ids = list(org.affiliations.values_list("person_id", flat=True)[:5000]) or [0]
    rows, next_cursor = services.timeline(
        workspace=request.workspace,
        person_ids=person_ids,
        channel=filters.channel or "",
        kind=filters.kind or "",
        limit=filters.limit,
        cursor=filters.cursor,
        reader=reader_for(request),
    )
    return {"items": [_touchpoint_out(t) for t in rows], "next_cursor": next_cursor}


@organisations_router.get("/{org_id}/audit", response=AuditPage)
def organisation_audit(request: HttpRequest, org_id: Id):
    """The newest audit events of the organisation."""
    require(request, "audit.view")
    org = _org(request, org_id)
    return _audit_out(audit_trail(workspace=request.workspace, object_type="organization", object_id=org.pk))

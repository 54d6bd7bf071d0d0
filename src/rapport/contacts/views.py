"""Contacts web pages: thin views over the contacts services."""

from __future__ import annotations

import os
import uuid

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from rapport.contacts import services
from rapport.contacts.access import VIEWED
from rapport.contacts.csvfile import CANONICAL_HEADERS, ImportFileError, parse_delimiter, parse_mapping
from rapport.contacts.exporter import export_rows
from rapport.contacts.forms import OrganizationForm, PersonForm, TouchpointForm
from rapport.contacts.importer import import_contacts
from rapport.contacts.models import (
    ContactImport,
    LifecycleStage,
    Organization,
    OrganizationKind,
    Person,
    TouchpointChannel,
    TouchpointKind,
)
from rapport.contacts.tasks import run_import
from rapport.core import csvsafe
from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.core.pagination import BadCursor
from rapport.core.privacy import reader_for
from rapport.core.services import audit_trail, has_permission
from rapport.web.views import workspace_required

PAGE = 25


def _cursor(request: HttpRequest) -> str | None:
    return request.GET.get("cursor") or None


@workspace_required("contacts.view")
def contact_list(request: HttpRequest) -> HttpResponse:
    """Search people; htmx requests get only the result rows."""
    query = request.GET.get("q", "")[:200]
    stage = request.GET.get("stage", "")
    try:
        rows, next_cursor = services.search_people(
            workspace=request.workspace,
            query=query,
            lifecycle_stage=stage if stage in LifecycleStage.values else "",
            limit=PAGE,
            cursor=_cursor(request),
        )
    except BadCursor:
        rows, next_cursor = [], None
    rows = list(services.with_details(Person.objects.filter(pk__in=[r.pk for r in rows])).order_by("sort_name", "id"))
    ctx = {
        "rows": rows,
        "next_cursor": next_cursor,
        "q": query,
        "stage": stage,
        "stages": LifecycleStage.choices,
        "nav": "contacts",
        "can_change": has_permission(role=request.role, permission="contacts.change"),
        "can_import": has_permission(role=request.role, permission="contacts.import"),
        "can_export": has_permission(role=request.role, permission="contacts.export"),
    }
    template = "contacts/_rows.html" if request.headers.get("HX-Request") else "contacts/list.html"
    return render(request, template, ctx)


def _person(request: HttpRequest, pk: int) -> Person:
    return get_object_or_404(services.with_details(Person.objects.filter(workspace=request.workspace)), pk=pk)


@workspace_required("contacts.view")
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A person: details, organisations, memberships, identities, timeline and audit trail."""
    person = _person(request, pk)
    if person.merged_into_id:
        messages.info(request, f"{person.name} was merged into this contact.")
        return redirect("contacts:detail", pk=person.merged_into_id)
    services.record_view(person, actor=Actor.for_user(request.user), what="person page")
    return render(request, "contacts/detail.html", _detail_ctx(request, person, log_form=TouchpointForm()))


def _detail_ctx(request: HttpRequest, person: Person, *, log_form: TouchpointForm) -> dict:
    affiliations = list(person.affiliations.all())
    ctx = {
        "person": person,
        "nav": "contacts",
        "employers": [
            a for a in affiliations if a.organization.kind in (OrganizationKind.COMPANY, OrganizationKind.PUBLIC)
        ],
        "memberships": [
            a for a in affiliations if a.organization.kind in (OrganizationKind.ASSOCIATION, OrganizationKind.NETWORK)
        ],
        "channels": TouchpointChannel.choices,
        "kinds": TouchpointKind.choices,
        # Changes, not reads: who viewed the record is the DPO's access log.
        "audit": audit_trail(
            workspace=request.workspace, object_type="person", object_id=person.pk, limit=20, exclude=[VIEWED]
        ),
        "can_change": has_permission(role=request.role, permission="contacts.change"),
        "log_form": log_form,
    }
    ctx.update(_timeline_ctx(request, person))
    return ctx


@workspace_required("contacts.change")
def contact_log(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a call, meeting, email, chat or note. htmx gets the form back and a trigger that refreshes the timeline;
    a plain form post is redirected to the person (or shown the page again with the form's errors)."""
    person = _person(request, pk)
    if request.method != "POST":
        return redirect("contacts:detail", pk=pk)
    form = TouchpointForm(request.POST)
    logged = None
    if form.is_valid():
        data = form.cleaned_data
        logged = services.log_touchpoint(
            workspace=request.workspace,
            actor=Actor.for_user(request.user),
            person=person,
            kind=data["kind"],
            channel=data["channel"],
            direction=data["direction"],
            occurred_at=data["occurred_at"] or timezone.now(),
            title=data["title"].strip(),
            body=data["body"].strip(),
        )
        form = TouchpointForm()
    if not request.headers.get("HX-Request"):
        if logged is not None:
            messages.success(request, f"Logged: {logged.get_kind_display()}.")
            return redirect("contacts:detail", pk=person.pk)
        return render(request, "contacts/detail.html", _detail_ctx(request, person, log_form=form))
    response = render(request, "contacts/_log_form.html", {"person": person, "log_form": form, "logged": logged})
    if logged is not None:
        response["HX-Trigger"] = "timeline-changed"
    return response


def _timeline_ctx(request: HttpRequest, person: Person) -> dict:
    channel = request.GET.get("channel", "")
    kind = request.GET.get("kind", "")
    try:
        items, next_cursor = services.timeline(
            workspace=request.workspace,
            person_ids=[person.pk],
            channel=channel if channel in TouchpointChannel.values else "",
            kind=kind if kind in TouchpointKind.values else "",
            limit=PAGE,
            cursor=_cursor(request),
            reader=reader_for(request),
        )
    except BadCursor:
        items, next_cursor = [], None
    return {"items": items, "next_cursor": next_cursor, "channel": channel, "kind": kind}


@workspace_required("contacts.view")
def contact_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """The timeline entries of a person (htmx: filter changes and 'show more')."""
    person = _person(request, pk)
    ctx = {"person": person, **_timeline_ctx(request, person)}
    return render(request, "contacts/_timeline.html", ctx)


def _save_person(request: HttpRequest, form: PersonForm, person: Person | None) -> Person | None:
    data = {k: v for k, v in form.cleaned_data.items() if k not in ("twitter", "organisation", "organisation_role")}
    data["date_of_birth"] = data.get("date_of_birth") or None
    twitter = form.cleaned_data.get("twitter", "").strip()
    org = form.cleaned_data.get("organisation", "").strip()
    identities = organisations = None
    if twitter:
        existing = (
            []
            if person is None
            else [
                {"network": i.network, "handle": i.handle, "external_id": i.external_id}
                for i in person.identities.all()
                if i.network != "twitter"
            ]
        )
        identities = [*existing, {"network": "twitter", "handle": twitter}]
    if org:
        existing = (
            []
            if person is None
            else [
                {"id": a.organization_id, "role": a.role, "is_primary": a.is_primary}
                for a in person.affiliations.all()
                if a.organization.name.lower() != org.lower()
            ]
        )
        organisations = [*existing, {"name": org, "role": form.cleaned_data.get("organisation_role", "")}]
    actor = Actor.for_user(request.user)
    try:
        if person is None:
            return services.create_person(
                workspace=request.workspace, actor=actor, data=data, identities=identities, organisations=organisations
            )
        return services.update_person(
            workspace=request.workspace,
            actor=actor,
            person=person,
            changes=data,
            identities=identities,
            organisations=organisations,
        )
    except FieldErrors as exc:
        for field, msg in exc.errors.items():
            form.add_error(field if field in form.fields else None, msg)
        return None


@workspace_required("contacts.change")
def contact_create(request: HttpRequest) -> HttpResponse:
    """Create a person."""
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = _save_person(request, form, None)
        if person is not None:
            messages.success(request, f"Created {person.name}.")
            return redirect("contacts:detail", pk=person.pk)
    return render(request, "contacts/edit.html", {"form": form, "nav": "contacts", "person": None})


@workspace_required("contacts.change")
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a person."""
    person = _person(request, pk)
    form = PersonForm(request.POST or None, instance=Person.objects.get(pk=person.pk))
    if request.method == "POST" and form.is_valid() and _save_person(request, form, person) is not None:
        messages.success(request, "Saved.")
        return redirect("contacts:detail", pk=person.pk)
    return render(request, "contacts/edit.html", {"form": form, "nav": "contacts", "person": person})


@workspace_required("contacts.view")
def organisation_list(request: HttpRequest) -> HttpResponse:
    """Search organisations."""
    query = request.GET.get("q", "")[:200]
    try:
        rows, next_cursor = services.search_organizations(
            workspace=request.workspace, query=query, limit=PAGE, cursor=_cursor(request)
        )
    except BadCursor:
        rows, next_cursor = [], None
    ctx = {
        "rows": rows,
        "next_cursor": next_cursor,
        "q": query,
        "nav": "organisations",
        "can_change": has_permission(role=request.role, permission="contacts.change"),
    }
    template = "contacts/_org_rows.html" if request.headers.get("HX-Request") else "contacts/org_list.html"
    return render(request, template, ctx)


@workspace_required("contacts.view")
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An organisation with its people and audit trail."""
    org = get_object_or_404(Organization, workspace=request.workspace, pk=pk)
    people = org.affiliations.select_related("person").order_by("person__sort_name")[:200]
    ctx = {
        "org": org,
        "people": people,
        "nav": "organisations",
        "audit": audit_trail(workspace=request.workspace, object_type="organization", object_id=org.pk, limit=20),
        "can_change": has_permission(role=request.role, permission="contacts.change"),
    }
    return render(request, "contacts/org_detail.html", ctx)


def _save_org(request: HttpRequest, form: OrganizationForm, org: Organization | None) -> Organization | None:
    actor = Actor.for_user(request.user)
    try:
        if org is None:
            return services.create_organization(workspace=request.workspace, actor=actor, data=form.cleaned_data)
        return services.update_organization(
            workspace=request.workspace, actor=actor, org=org, changes=form.cleaned_data
        )
    except FieldErrors as exc:
        for field, msg in exc.errors.items():
            form.add_error(field if field in form.fields else None, msg)
        return None


@workspace_required("contacts.change")
def organisation_create(request: HttpRequest) -> HttpResponse:
    """Create an organisation."""
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and (org := _save_org(request, form, None)):
        return redirect("contacts:org-detail", pk=org.pk)
    return render(request, "contacts/org_edit.html", {"form": form, "org": None, "nav": "organisations"})


@workspace_required("contacts.change")
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit an organisation."""
    org = get_object_or_404(Organization, workspace=request.workspace, pk=pk)
    form = OrganizationForm(request.POST or None, instance=Organization.objects.get(pk=org.pk))
    if request.method == "POST" and form.is_valid() and _save_org(request, form, org):
        messages.success(request, "Saved.")
        return redirect("contacts:org-detail", pk=org.pk)
    return render(request, "contacts/org_edit.html", {"form": form, "org": org, "nav": "organisations"})


@workspace_required("contacts.import")
def contact_import(request: HttpRequest) -> HttpResponse:
    """Upload a CSV: map columns, dry-run it, then import; rejected rows are listed by line."""
    ctx: dict = {"nav": "contacts", "headers": CANONICAL_HEADERS, "mapping": request.POST.get("mapping", "")}
    if request.method == "POST":
        upload = request.FILES.get("file")
        dry_run = bool(request.POST.get("dry_run"))
        if upload is None:
            ctx["error"] = "Choose a CSV file to import."
        elif upload.size > settings.RAPPORT_IMPORT_INLINE_BYTES:
            try:
                parse_mapping(ctx["mapping"])
                parse_delimiter(request.POST.get("delimiter"))
            except ImportFileError as exc:
                ctx["error"] = str(exc)
            else:
                job = queue_import(request, upload, dry_run=dry_run)
                return redirect("contacts:import-progress", import_id=job.pk)
        else:
            try:
                result = import_contacts(
                    workspace=request.workspace,
                    actor=Actor.for_user(request.user),
                    stream=upload.file,
                    mapping=parse_mapping(ctx["mapping"]),
                    dry_run=dry_run,
                    encoding=request.POST.get("encoding") or "utf-8-sig",
                    delimiter=parse_delimiter(request.POST.get("delimiter")),
                )
                ctx.update(result=result, summary=result.summary(), file_name=upload.name)
            except (ImportFileError, LookupError) as exc:
                ctx["error"] = str(exc)
    return render(request, "contacts/import.html", ctx)


def queue_import(request: HttpRequest, upload, *, dry_run: bool) -> ContactImport:
    """Keep the uploaded file (mode 0600, under RAPPORT_HOME) and hand it to the job runner."""
    folder = settings.RAPPORT_HOME / "imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.csv"
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    with path.open("rb") as fh:
        lines = max(0, sum(1 for _ in fh) - 1)
    job = ContactImport.objects.create(
        workspace=request.workspace,
        file_name=upload.name[:255],
        path=str(path),
        mapping=request.POST.get("mapping", "")[:2000],
        encoding=request.POST.get("encoding") or "utf-8-sig",
        delimiter=request.POST.get("delimiter", "")[:8],
        dry_run=dry_run,
        requested_by=request.user,
        total_lines=lines,
    )
    transaction.on_commit(lambda: run_import.enqueue(job.pk))
    return job


@workspace_required("contacts.import")
def contact_import_progress(request: HttpRequest, import_id: int) -> HttpResponse:
    """A queued or running import: its progress (the page refreshes itself until the job ends), then its result."""
    job = get_object_or_404(ContactImport, pk=import_id, workspace=request.workspace)
    return render(request, "contacts/import_progress.html", {"nav": "contacts", "job": job})


@workspace_required("contacts.export")
def contact_export(request: HttpRequest) -> StreamingHttpResponse:
    """Download every live person as CSV with the canonical headers, streamed."""
    rows = export_rows(workspace=request.workspace)
    return csvsafe.download(csvsafe.dict_lines(CANONICAL_HEADERS, rows), f"{request.workspace.slug}-contacts.csv")

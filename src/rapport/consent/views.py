"""Consent pages: the public sign-up form, opt-in confirmation, preference centre and unsubscribe; the DPO's
screens (requests with deadlines, a person's privacy page and readable export, the access audit)."""

from __future__ import annotations

import time

from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext, pgettext
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from rapport.consent import collection, requests, services
from rapport.consent.models import ContactChannel, PrivacyRequest, Purpose, RequestKind, RequestStatus, SignupForm
from rapport.contacts.models import Person
from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.core.models import AuditEvent
from rapport.core.ratelimit import hit
from rapport.web.views import workspace_required

FORM_LIMIT, FORM_WINDOW = 10, 60  # submissions per client address per minute
STAMP_SALT = "rapport.consent.form-stamp"


def _bad_link(request: HttpRequest, message: str) -> HttpResponse:
    return render(
        request, "consent/message.html", {"title": gettext("This link cannot be used"), "message": message}, status=400
    )


def _frameable(response: HttpResponse) -> HttpResponse:
    # The form may be embedded on the brand's own site; nothing else about the page changes.
    response["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors *; base-uri 'self'; form-action 'self'; object-src 'none'"
    )
    return response


@csrf_exempt  # embedded on other sites, where Rapport's CSRF cookie is a third-party cookie; bots meet the honeypot
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest, workspace: str, slug: str) -> HttpResponse:
    """The public sign-up form. It shows only the form; it answers every post with the same thank-you page."""
    form = (
        SignupForm.objects.filter(workspace__slug=workspace, slug=slug, active=True).select_related("workspace").first()
    )
    if form is None:
        raise Http404("no such form")
    ctx = {
        "form": form,
        "fields": collection.form_fields(form),
        "errors": {},
        "values": {},
        "embed": "embed" in request.GET,
    }
    if request.method == "POST":
        if not hit(f"consent-form:{request.META.get('REMOTE_ADDR', '')}", limit=FORM_LIMIT, window=FORM_WINDOW):
            return _frameable(
                render(
                    request,
                    "consent/message.html",
                    {"title": gettext("Too many sign-ups"), "message": gettext("Please try again in a minute.")},
                    status=429,
                )
            )
        if _looks_automated(request):
            # A bot gets the same answer a person gets, and nothing is stored or sent.
            return _frameable(render(request, "consent/signed_up.html", {"form": form, "double": form.double_opt_in}))
        try:
            sub = collection.validate(form, request.POST.dict(), collection.request_evidence(request))
        except FieldErrors as exc:
            ctx.update(errors=exc.errors, values=request.POST.dict())
            ctx["stamp"] = signing.dumps(time.time(), salt=STAMP_SALT)
            return _frameable(render(request, "consent/signup.html", ctx, status=400))
        if form.double_opt_in:
            collection.send_confirmation(sub)
        else:
            collection.apply(sub, source="form")
        return _frameable(render(request, "consent/signed_up.html", {"form": form, "double": form.double_opt_in}))
    ctx["stamp"] = signing.dumps(time.time(), salt=STAMP_SALT)
    return _frameable(render(request, "consent/signup.html", ctx))


def _looks_automated(request: HttpRequest) -> bool:
    """The honeypot field was filled, or the form came back faster than a person types, or without its stamp."""
    if request.POST.get("website"):
        return True
    try:
        shown = float(signing.loads(request.POST.get("stamp", ""), salt=STAMP_SALT, max_age=86400))
    except (signing.BadSignature, TypeError, ValueError):
        return True
    return time.time() - shown < collection.MIN_FILL_SECONDS


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The double-opt-in link. GET asks for the click (mail scanners open links), POST confirms."""
    if request.method == "GET":
        try:
            data = collection._load("opt_in", token, days=collection.OPT_IN_DAYS)
        except collection.BadLink as exc:
            return _bad_link(request, str(exc))
        if collection.link_is_spent(data):
            return _bad_link(request, gettext("This link was already used."))
        return render(request, "consent/confirm.html", {})
    try:
        collection.confirm(token, collection.request_evidence(request))
    except collection.BadLink as exc:
        return _bad_link(request, str(exc))
    context = {"title": gettext("Thank you"), "message": gettext("Your sign-up is confirmed.")}
    return render(request, "consent/message.html", context)


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    """The person's preference centre: each purpose on each channel, to give or withdraw. No personal data shown."""
    try:
        data = collection._load("preferences", token, days=collection.PREFERENCE_DAYS)
        person = collection.person_for(data)
    except collection.BadLink as exc:
        return _bad_link(request, str(exc))
    if request.method == "POST":
        chosen = set()
        for key in request.POST.getlist("consent"):
            purpose, _, channel = key.partition(":")
            chosen.add((purpose, channel))
        if request.POST.get("withdraw_all"):
            chosen = set()
        try:
            person, changes = collection.save_preferences(token, chosen, collection.request_evidence(request))
        except collection.BadLink as exc:
            return _bad_link(request, str(exc))
        # A fresh link for further changes: the one just used is spent.
        return redirect("consent:preferences", token=collection.preference_token(person))
    if collection.link_is_spent(data):
        return _bad_link(request, gettext("This link was already used."))
    state = collection.preferences_of(person)
    channels = [{"value": c.value, "label": _channel_label(c)} for c in collection.PREFERENCE_CHANNELS]
    rows = [
        {
            "label": gettext(p.label),
            "cells": [
                {"key": f"{p.value}:{c['value']}", "on": state[(p.value, c["value"])], "label": c["label"]}
                for c in channels
            ],
        }
        for p in collection.PREFERENCE_PURPOSES
    ]
    processing = [
        {"key": f"{p.value}:", "on": state[(p.value, "")], "label": gettext(p.label)}
        for p in collection.PROCESSING_PURPOSES
    ]
    return render(request, "consent/preferences.html", {"rows": rows, "channels": channels, "processing": processing})


def _channel_label(channel: ContactChannel) -> str:
    """A contact channel's name in the reader's language ("Post" is letters, not a social post)."""
    if channel == ContactChannel.POST:
        return pgettext("contact channel: letters by mail", "Post")
    return gettext(channel.label)


@csrf_exempt  # RFC 8058: the mail client posts "List-Unsubscribe=One-Click" without a session
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One-click unsubscribe: POST withdraws at once; GET shows a button (link scanners must not unsubscribe)."""
    try:
        data = collection._load("unsubscribe", token, days=collection.UNSUBSCRIBE_DAYS)
        collection.person_for(data)
    except collection.BadLink as exc:
        return _bad_link(request, str(exc))
    if request.method == "GET":
        return render(request, "consent/unsubscribe.html", {})
    try:
        collection.unsubscribe(token, collection.request_evidence(request))
    except collection.BadLink as exc:
        return _bad_link(request, str(exc))
    return render(
        request,
        "consent/message.html",
        {"title": gettext("Unsubscribed"), "message": gettext("You will not hear from us about this again.")},
    )


# --- the DPO's screens --------------------------------------------------------------------------------------------


@workspace_required("privacy.manage")
def request_list(request: HttpRequest) -> HttpResponse:
    """Every data-subject request with its deadline; overdue and due-soon first."""
    now = timezone.now()
    qs = PrivacyRequest.objects.filter(workspace=request.workspace).order_by("status", "due_at")[:500]
    items = [
        {"r": r, "overdue": r.status in (RequestStatus.OPEN, RequestStatus.RUNNING) and r.due_at < now} for r in qs
    ]
    return render(request, "consent/requests.html", {"nav": "privacy", "items": items, "kinds": RequestKind.choices})


def _actor(request: HttpRequest) -> Actor:
    return Actor.for_user(request.user)


@workspace_required("privacy.manage")
def person_privacy(request: HttpRequest, pk: int) -> HttpResponse:
    """A person's consents with their evidence, switches, requests, and the actions of every right."""
    person = get_object_or_404(Person, workspace=request.workspace, pk=pk)
    requests.record_view(person, actor=_actor(request), what="privacy page")
    flags = services.flags_of(person)
    ctx = {
        "nav": "privacy",
        "person": person,
        "current": services.current(person),
        "history": services.history(person, limit=100),
        "flags": flags,
        "purposes": [(p, services.basis(p), services.may_process(person, p)) for p in Purpose],
        "requests": PrivacyRequest.objects.filter(workspace=request.workspace, person_ref=person.pk),
        "preference_url": collection.preference_url(person),
    }
    return render(request, "consent/person.html", ctx)


@workspace_required("privacy.manage")
@require_POST
def person_action(request: HttpRequest, pk: int) -> HttpResponse:
    """The DPO acts on a request: erase, restrict (or lift), object, do-not-contact / do-not-track."""
    person = get_object_or_404(Person, workspace=request.workspace, pk=pk)
    actor = _actor(request)
    action = request.POST.get("action", "")
    if action == "erase":
        req = requests.request_erasure(person, actor=actor)
        return redirect("consent:requests") if req else redirect("consent:person", pk=pk)
    if action in ("restrict", "unrestrict"):
        requests.restrict(person, actor=actor, restricted=action == "restrict")
    elif action == "object":
        purposes = [p for p in request.POST.getlist("purpose") if p in Purpose.values]
        if purposes:
            requests.object_to_processing(person, purposes, actor=actor)
    elif action in ("do_not_contact", "do_not_track"):
        services.set_flags(person, **{action: request.POST.get("value") == "1"})
    else:
        return render(
            request,
            "consent/message.html",
            {"title": "Unknown action", "message": "action: not one this page offers"},
            status=400,
        )
    return redirect("consent:person", pk=pk)


@workspace_required("privacy.manage")
def export_document(request: HttpRequest, pk: int) -> HttpResponse:
    """The access export as a readable document (print it, or save it as PDF from the browser)."""
    person = get_object_or_404(Person, workspace=request.workspace, pk=pk)
    data = requests.export_for(person, actor=_actor(request))
    sections = [(k, v) for k, v in data.items() if k not in ("subject", "generated_at", "audit")]
    return render(
        request,
        "consent/export.html",
        {"data": data, "sections": sections, "audit": data["audit"], "person": person},
    )


@workspace_required("privacy.manage")
def access_audit(request: HttpRequest) -> HttpResponse:
    """Who viewed or exported whose personal data, and when."""
    events = AuditEvent.objects.filter(
        workspace=request.workspace, object_type="person", action__in=["contact.viewed", "contact.exported"]
    ).order_by("-created_at", "-id")[:500]
    return render(request, "consent/access.html", {"nav": "privacy", "events": events})


@workspace_required("contacts.view")
def enrichment_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The person's enrichment as the agent sees it (the contact page, and the inbox beside a conversation, which
    passes `?conversation=`): current facts with their source post, confidence and date, and the next-best-action
    suggestions with why. Nothing but a line saying so when the person has not allowed enrichment."""
    from rapport.consent.enrichment import sources

    person = get_object_or_404(Person, workspace=request.workspace, pk=pk)
    raw = request.GET.get("conversation") or ""
    conversation = int(raw) if raw.isdigit() else None
    view = services.enrichment_for(person, conversation_id=conversation)
    return render(
        request,
        "consent/_enrichment_panel.html",
        {
            "person": person,
            "permitted": view.permitted,
            "facts": sources.describe(request.workspace.pk, view.facts),
            "suggestions": view.suggestions,
            "today": timezone.localdate(),
        },
    )

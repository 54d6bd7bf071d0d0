"""Collection: sign-up forms, double opt-in, the preference centre and one-click unsubscribe.

Every public link is signed (django.core.signing, with a salt per use) and expires; opt-in and preference links
also carry a nonce that is spent on use, so a second use is refused and records nothing. A double-opt-in
submission is held in its confirmation link, not in the database: until the person clicks, nothing about them is
stored. The unsubscribe link (RFC 8058) stays valid and is idempotent, as mail clients may post it twice.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext, gettext_noop

from rapport.consent import services
from rapport.consent.models import ContactChannel, FormAnswer, Purpose, SignupForm, UsedLink
from rapport.contacts.models import Person
from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.core.links import public_url

STANDARD_FIELDS = ("first_name", "last_name", "email", "phone", "city", "country", "job_title")
STANDARD_LABELS = {  # shown in the visitor's language (form_fields); a form's own fields carry the brand's wording
    "first_name": gettext_noop("First name"),
    "last_name": gettext_noop("Last name"),
    "email": gettext_noop("Email"),
    "phone": gettext_noop("Phone"),
    "city": gettext_noop("City"),
    "country": gettext_noop("Country (two letters)"),
    "job_title": gettext_noop("Job title"),
}
OPT_IN_DAYS = 7
PREFERENCE_DAYS = 30
UNSUBSCRIBE_DAYS = 400
MAX_ANSWER = 500  # characters of one field of a form
MIN_FILL_SECONDS = 2  # a human takes longer than this to fill a form; a bot posting at once does not
# What the preference centre offers: contact purposes on every channel, processing purposes as a whole.
PREFERENCE_PURPOSES = [Purpose.NEWSLETTER, Purpose.OFFERS, Purpose.SURVEYS, Purpose.COMMUNITY]
PROCESSING_PURPOSES = [Purpose.ENRICHMENT, Purpose.PROFILING]
PREFERENCE_CHANNELS = [c for c in ContactChannel if c]
PREFERENCE_WORDING = "Preference centre"


class BadLink(Exception):
    """A forged, expired or already used link."""


def _public(path: str) -> str:
    return public_url(path)


@transaction.atomic
def create_form(
    *,
    workspace,
    actor: Actor,
    slug: str,
    name: str,
    wording: str,
    consents: list[dict[str, str]],
    fields: list[dict[str, Any]] | None = None,
    wording_version: str = "1",
    double_opt_in: bool = True,
) -> SignupForm:
    """A sign-up form, audited (its wording is the evidence of every consent it collects). FieldErrors when custom
    fields clash with each other or a standard field; IntegrityError when the slug is taken."""
    from rapport.core.services import record_audit

    fields = list(fields or [])
    names = [f["name"] for f in fields]
    clash = {n for n in names if names.count(n) > 1 or n in STANDARD_FIELDS}
    if clash:
        raise FieldErrors(
            {"fields": f"names clash with each other or with a standard field: {', '.join(sorted(clash))}"}
        )
    form = SignupForm.objects.create(
        workspace=workspace,
        slug=slug,
        name=name,
        wording=wording,
        wording_version=wording_version,
        consents=list(consents),
        fields=fields,
        double_opt_in=double_opt_in,
    )
    record_audit(
        workspace=workspace,
        actor=actor,
        action="consent.form_created",
        object_type="signup_form",
        object_id=form.pk,
        after={"slug": slug, "wording": wording, "wording_version": wording_version, "consents": form.consents},
    )
    return form


def form_url(form: SignupForm) -> str:
    return _public(reverse("consent:signup", kwargs={"workspace": form.workspace.slug, "slug": form.slug}))


def form_out(form: SignupForm) -> dict[str, Any]:
    url = form_url(form)
    return {
        "id": form.pk,
        "slug": form.slug,
        "name": form.name,
        "wording": form.wording,
        "wording_version": form.wording_version,
        "consents": form.consents,
        "fields": form.fields,
        "double_opt_in": form.double_opt_in,
        "active": form.active,
        "url": url,
        "embed": f'<iframe src="{url}?embed=1" title="{escape(form.name)}" '
        'style="border:0;width:100%;min-height:520px"></iframe>',
    }


def request_evidence(request) -> dict[str, str]:
    """Where a word came from: the client's address and user agent. The user agent is whatever the client sent:
    its control characters (a NUL cannot be stored in PostgreSQL's JSON) are dropped, so a strange header never
    costs a person their sign-up, their unsubscribe or an agent the grant they record."""
    from rapport.contacts.validation import CONTROL_RE

    user_agent = CONTROL_RE.sub("", request.META.get("HTTP_USER_AGENT", ""))[:300]
    return {"ip": request.META.get("REMOTE_ADDR", ""), "user_agent": user_agent}


# --- signed links -------------------------------------------------------------------------------------------------


def _sign(kind: str, data: dict[str, Any], *, single_use: bool) -> str:
    if single_use:
        data = {**data, "n": secrets.token_hex(16)}
    return signing.dumps(data, salt=f"rapport.consent.{kind}", compress=True)


def _load(kind: str, token: str, *, days: int) -> dict[str, Any]:
    try:
        data = signing.loads(token, salt=f"rapport.consent.{kind}", max_age=days * 86400)
    except signing.SignatureExpired:
        raise BadLink(gettext("This link has expired.")) from None
    except signing.BadSignature:
        raise BadLink(gettext("This link is not valid.")) from None
    if not isinstance(data, dict):
        raise BadLink(gettext("This link is not valid."))
    return data


def _spend(data: dict[str, Any]) -> None:
    """Mark a single-use link used, in the caller's transaction; raise BadLink when it was used before."""
    nonce = str(data.get("n", ""))
    if not nonce:
        raise BadLink(gettext("This link is not valid."))
    try:
        with transaction.atomic():
            UsedLink.objects.create(nonce=nonce)
    except IntegrityError:
        raise BadLink(gettext("This link was already used.")) from None


def link_is_spent(data: dict[str, Any]) -> bool:
    return UsedLink.objects.filter(nonce=str(data.get("n", ""))).exists()


def preference_token(person: Person) -> str:
    return _sign("preferences", {"p": person.pk, "w": person.workspace_id}, single_use=True)


def preference_url(person: Person) -> str:
    return _public(reverse("consent:preferences", kwargs={"token": preference_token(person)}))


def unsubscribe_token(person: Person, purpose: str, channel: str = ContactChannel.EMAIL) -> str:
    return _sign(
        "unsubscribe", {"p": person.pk, "w": person.workspace_id, "u": purpose, "c": channel}, single_use=False
    )


def unsubscribe_url(person: Person, purpose: str, channel: str = ContactChannel.EMAIL) -> str:
    return _public(reverse("consent:unsubscribe", kwargs={"token": unsubscribe_token(person, purpose, channel)}))


def unsubscribe_headers(person: Person, purpose: str, channel: str = ContactChannel.EMAIL) -> dict[str, str]:
    """The headers every marketing email carries (RFC 2369 and RFC 8058 one-click unsubscribe)."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(person, purpose, channel)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def person_for(data: dict[str, Any]) -> Person:
    person = Person.objects.filter(pk=data.get("p"), workspace_id=data.get("w"), merged_into__isnull=True).first()
    if person is None:
        raise BadLink(gettext("This link is no longer valid."))
    return person


# --- forms --------------------------------------------------------------------------------------------------------


@dataclass
class Submission:
    form: SignupForm
    standard: dict[str, str]
    answers: dict[str, str]
    evidence: dict[str, str]


def form_fields(form: SignupForm) -> list[dict[str, Any]]:
    """The fields a form shows: email (and a name) first, then its custom fields."""
    needs_phone = any(c.get("channel") in ("sms", "phone") for c in form.consents)
    out = [
        {"name": "first_name", "label": gettext(STANDARD_LABELS["first_name"]), "required": False, "choices": []},
        {"name": "last_name", "label": gettext(STANDARD_LABELS["last_name"]), "required": False, "choices": []},
        {"name": "email", "label": gettext(STANDARD_LABELS["email"]), "required": True, "choices": []},
    ]
    if needs_phone:
        out.append({"name": "phone", "label": gettext(STANDARD_LABELS["phone"]), "required": True, "choices": []})
    return out + [
        {"name": f["name"], "label": f["label"], "required": bool(f.get("required")), "choices": f.get("choices") or []}
        for f in form.fields
    ]


def validate(form: SignupForm, post: dict[str, str], evidence: dict[str, str]) -> Submission:
    """Check a posted form; FieldErrors names every bad field. Only non-empty values are kept."""
    from rapport.contacts.validation import CONTROL_RE, clean_person_fields

    errors: dict[str, str] = {}
    standard: dict[str, str] = {}
    answers: dict[str, str] = {}
    for f in form_fields(form):
        value = (post.get(f["name"]) or "").strip()
        if CONTROL_RE.search(value):
            errors[f["name"]] = gettext("%(label)s contains control characters") % {"label": f["label"]}
            continue
        if len(value) > MAX_ANSWER:
            errors[f["name"]] = gettext("%(label)s is longer than %(limit)s characters") % {
                "label": f["label"],
                "limit": MAX_ANSWER,
            }
            continue
        if f["required"] and not value:
            errors[f["name"]] = gettext("%(label)s is required") % {"label": f["label"]}
            continue
        if not value:
            continue
        if f["choices"] and value not in f["choices"]:
            errors[f["name"]] = gettext("%(label)s: choose one of %(choices)s") % {
                "label": f["label"],
                "choices": ", ".join(f["choices"]),
            }
            continue
        (standard if f["name"] in STANDARD_FIELDS else answers)[f["name"]] = value
    if standard:
        try:
            standard = {k: v for k, v in clean_person_fields(dict(standard)).items() if k in standard}
        except FieldErrors as exc:
            errors.update(exc.errors)
    if errors:
        raise FieldErrors(errors)
    return Submission(form, standard, answers, evidence)


def opt_in_token(sub: Submission) -> str:
    return _sign("opt_in", {"f": sub.form.pk, "s": sub.standard, "a": sub.answers, "e": sub.evidence}, single_use=True)


def send_confirmation(sub: Submission) -> str:
    """Mail the double-opt-in link to the given address; returns the link."""
    from django.core.mail import send_mail

    url = _public(reverse("consent:confirm", kwargs={"token": opt_in_token(sub)}))
    send_mail(
        f"Please confirm: {sub.form.name}",
        f"Someone, hopefully you, signed up to {sub.form.name} with this address.\n\n"
        f"{sub.form.wording}\n\nConfirm within {OPT_IN_DAYS} days: {url}\n\n"
        "If it was not you, ignore this message: nothing was stored.",
        None,
        [sub.standard["email"]],
    )
    return url


@transaction.atomic
def apply(sub: Submission, *, source: str) -> Person:
    """Create or update the contact with only what was given, keep the custom answers, record each consent."""
    from rapport.contacts.services import create_person, people, update_person

    form = sub.form
    actor = Actor.system(f"form:{form.slug}")
    person = (
        people(workspace=form.workspace).filter(email__iexact=sub.standard["email"]).order_by("id").first()
        if sub.standard.get("email")
        else None
    )
    if person is None:
        person = create_person(workspace=form.workspace, actor=actor, data=dict(sub.standard))
    else:
        changes = {k: v for k, v in sub.standard.items() if v and getattr(person, k) != v}
        if changes:
            person = update_person(workspace=form.workspace, actor=actor, person=person, changes=changes)
    if sub.answers:
        FormAnswer.objects.create(
            workspace=form.workspace, person=person, form=form, answers=sub.answers, confirmed=source != "form"
        )
    for c in form.consents:
        services.record(
            person,
            c["purpose"],
            granted=True,
            channel=c.get("channel", ""),
            source=source,
            wording=form.wording,
            wording_version=form.wording_version,
            evidence={**sub.evidence, "form": form.slug},
        )
    if sub.answers:  # what they gave, read as facts if (and only if) they allow enrichment
        from rapport.consent.enrichment.forms import enrich_from_answers

        enrich_from_answers(form.workspace_id, [person.pk])
    return person


def confirm(token: str, evidence: dict[str, str]) -> Person:
    """The double-opt-in click: a valid, unexpired, unused link creates the contact and records the consents."""
    data = _load("opt_in", token, days=OPT_IN_DAYS)
    form = SignupForm.objects.filter(pk=data.get("f"), active=True).select_related("workspace").first()
    if form is None:
        raise BadLink(gettext("This sign-up is closed."))
    with transaction.atomic():
        _spend(data)
        sub = Submission(
            form,
            dict(data.get("s") or {}),
            dict(data.get("a") or {}),
            {**(data.get("e") or {}), **{f"confirmed_{k}": v for k, v in evidence.items()}},
        )
        return apply(sub, source="double_opt_in")


# --- the preference centre and unsubscribe ----------------------------------------------------------------------


def preferences_of(person: Person) -> dict[tuple[str, str], bool]:
    """What the person allows now, per (purpose, channel); channel "" for the processing purposes."""
    grid = services.contact_answers(person, PREFERENCE_PURPOSES, PREFERENCE_CHANNELS)
    out = {(p.value, c.value): grid[(p, c)] for p in PREFERENCE_PURPOSES for c in PREFERENCE_CHANNELS}
    out.update({(p.value, ""): services.may_process(person, p) for p in PROCESSING_PURPOSES})
    return out


def save_preferences(token: str, chosen: set[tuple[str, str]], evidence: dict[str, str]) -> tuple[Person, int]:
    """Record every change the person made (and only those); the link is spent. Returns the person and the number
    of changes."""
    data = _load("preferences", token, days=PREFERENCE_DAYS)
    person = person_for(data)
    with transaction.atomic():
        _spend(data)
        changes = 0
        for (purpose, channel), granted in preferences_of(person).items():
            want = (purpose, channel) in chosen
            if want != granted:
                services.record(
                    person,
                    purpose,
                    granted=want,
                    channel=channel,
                    source="preference_centre",
                    wording=PREFERENCE_WORDING,
                    wording_version="1",
                    evidence=evidence,
                )
                changes += 1
    return person, changes


def unsubscribe(token: str, evidence: dict[str, str]) -> Person:
    """One-click unsubscribe: withdraw the purpose on the channel (idempotent: a repeat records nothing new)."""
    data = _load("unsubscribe", token, days=UNSUBSCRIBE_DAYS)
    person = person_for(data)
    purpose, channel = data.get("u"), data.get("c")
    if purpose not in Purpose.values or channel not in ContactChannel.values or not channel:
        raise BadLink(gettext("This link is not valid."))
    if services.current_word(person, purpose, channel) is not False:
        services.record(
            person,
            purpose,
            granted=False,
            channel=channel,
            source="unsubscribe",
            wording="One-click unsubscribe",
            evidence=evidence,
        )
    return person

"""What every settings page shares: the admin-only decorator, workspace-scoped lookups, audited saves and deletes,
list fields typed as comma-separated words, and rendering inside the settings layout with its side menu."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from django import forms
from django.db import models, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.core.ids import parse_id
from rapport.core.services import audit_trail, record_audit
from rapport.web.settings_registry import MANAGE, sections_for
from rapport.web.views import workspace_required

admin_required = workspace_required(MANAGE)


def scoped(model: type[models.Model], request: HttpRequest, pk: int, **filters: Any) -> Any:
    """The workspace's row with this id; 404 for a row of another workspace exactly as for one that does not exist."""
    row = model._default_manager.filter(pk=pk, workspace=request.workspace, **filters).first()
    if row is None:
        raise Http404(f"no such {model._meta.verbose_name}")
    return row


def actor(request: HttpRequest) -> Actor:
    return Actor.for_user(request.user)


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list | tuple | set) or hasattr(value, "all"):
        items = value.all() if hasattr(value, "all") else value
        return sorted((_plain(v) for v in items), key=str)
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """What the audit log keeps of a row: the named fields as JSON values (keys for relations, id lists for m2m)."""
    out: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            out[name] = sorted(getattr(instance, name).values_list("pk", flat=True)) if instance.pk else []
        elif field.is_relation:
            out[name] = getattr(instance, field.attname)
        else:
            out[name] = _plain(getattr(instance, name))
    return out


@transaction.atomic
def audited_save(
    form: forms.ModelForm, *, request: HttpRequest, object_type: str, fields: Iterable[str], **extra: Any
) -> Any:
    """Save a valid model form in the current workspace and record `<type>.created` or `<type>.updated`."""
    fields = list(fields)
    instance = form.instance
    created = instance.pk is None
    before = None if created else snapshot(type(instance)._default_manager.get(pk=instance.pk), fields)
    row = form.save(commit=False)
    row.workspace = request.workspace
    for key, value in extra.items():
        setattr(row, key, value)
    row.save()
    form.save_m2m()
    after = snapshot(row, fields)
    if created or before != after:
        record_audit(
            workspace=request.workspace,
            actor=actor(request),
            action=f"{object_type}.{'created' if created else 'updated'}",
            object_type=object_type,
            object_id=row.pk,
            before=before,
            after=after,
        )
    return row


@transaction.atomic
def audited_delete(instance: models.Model, *, request: HttpRequest, object_type: str, fields: Iterable[str]) -> None:
    record_audit(
        workspace=request.workspace,
        actor=actor(request),
        action=f"{object_type}.deleted",
        object_type=object_type,
        object_id=instance.pk,
        before=snapshot(instance, fields),
    )
    instance.delete()


def add_field_errors(form: forms.Form, exc: FieldErrors, *, aliases: dict[str, str] | None = None) -> None:
    """Put a service's FieldErrors on the form's fields (`config.base_url` lands on `config`, naming the key)."""
    for key, message in exc.errors.items():
        name = (aliases or {}).get(key) or key.split(".", 1)[0]
        if name not in form.fields:
            name = None  # type: ignore[assignment]
        form.add_error(name, f"{key}: {message}" if "." in key else message)


class ModelIdsField(forms.ModelMultipleChoiceField):
    """Rows ticked by id, as ModelMultipleChoiceField; a value that is no id (a superscript digit, a number past
    BIGINT) is refused on the field like an unknown row before it reaches the query (SQLite raised OverflowError)."""

    def _check_values(self, value):
        if isinstance(value, list | tuple):
            for pk in value:
                if isinstance(pk, str) and parse_id(pk) is None:
                    raise forms.ValidationError(
                        self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                    )
        return super()._check_values(value)


_WORD = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")


class ListField(forms.CharField):
    """A list typed as comma-separated words ("en, da"), lower-cased; `choices` (if given) limits the words."""

    def __init__(self, *, choices: Iterable[str] | None = None, max_items: int = 50, **kwargs: Any):
        kwargs.setdefault("required", False)
        self.allowed = tuple(choices) if choices is not None else None
        self.max_items = max_items
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value) or ""
        words: list[str] = []
        for raw in re.split(r"[,\s]+", text.strip()):
            word = raw.strip().lower()
            if word and word not in words:
                words.append(word)
        return words

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise forms.ValidationError("This field is required.", code="required")
        if len(value) > self.max_items:
            raise forms.ValidationError(f"at most {self.max_items} entries", code="max_items")
        bad = [w for w in value if not _WORD.match(w) or len(w) > 40]
        if self.allowed is not None:
            bad += [w for w in value if w not in self.allowed and w not in bad]
        if bad:
            hint = f"; choose from {', '.join(self.allowed)}" if self.allowed is not None else ""
            raise forms.ValidationError(f"unknown {', '.join(repr(w) for w in bad)}{hint}", code="invalid_choice")

    def run_validators(self, value: Any) -> None:  # the length validators of CharField count characters, not words
        return None


LANGUAGES = ("en", "da", "sv", "no", "de", "nl", "fr", "es", "fi", "it", "pt", "pl", "und")


def render_settings(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    section: str,
    status: int = 200,
    history: tuple[str, Any] | None = None,
) -> HttpResponse:
    """Render a settings page in the product's layout with the side menu of the sections this role may open;
    history=(object_type, id) adds the record's latest audit events (who changed what, before and after)."""
    context = {**context, "nav": "settings", "sections": sections_for(request.role), "section": section}
    if history is not None and history[1] is not None:
        context["history"] = audit_trail(
            workspace=request.workspace, object_type=history[0], object_id=history[1], limit=20
        )
    return render(request, template, context, status=status)


def form_status(request: HttpRequest, form: forms.Form | None) -> int:
    """400 for a posted form with errors, so a script (or a test) sees the refusal; 200 otherwise."""
    return 400 if request.method == "POST" and form is not None and form.is_bound and form.errors else 200



def render_edit(
    request: HttpRequest, form: forms.Form, *, section: str, back: str, back_label: str, history: tuple, **context: Any
) -> HttpResponse:
    """One record's page (web/settings/edit.html: heading, intro, the form, delete_url and delete_note for a delete
    button, the audit history), with a link back to the list named `back`; 400 when the posted form has errors."""
    context = {"form": form, "back_url": reverse(back), "back_label": back_label, **context}
    status = form_status(request, form)
    return render_settings(request, "web/settings/edit.html", context, section=section, status=status, history=history)

"""Tracking rules in the settings: list them with their matches, create, edit and delete them.

The pages use the same services as the API (the query is compiled before saving, the recent posts are tagged again
with a new or changed rule, every change is audited)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from rapport.core.errors import FieldErrors
from rapport.core.networks import LISTENED_NETWORKS
from rapport.listening import services
from rapport.listening.models import RuleKind, TrackingRule
from rapport.web.settings_kit import (
    LANGUAGES,
    ListField,
    actor,
    add_field_errors,
    admin_required,
    render_edit,
    render_settings,
    scoped,
)
from rapport.web.settings_registry import Section

SECTIONS = (
    Section(
        "rules",
        gettext_lazy("Tracking rules"),
        gettext_lazy(
            "Boolean keyword queries for the brand, its products and competitors; "
            "every post is tagged with its matches."
        ),
        "listening:settings-rules",
        70,
    ),
)


class RuleForm(forms.Form):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=RuleKind.choices, initial=RuleKind.BRAND)
    query = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text='AND, OR, NOT, "exact phrases", parentheses, @handles, #hashtags, lang:en; '
        'e.g. (united OR @united) AND NOT "united nations"',
    )
    languages = ListField(choices=LANGUAGES, help_text="only posts in these languages; empty: all")
    networks = ListField(choices=LISTENED_NETWORKS, help_text="only posts on these networks; empty: all")
    active = forms.BooleanField(required=False, initial=True)


@admin_required
def rules(request: HttpRequest) -> HttpResponse:
    counts = services.rule_counts(request.workspace)
    rows = [(r, counts.get(r.pk, 0)) for r in TrackingRule.objects.filter(workspace=request.workspace)]
    return render_settings(request, "listening/settings/rules.html", {"rules": rows}, section="rules")


@admin_required
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    rule = scoped(TrackingRule, request, pk) if pk else None
    initial = {f: getattr(rule, f) for f in services.RULE_FIELDS} if rule else None
    form = RuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if rule is None:
                rule = services.create_rule(workspace=request.workspace, actor=actor(request), data=form.cleaned_data)
            else:
                services.update_rule(
                    workspace=request.workspace, actor=actor(request), rule=rule, changes=form.cleaned_data
                )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, f"Rule {rule.name} is saved; the posts of the last days are tagged again.")
            return redirect("listening:settings-rules")
    return render_edit(
        request,
        form,
        section="rules",
        heading=rule.name if rule else "New tracking rule",
        back="listening:settings-rules",
        back_label="Tracking rules",
        delete_url=reverse("listening:settings-rule-delete", args=[rule.pk]) if rule else "",
        delete_note="Deleting removes the rule's tags from every post; the posts stay.",
        history=("rule", rule.pk if rule else None),
    )


@admin_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = scoped(TrackingRule, request, pk)
    services.delete_rule(workspace=request.workspace, actor=actor(request), rule=rule)
    messages.success(request, f"Rule {rule.name} is deleted.")
    return redirect("listening:settings-rules")

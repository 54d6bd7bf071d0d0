"""Next-best-action rules in the settings: list, create, edit and delete them (every change audited)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from rapport.consent.enrichment import actions, taxonomy
from rapport.consent.models import ActionRule
from rapport.web.settings_kit import (
    ListField,
    admin_required,
    audited_delete,
    audited_save,
    render_edit,
    render_settings,
    scoped,
)
from rapport.web.settings_registry import Section

SECTIONS = (
    Section(
        "actions",
        gettext_lazy("Next best actions"),
        gettext_lazy(
            "What the agent is prompted to offer when a person's enrichment facts meet the conversation "
            "(a wedding within 7 days while the camera is in repair: a loan camera)."
        ),
        "consent:settings-actions",
        75,
    ),
)
FIELDS = actions.RULE_FIELDS


class ActionRuleForm(forms.ModelForm):
    life_event = forms.ChoiceField(
        required=False,
        choices=[("", "—")] + [(f.value, f.label) for f in taxonomy.LIFE_EVENTS],
        help_text="a life event the person's facts must hold",
    )
    interest = forms.ChoiceField(
        required=False,
        choices=[("", "—")] + [(f.value, f.label) for f in taxonomy.INTERESTS],
        help_text="an interest the person's facts must hold",
    )
    within_days = forms.IntegerField(
        required=False, min_value=0, max_value=3650, help_text="the event's date within this many days of today"
    )
    conversation_tags = ListField(
        required=False, help_text="the open conversation carries one of these tags (e.g. repair) ..."
    )
    keywords = ListField(required=False, help_text="... or the customer wrote one of these words (e.g. camera)")
    context_match = forms.ChoiceField(
        required=False,
        choices=[("any", "a tag or a word is enough"), ("all", "needs a tag and a word")],
        initial="any",
        help_text="with both tags and words: is either enough, or does the conversation need one of each?",
    )

    class Meta:
        model = ActionRule
        fields = [*FIELDS, "position"]
        widgets = {"action": forms.Textarea(attrs={"rows": 3})}

    def clean(self):
        data = super().clean()
        for field, message in actions.normalise(data).items():
            self.add_error(field, message)
        return data


@admin_required
def rules(request: HttpRequest) -> HttpResponse:
    rows = actions.rules(request.workspace.pk)
    labels = {f.value: f.label for f in taxonomy.ALL}
    return render_settings(
        request, "consent/settings/actions.html", {"rules": rows, "labels": labels}, section="actions"
    )


@admin_required
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actions.ensure_defaults(request.workspace.pk)
    rule = scoped(ActionRule, request, pk) if pk else None
    form = ActionRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        saved = audited_save(form, request=request, object_type="action_rule", fields=FIELDS)
        messages.success(request, f"Rule {saved.name} is saved.")
        return redirect("consent:settings-actions")
    return render_edit(
        request,
        form,
        section="actions",
        heading=rule.name if rule else "New next-best-action rule",
        intro="All of its conditions must hold: the life event (within the days), the interest, and the context "
        "(a tag of the open conversation or a word the customer wrote, when any is given).",
        back="consent:settings-actions",
        back_label="Next best actions",
        delete_url=reverse("consent:settings-action-delete", args=[rule.pk]) if rule else "",
        delete_note="Deleting a default rule does not bring it back; pause it instead to keep it.",
        history=("action_rule", rule.pk if rule else None),
    )


@admin_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = scoped(ActionRule, request, pk)
    audited_delete(rule, request=request, object_type="action_rule", fields=FIELDS)
    messages.success(request, f"Rule {rule.name} is deleted.")
    return redirect("consent:settings-actions")

"""The community's section of the settings hub: the report threshold, the moderation rules and what each trust level
asks. The same services as the moderation page and the API (checked, audited); changed thresholds recompute every
member's level in the background."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy

from rapport.community import categories, levels, moderation
from rapport.community.models import Category, Question
from rapport.core.errors import FieldErrors
from rapport.web.settings_kit import actor, add_field_errors, render_edit, render_settings, scoped
from rapport.web.settings_registry import Section
from rapport.web.views import workspace_required

PERMISSION = "community.moderate"
SECTIONS = (
    Section(
        "community",
        gettext_lazy("Community"),
        gettext_lazy("Reports that hide a post, new members' first posts and links, and what each trust level asks."),
        "community-settings:rules",
        90,
        PERMISSION,
    ),
    Section(
        "community-categories",
        gettext_lazy("Community categories"),
        gettext_lazy(
            "The products and topics members post under: add, rename (experts follow), delete by moving questions."
        ),
        "community-settings:categories",
        91,
        PERMISSION,
    ),
)
RULE_FIELDS = ("flags_to_hide", "moderate_first_posts", "new_member_max_links", "return_after_hours")


class CommunityRulesForm(forms.Form):
    flags_to_hide = forms.IntegerField(
        label="Reports that hide a post",
        help_text="reports from different members that hide a post until a moderator reviews it",
    )
    moderate_first_posts = forms.BooleanField(label="New members' first posts wait for a moderator", required=False)
    new_member_max_links = forms.IntegerField(
        label="Links allowed before a member is trusted with links", help_text="more links hold the post"
    )
    return_after_hours = forms.IntegerField(
        label="Hours until an unanswered question from the inbox returns to care", help_text="0: never"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for lv in levels.LEVELS[1:]:
            for d in levels.DIMENSIONS:
                self.fields[f"level{lv.number}_{d}"] = forms.IntegerField(
                    label=f"Level {lv.number} ({lv.name}): {levels.DIMENSION_WORDS[d]}",
                    help_text=f"0 to {levels.LIMITS[d]:,}",
                )

    def thresholds(self) -> dict:
        data = self.cleaned_data
        return {
            str(lv.number): {d: data[f"level{lv.number}_{d}"] for d in levels.DIMENSIONS} for lv in levels.LEVELS[1:]
        }


def initial_for(workspace) -> dict:
    rules = moderation.settings_for(workspace)
    initial = {f: getattr(rules, f) for f in RULE_FIELDS}
    for n, row in levels.thresholds_of(levels.table(workspace.pk)).items():
        initial.update({f"level{n}_{d}": v for d, v in row.items()})
    return initial


@workspace_required(PERMISSION)
def rules(request: HttpRequest) -> HttpResponse:
    form = CommunityRulesForm(request.POST or None, initial=initial_for(request.workspace))
    if request.method == "POST" and form.is_valid():
        rules = {f: form.cleaned_data[f] for f in RULE_FIELDS}
        errors = moderation.settings_errors(**{k: v for k, v in rules.items() if k != "moderate_first_posts"})
        try:
            thresholds = levels.clean_thresholds(form.thresholds())
        except FieldErrors as exc:
            errors.update(exc.errors)
        if errors:  # every mistake at once, nothing saved
            add_field_errors(form, FieldErrors(errors))
        else:
            moderation.update_settings(workspace=request.workspace, actor=actor(request), **rules)
            levels.update_thresholds(workspace=request.workspace, actor=actor(request), thresholds=thresholds)
            messages.success(request, "Community rules saved; members' levels are being recomputed.")
            return redirect("community-settings:rules")
    status = 400 if request.method == "POST" and form.errors else 200
    return render_settings(
        request,
        "community/settings_rules.html",
        {"form": form},
        section="community",
        status=status,
        history=("community.settings", request.workspace.pk),
    )


# --- categories ----------------------------------------------------------------------------------------------------


class CategoryForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="as members see it, e.g. iPhone 5")
    slug = forms.CharField(max_length=64, help_text="its address: /community/<workspace>/c/<slug>/")
    description = forms.CharField(max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CategoryDeleteForm(forms.Form):
    move_to = forms.ModelChoiceField(queryset=None, required=False, label="Move its questions to")

    def __init__(self, *args, workspace, category, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["move_to"].queryset = Category.objects.filter(workspace=workspace).exclude(pk=category.pk)


@workspace_required(PERMISSION)
def category_list(request: HttpRequest) -> HttpResponse:
    rows = Category.objects.filter(workspace=request.workspace).annotate(n=Count("questions")).order_by("name")
    return render_settings(
        request, "community/settings_categories.html", {"rows": rows}, section="community-categories"
    )


@workspace_required(PERMISSION)
def category_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    category = scoped(Category, request, pk) if pk else None
    initial = {"name": category.name, "slug": category.slug, "description": category.description} if category else {}
    form = CategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = categories.save(
                workspace=request.workspace, actor=actor(request), category=category, **form.cleaned_data
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, f"Category {saved.name} is saved.")
            return redirect("community-settings:categories")
    return render_edit(
        request,
        form,
        section="community-categories",
        heading=category.name if category else "New category",
        intro="Renaming a category re-files its questions under the new name at once: topic experts follow.",
        back="community-settings:categories",
        back_label="Categories",
        delete_url=reverse("community-settings:category-delete", args=[category.pk]) if category else "",
        delete_note="A category that holds questions is deleted by moving them into another: you are asked where.",
        history=("community.category", category.pk if category else None),
    )


@workspace_required(PERMISSION)
def category_delete(request: HttpRequest, pk: int) -> HttpResponse:
    category = scoped(Category, request, pk)
    form = CategoryDeleteForm(
        request.POST if request.method == "POST" else None, workspace=request.workspace, category=category
    )
    if request.method == "POST" and form.is_valid():
        try:
            moved = categories.delete(
                workspace=request.workspace,
                actor=actor(request),
                category=category,
                move_to=form.cleaned_data["move_to"],
            )
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            messages.success(
                request, f"Category {category.name} is deleted" + (f"; {moved} questions moved." if moved else ".")
            )
            return redirect("community-settings:categories")
    status = 400 if request.method == "POST" and form.errors else 200
    return render_settings(
        request,
        "community/settings_category_delete.html",
        {"form": form, "category": category, "held": Question.objects.filter(category=category).count()},
        section="community-categories",
        status=status,
    )

"""The community's categories as staff manage them: create, rename (a new name or slug re-indexes the category's
questions and brings its answerers' topic expertise up to date at once, so the experts list never goes stale),
and delete (a category that holds questions is deleted only by moving them into another). Checked and audited;
the settings pages and the API both call these."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from rapport.community import expertise
from rapport.community.models import Answer, Category, Question, ReputationEntry
from rapport.core.actors import Actor
from rapport.core.apitypes import CONTROL
from rapport.core.errors import FieldErrors
from rapport.core.models import Workspace

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
FIELDS = ("slug", "name", "description")


def _snapshot(category: Category) -> dict[str, Any]:
    return {f: getattr(category, f) for f in FIELDS}


def errors_of(workspace: Workspace, *, slug: str, name: str, description: str, pk: int | None = None) -> dict:
    """Field errors of a category (empty when it is sound)."""
    errors: dict[str, str] = {}
    if not SLUG.match(slug or ""):
        errors["slug"] = "lower-case letters, digits and hyphens, 1 to 64 characters (e.g. iphone-5)"
    elif Category.objects.filter(workspace=workspace, slug=slug).exclude(pk=pk).exists():
        errors["slug"] = f"another category already has the address {slug!r}"
    if not (name or "").strip():
        errors["name"] = "may not be empty"
    elif len(name) > 100:
        errors["name"] = "at most 100 characters"
    if len(description or "") > 300:
        errors["description"] = "at most 300 characters"
    for field, value in (("name", name), ("description", description)):
        if field not in errors and CONTROL.search(value or ""):
            errors[field] = "control characters are not allowed"
    return errors


def _reindex(workspace_id: int, question_ids: list[int]) -> None:
    """Topic rows of these questions from their current category and tags, then the expertise of everyone who
    answered them on every topic that was or is theirs: one recompute for the lot."""
    topics: set[str] = set()
    for q in Question.objects.filter(pk__in=question_ids).select_related("category").iterator(chunk_size=500):
        topics |= expertise.index_question(q)
    authors = set(Answer.objects.filter(question_id__in=question_ids).values_list("author_id", flat=True))
    expertise.refresh(workspace_id=workspace_id, member_ids=authors, topics=topics)


def save(
    *,
    workspace: Workspace,
    actor: Actor,
    slug: str,
    name: str,
    description: str = "",
    category: Category | None = None,
) -> Category:
    """Create a category, or change one (a changed slug or name re-indexes its questions' topics)."""
    from rapport.core.services import record_audit

    slug, name, description = (slug or "").strip().lower(), (name or "").strip(), (description or "").strip()
    errors = errors_of(workspace, slug=slug, name=name, description=description, pk=category.pk if category else None)
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        before = _snapshot(category) if category else None
        renamed = category is not None and (category.slug, category.name) != (slug, name)
        category = category or Category(workspace=workspace)
        category.slug, category.name, category.description = slug, name, description
        category.save()
        after = _snapshot(category)
        if before != after:
            record_audit(
                workspace=workspace,
                actor=actor,
                action=f"community.category_{'updated' if before else 'created'}",
                object_type="community.category",
                object_id=category.pk,
                before=before,
                after=after,
            )
        if renamed:
            _reindex(workspace.pk, list(Question.objects.filter(category=category).values_list("pk", flat=True)))
    return category


def delete(*, workspace: Workspace, actor: Actor, category: Category, move_to: Category | None = None) -> int:
    """Delete a category; its questions (if any) move to `move_to` first. Returns how many moved."""
    from rapport.core.services import record_audit

    held = Question.objects.filter(category=category)
    count = held.count()
    if count and move_to is None:
        raise FieldErrors(
            {
                "move_to": f"this category holds {count} question{'s' if count != 1 else ''}: "
                "choose the category they move to"
            }
        )
    if move_to is not None and (move_to.pk == category.pk or move_to.workspace_id != workspace.pk):
        raise FieldErrors({"move_to": "choose another category of this community"})
    with transaction.atomic():
        ids = list(held.values_list("pk", flat=True))
        if ids:
            Question.objects.filter(pk__in=ids).update(category=move_to)
            # The reputation earned on those questions moves with them (deleting would null it: SET_NULL).
            ReputationEntry.objects.filter(workspace=workspace, category=category).update(category=move_to)
            _reindex(workspace.pk, ids)
        record_audit(
            workspace=workspace,
            actor=actor,
            action="community.category_deleted",
            object_type="community.category",
            object_id=category.pk,
            before={**_snapshot(category), "moved_questions_to": move_to.slug if move_to else None, "moved": len(ids)},
        )
        category.delete()
    return count

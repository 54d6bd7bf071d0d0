"""Merge two people into one and undo it: nothing is deleted, and every merge records exactly what moved."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from rapport.contacts.models import Person
from rapport.contacts.relations import PersonRelation, person_relations
from rapport.contacts.services import person_snapshot, refresh_person_search
from rapport.core.actors import Actor
from rapport.core.events import emit
from rapport.core.models import Workspace
from rapport.core.services import record_audit
from rapport.identity.models import Merge


class MergeError(ValueError):
    """A merge or un-merge that cannot be done; `status` is the HTTP status the API answers with."""

    status = 422


class SelfMergeError(MergeError):
    """A person cannot absorb themselves."""


class CrossWorkspaceError(MergeError):
    """Both people must belong to the same workspace."""


class AlreadyMergedError(MergeError):
    """One of the people was already merged into someone else."""

    status = 409


class UndoError(MergeError):
    """The merge was already undone, or what it produced has since been merged again."""

    status = 409


def merged_relations() -> list[PersonRelation]:
    """What a merge moves to the kept person (each merge stores the moved ids per label, so an un-merge moves
    exactly those back): the relations apps registered in contacts.relations that move with a merge."""
    return [r for r in person_relations() if r.moves_on_merge]


# Empty fields of the kept person filled from the absorbed one. Address parts move as one block so
# that a street is never paired with another person's city.
SCALAR_FIELDS = ["first_name", "last_name", "email", "phone", "job_title", "date_of_birth", "customer_number"]
ADDRESS_FIELDS = ["street", "city", "postcode", "region", "country"]


def _empty(value: Any) -> bool:
    return value in ("", None, [])


def _serialise(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _fill_fields(kept: Person, absorbed: Person) -> list[dict[str, Any]]:
    """Copy absorbed values into empty kept fields; return [{field, before, after}] of what was filled."""
    filled: list[dict[str, Any]] = []
    for name in SCALAR_FIELDS:
        if _empty(getattr(kept, name)) and not _empty(getattr(absorbed, name)):
            filled.append({"field": name, "before": _serialise(getattr(kept, name))})
            setattr(kept, name, getattr(absorbed, name))
    if all(_empty(getattr(kept, f)) for f in ADDRESS_FIELDS):
        for name in ADDRESS_FIELDS:
            if not _empty(getattr(absorbed, name)):
                filled.append({"field": name, "before": getattr(kept, name)})
                setattr(kept, name, getattr(absorbed, name))
    new_tags = [t for t in absorbed.tags or [] if t not in (kept.tags or [])]
    if new_tags:
        filled.append({"field": "tags", "added": new_tags})
        kept.tags = [*(kept.tags or []), *new_tags]
    for item in filled:
        if item["field"] != "tags":
            item["after"] = _serialise(getattr(kept, item["field"]))
    return filled


def _movable(model, relation: PersonRelation, ids: list[int], target: Person) -> list[int]:
    """The ids among `ids` that can move to `target` without breaking a uniqueness rule of the relation."""
    if not ids or not (relation.unique_with or relation.single is not None):
        return ids
    theirs = model.objects.filter(**{relation.field: target})
    rows = model.objects.filter(pk__in=ids)
    if relation.unique_with:
        taken = set(theirs.values_list(*relation.unique_with))
        rows = rows.filter(pk__in=[r[0] for r in rows.values_list("pk", *relation.unique_with) if r[1:] not in taken])
    if relation.single is not None and theirs.filter(relation.single).exists():
        rows = rows.exclude(relation.single)
    return list(rows.values_list("pk", flat=True))


def _lock_pair(workspace: Workspace, a_id: int, b_id: int) -> dict[int, Person]:
    # Lock in id order so two merges of the same pair (either direction) cannot deadlock.
    rows = Person.objects.select_for_update().filter(workspace=workspace, pk__in=[a_id, b_id]).order_by("pk")
    return {p.pk: p for p in rows}


@transaction.atomic
def merge_contacts(
    *, workspace: Workspace, keep: Person | int, absorb: Person | int, actor: Actor, review_item=None
) -> Merge:
    """Merge `absorb` into `keep`: identities, touchpoints, affiliations move; empty fields fill; nothing is deleted."""
    keep_id = keep if isinstance(keep, int) else keep.pk
    absorb_id = absorb if isinstance(absorb, int) else absorb.pk
    if keep_id == absorb_id:
        raise SelfMergeError("a contact cannot be merged with itself")
    locked = _lock_pair(workspace, keep_id, absorb_id)
    if len(locked) != 2:
        missing = next(pk for pk in (keep_id, absorb_id) if pk not in locked)
        # One message whether the id exists elsewhere or not, so the error does not reveal other workspaces.
        error = CrossWorkspaceError if Person.objects.filter(pk=missing).exists() else MergeError
        raise error(f"contact {missing} is not in this workspace")
    kept, absorbed = locked[keep_id], locked[absorb_id]
    for person in (kept, absorbed):
        if person.merged_into_id is not None:
            raise AlreadyMergedError(f"contact {person.pk} was already merged into contact {person.merged_into_id}")
    kept_before, absorbed_before = person_snapshot(kept), person_snapshot(absorbed)
    moved: dict[str, list[int]] = {}
    for relation in merged_relations():
        model = relation.model_class()
        if model is None:
            continue
        ids = list(model.objects.filter(**{relation.field: absorbed}).values_list("pk", flat=True))
        ids = _movable(model, relation, ids, kept)
        if ids:
            model.objects.filter(pk__in=ids).update(**{relation.field: kept})
        moved[relation.label] = ids
    filled = _fill_fields(kept, absorbed)
    kept.save()
    absorbed.merged_into = kept
    absorbed.save(update_fields=["merged_into", "updated_at"])
    merge = Merge.objects.create(
        workspace=workspace,
        kept=kept,
        absorbed=absorbed,
        actor_kind=actor.kind,
        actor_label=actor.label[:200],
        actor_user=actor.user,
        moved=moved,
        filled_fields=filled,
        kept_snapshot=kept_before,
        absorbed_snapshot=absorbed_before,
        review_item=review_item,
    )
    refresh_person_search(kept)
    refresh_person_search(absorbed)
    summary = {"merge": merge.pk, "kept": kept.pk, "absorbed": absorbed.pk, "moved": _counts(moved)}
    # The audit rows carry only what changed on each record (the merge row keeps the full snapshots).
    filled_before = {f["field"]: f.get("before") for f in filled if f["field"] != "tags"}
    filled_after = {f["field"]: f.get("after") for f in filled if f["field"] != "tags"}
    if any(f["field"] == "tags" for f in filled):
        filled_before["tags"], filled_after["tags"] = kept_before["tags"], kept.tags
    moved_text = ", ".join(f"{n} {label}" for label, n in _counts(moved).items() if n) or "nothing"
    record_audit(
        workspace=workspace,
        actor=actor,
        action="contact.merged",
        object_type="person",
        object_id=kept.pk,
        before={"absorbed": None, **filled_before},
        after={"absorbed": f"{absorbed.name} (#{absorbed.pk}): {moved_text} moved", "merge": merge.pk, **filled_after},
    )
    record_audit(
        workspace=workspace,
        actor=actor,
        action="contact.merged_away",
        object_type="person",
        object_id=absorbed.pk,
        before={"merged_into": None},
        after={"merged_into": f"{kept.name} (#{kept.pk})", "merge": merge.pk},
    )
    emit("contact.merged", {"workspace_id": workspace.pk, **summary})
    return merge


def _counts(moved: dict[str, list[int]]) -> dict[str, int]:
    return {label: len(ids) for label, ids in moved.items()}


@transaction.atomic
def undo_merge(*, merge: Merge | int, actor: Actor, workspace: Workspace | None = None) -> Merge:
    """Give the absorbed person back exactly what the merge moved, and clear the fields it filled."""
    merge_id = merge if isinstance(merge, int) else merge.pk
    qs = Merge.objects.select_for_update()
    if workspace is not None:
        qs = qs.filter(workspace=workspace)
    merge = qs.filter(pk=merge_id).first()
    if merge is None:
        raise MergeError("merge not found")
    if merge.undone_at is not None:
        raise UndoError(f"merge {merge.pk} was already undone")
    workspace = merge.workspace
    locked = _lock_pair(workspace, merge.kept_id, merge.absorbed_id)
    kept, absorbed = locked[merge.kept_id], locked[merge.absorbed_id]
    if kept.merged_into_id is not None:
        raise UndoError(
            f"contact {kept.pk} has since been merged into contact {kept.merged_into_id}; undo that merge first"
        )
    if absorbed.merged_into_id != kept.pk:
        raise UndoError(f"contact {absorbed.pk} is no longer merged into contact {kept.pk}")
    kept_before = person_snapshot(kept)
    returned: dict[str, int] = {}
    for relation in merged_relations():
        ids = merge.moved.get(relation.label) or []
        model = relation.model_class()
        if model is None or not ids:
            continue
        # Only rows still at the kept person go back: anything moved on since is left where it is now.
        still_here = list(model.objects.filter(pk__in=ids, **{relation.field: kept}).values_list("pk", flat=True))
        back = _movable(model, relation, still_here, absorbed)
        returned[relation.label] = model.objects.filter(pk__in=back).update(**{relation.field: absorbed})
    for item in merge.filled_fields:
        name = item["field"]
        if name == "tags":
            kept.tags = [t for t in kept.tags or [] if t not in item["added"]]
        elif _serialise(getattr(kept, name)) == item["after"]:  # an edit made since the merge wins
            setattr(kept, name, item["before"])
    kept.save()
    absorbed.merged_into = None
    absorbed.save(update_fields=["merged_into", "updated_at"])
    merge.undone_at = timezone.now()
    merge.undone_by_label = actor.label[:200]
    merge.save(update_fields=["undone_at", "undone_by_label"])
    refresh_person_search(kept)
    refresh_person_search(absorbed)
    summary = {"merge": merge.pk, "kept": kept.pk, "absorbed": absorbed.pk, "returned": returned}
    kept_after = person_snapshot(kept)
    changed = [k for k in kept_after if kept_after[k] != kept_before.get(k)]
    returned_text = ", ".join(f"{n} {label}" for label, n in returned.items() if n) or "nothing"
    record_audit(
        workspace=workspace,
        actor=actor,
        action="contact.unmerged",
        object_type="person",
        object_id=kept.pk,
        before={"absorbed": f"{absorbed.name} (#{absorbed.pk})", **{k: kept_before.get(k) for k in changed}},
        after={"absorbed": None, "returned": returned_text, "merge": merge.pk, **{k: kept_after[k] for k in changed}},
    )
    record_audit(
        workspace=workspace,
        actor=actor,
        action="contact.unmerged",
        object_type="person",
        object_id=absorbed.pk,
        before={"merged_into": f"{kept.name} (#{kept.pk})"},
        after={"merged_into": None, "merge": merge.pk, "returned": returned_text},
    )
    emit("contact.unmerged", {"workspace_id": workspace.pk, **summary})
    return merge


def live_person(person: Person) -> Person:
    """Follow merged_into to the person that now holds this record's history."""
    seen = {person.pk}
    while person.merged_into_id is not None and person.merged_into_id not in seen:
        seen.add(person.merged_into_id)
        person = Person.objects.get(pk=person.merged_into_id)
    return person

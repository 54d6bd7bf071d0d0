"""Identity services: merges, the review queue and its decisions, and refitting the workspace's matcher."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from rapport.contacts.models import Person
from rapport.core.actors import Actor
from rapport.core.models import Workspace
from rapport.core.pagination import keyset_page
from rapport.core.services import record_audit
from rapport.identity.claims import (
    ClaimError,
    claims_page,
    confirm_claim,
    dismiss_claim,
    pending_claims,
    send_verification,
)
from rapport.identity.matching import Match, Matcher
from rapport.identity.merging import (
    AlreadyMergedError,
    CrossWorkspaceError,
    MergeError,
    SelfMergeError,
    UndoError,
    live_person,
    merge_contacts,
    undo_merge,
)
from rapport.identity.models import ReviewItem, ReviewStatus
from rapport.identity.records import explanation_json, match_settings, person_record, workspace_matcher
from rapport.identity.stream import resolve_author

__all__ = [
    "AlreadyMergedError",
    "ClaimError",
    "claims_page",
    "confirm_claim",
    "dismiss_claim",
    "pending_claims",
    "send_verification",
    "CrossWorkspaceError",
    "MergeError",
    "SelfMergeError",
    "UndoError",
    "decide_review",
    "merge_contacts",
    "queue_review",
    "refit_matcher",
    "resolve_author",
    "review_page",
    "undo_merge",
]

log = logging.getLogger(__name__)
DECISIONS = {"accept": ReviewStatus.ACCEPTED, "reject": ReviewStatus.REJECTED}


def queue_review(
    *,
    workspace: Workspace,
    left: Person | int,
    right: Person | int,
    score: float,
    match: Match | None = None,
    source: str = "",
    records: tuple[dict, dict] | None = None,
) -> ReviewItem | None:
    """Hold a candidate pair for a person to decide; an identical pending pair is not queued twice."""
    left_id = left if isinstance(left, int) else left.pk
    right_id = right if isinstance(right, int) else right.pk
    if left_id == right_id:
        return None
    left_id, right_id = min(left_id, right_id), max(left_id, right_id)
    explanation: dict[str, Any] = {"fields": explanation_json(match)}
    if records is not None:
        explanation["records"] = list(records)  # kept so that the decision can train the matcher later
    try:
        with transaction.atomic():
            return ReviewItem.objects.create(
                workspace=workspace,
                left_id=left_id,
                right_id=right_id,
                score=round(float(score), 4),
                explanation=explanation,
                source=source,
            )
    except IntegrityError:
        return None


def review_page(
    *, workspace: Workspace, status: str = ReviewStatus.PENDING, limit: int = 25, cursor: str | None = None
) -> tuple[list[ReviewItem], str | None]:
    """One page of review items, oldest first, with both people loaded."""
    qs = ReviewItem.objects.filter(workspace=workspace, status=status).select_related("left", "right")
    return keyset_page(qs, fields=["id"], descending=False, limit=limit, cursor=cursor)


def _pair_records(item: ReviewItem) -> tuple[dict, dict]:
    records = (item.explanation or {}).get("records") if isinstance(item.explanation, dict) else None
    if records and len(records) == 2:
        return records[0], records[1]
    return person_record(item.left), person_record(item.right)


@transaction.atomic
def decide_review(*, workspace: Workspace, item: ReviewItem | int, decision: str, actor: Actor) -> ReviewItem:
    """Accept (merge the pair) or reject a pending review item; the decision then retrains the workspace's matcher."""
    if decision not in DECISIONS:
        raise MergeError(f"decision must be one of {', '.join(DECISIONS)}")
    item_id = item if isinstance(item, int) else item.pk
    item = ReviewItem.objects.select_for_update().filter(workspace=workspace, pk=item_id).first()
    if item is None:
        raise MergeError("review item not found")
    if item.status != ReviewStatus.PENDING:
        raise UndoError(f"review item {item.pk} was already {item.status}")
    records = _pair_records(item)  # captured before a merge moves identities around
    if decision == "accept":
        keep, absorb = live_person(item.left), live_person(item.right)
        if keep.pk != absorb.pk:
            merge_contacts(workspace=workspace, keep=keep, absorb=absorb, actor=actor, review_item=item)
    item.status = DECISIONS[decision]
    item.decided_by = actor.user
    item.decided_by_label = actor.label[:200]
    item.decided_at = timezone.now()
    if not (isinstance(item.explanation, dict) and item.explanation.get("records")):
        item.explanation = {**(item.explanation if isinstance(item.explanation, dict) else {}), "records": records}
    item.save()
    record_audit(
        workspace=workspace,
        actor=actor,
        action=f"identity.review_{item.status}",
        object_type="person",
        object_id=item.left_id,
        after={"review_item": item.pk, "left": item.left_id, "right": item.right_id, "score": item.score},
    )
    try:
        refit_matcher(workspace=workspace)
    except (ValueError, ArithmeticError):  # a failed refit keeps the previous parameters; the decision stands
        log.exception("refitting the matcher of workspace %s failed", workspace.pk)
    return item


def refit_matcher(*, workspace: Workspace, prior_strength: float = 1.0) -> Matcher | None:
    """Refit the shipped matcher on every review decision of the workspace and store its parameters."""
    items = ReviewItem.objects.filter(workspace=workspace).exclude(status=ReviewStatus.PENDING).order_by("id")
    pairs, labels = [], []
    for item in items.select_related("left", "right").iterator(chunk_size=500):
        left, right = _pair_records(item)
        pairs.append((left, right))
        labels.append(item.status == ReviewStatus.ACCEPTED)
    if not pairs:
        return None
    # Always start again from the shipped weights so that no decision is counted twice.
    matcher = Matcher.default().fit(pairs, labels, prior_strength=prior_strength)
    settings = match_settings(workspace)
    settings.params = matcher.to_params()
    settings.decisions_fitted = len(pairs)
    settings.save(update_fields=["params", "decisions_fitted", "updated_at"])
    return workspace_matcher(workspace)

"""Identity API: merge and un-merge contacts, and the review queue of doubtful matches."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from rapport.contacts.api import contact_out
from rapport.contacts.models import Person
from rapport.contacts.schemas import ContactOut
from rapport.contacts.services import with_details
from rapport.core.apiauth import require
from rapport.core.apitypes import Cursor, Id, Limit
from rapport.identity import services
from rapport.identity.models import IdentityClaim, Merge, ReviewItem

merge_router = Router(tags=["identity"])  # mounted under /contacts
merges_router = Router(tags=["identity"])
review_router = Router(tags=["identity"])


class Error(Schema):
    detail: str


class MergeIn(Schema):
    absorb_id: Id


class MergeOut(Schema):
    id: int
    kept: int
    absorbed: int
    actor: str
    created_at: datetime
    undone_at: datetime | None
    undone_by: str
    moved: dict[str, list[int]]
    filled_fields: list[str]


class MergePage(Schema):
    items: list[MergeOut]


class FieldExplanation(Schema):
    field: str
    level: str
    weight: float


class ReviewOut(Schema):
    id: int
    score: float
    status: str
    source: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: str
    left: ContactOut
    right: ContactOut
    explanation: list[FieldExplanation]


class ReviewPage(Schema):
    items: list[ReviewOut]
    next_cursor: str | None


class DecisionIn(Schema):
    decision: Literal["accept", "reject"]


def merge_out(merge: Merge) -> dict[str, Any]:
    """The API representation of a merge."""
    return {
        "id": merge.pk,
        "kept": merge.kept_id,
        "absorbed": merge.absorbed_id,
        "actor": merge.actor_label,
        "created_at": merge.created_at,
        "undone_at": merge.undone_at,
        "undone_by": merge.undone_by_label,
        "moved": {k: list(v) for k, v in (merge.moved or {}).items()},
        "filled_fields": [f["field"] for f in merge.filled_fields or []],
    }


def review_out(item: ReviewItem, people: dict[int, Person]) -> dict[str, Any]:
    """The API representation of a review item, with both contacts in full."""
    fields = item.explanation.get("fields", []) if isinstance(item.explanation, dict) else item.explanation
    return {
        "id": item.pk,
        "score": item.score,
        "status": item.status,
        "source": item.source,
        "created_at": item.created_at,
        "decided_at": item.decided_at,
        "decided_by": item.decided_by_label,
        "left": contact_out(people[item.left_id]),
        "right": contact_out(people[item.right_id]),
        "explanation": fields or [],
    }


def _people(workspace, ids) -> dict[int, Person]:
    return {p.pk: p for p in with_details(Person.objects.filter(workspace=workspace, pk__in=set(ids)))}


@merge_router.post("/{contact_id}/merge", response={201: MergeOut, 409: Error, 422: Error})
def merge_contact(request: HttpRequest, contact_id: Id, payload: MergeIn):
    """Merge the contact `absorb_id` into this one: its identities, touchpoints and organisations move here.

    The absorbed contact is kept (with `merged_into` set) so that the merge can be undone.
    """
    require(request, "identity.merge")
    keep = get_object_or_404(Person, workspace=request.workspace, pk=contact_id)
    try:
        merge = services.merge_contacts(
            workspace=request.workspace, keep=keep, absorb=payload.absorb_id, actor=request.actor
        )
    except services.MergeError as exc:
        return Status(exc.status, {"detail": str(exc)})
    return Status(201, merge_out(merge))


@merge_router.get("/{contact_id}/merges", response=MergePage)
def contact_merges(request: HttpRequest, contact_id: Id):
    """The merges this contact took part in, newest first (as the kept or the absorbed record)."""
    require(request, "contacts.view")
    person = get_object_or_404(Person, workspace=request.workspace, pk=contact_id)
    merges = Merge.objects.filter(workspace=request.workspace, kept=person) | Merge.objects.filter(
        workspace=request.workspace, absorbed=person
    )
    return {"items": [merge_out(m) for m in merges.order_by("-created_at", "-id")[:100]]}


@merges_router.get("/{merge_id}", response=MergeOut)
def get_merge(request: HttpRequest, merge_id: Id):
    """One merge: who absorbed whom, by whom, and exactly what moved."""
    require(request, "contacts.view")
    return merge_out(get_object_or_404(Merge, workspace=request.workspace, pk=merge_id))


@merges_router.post("/{merge_id}/undo", response={200: MergeOut, 409: Error, 422: Error})
def undo_merge(request: HttpRequest, merge_id: Id):
    """Un-merge: what the merge moved goes back to the absorbed contact, and the fields it filled are cleared."""
    require(request, "identity.merge")
    merge = get_object_or_404(Merge, workspace=request.workspace, pk=merge_id)
    try:
        merge = services.undo_merge(merge=merge, actor=request.actor, workspace=request.workspace)
    except services.MergeError as exc:
        return Status(exc.status, {"detail": str(exc)})
    return merge_out(merge)


class ReviewFilters(Schema):
    status: Literal["pending", "accepted", "rejected"] = "pending"
    limit: Limit = 25
    cursor: Cursor | None = None


@review_router.get("/review", response=ReviewPage)
def review_queue(request: HttpRequest, filters: Query[ReviewFilters]):
    """Pairs scored between the review and link thresholds: both contacts and the per-field explanation."""
    require(request, "identity.review")
    rows, next_cursor = services.review_page(
        workspace=request.workspace, status=filters.status, limit=filters.limit, cursor=filters.cursor
    )
    people = _people(request.workspace, [i.left_id for i in rows] + [i.right_id for i in rows])
    return {"items": [review_out(i, people) for i in rows], "next_cursor": next_cursor}


@review_router.post("/review/{item_id}", response={200: ReviewOut, 409: Error, 422: Error})
def decide(request: HttpRequest, item_id: Id, payload: DecisionIn):
    """Accept (merge the two contacts) or reject a pair; decisions retrain this workspace's matcher."""
    require(request, "identity.review")
    if payload.decision == "accept":
        require(request, "identity.merge")
    item = get_object_or_404(ReviewItem, workspace=request.workspace, pk=item_id)
    try:
        item = services.decide_review(
            workspace=request.workspace, item=item, decision=payload.decision, actor=request.actor
        )
    except services.MergeError as exc:
        return Status(exc.status, {"detail": str(exc)})
    people = _people(request.workspace, [item.left_id, item.right_id])
    return review_out(item, people)


class ClaimAccount(Schema):
    id: int
    network: str
    handle: str


class ClaimOut(Schema):
    id: int
    status: Literal["pending", "confirmed", "dismissed"]
    how: str
    account: ClaimAccount
    contact_id: int
    post_id: int | None
    created_at: datetime
    verification_sent_at: datetime | None
    decided_by: str
    decided_at: datetime | None


class ClaimPage(Schema):
    items: list[ClaimOut]
    next_cursor: str | None


class ClaimFilters(Schema):
    status: Literal["pending", "confirmed", "dismissed"] = "pending"
    limit: Limit = 25
    cursor: Cursor | None = None


def claim_out(claim: IdentityClaim) -> dict[str, Any]:
    identity = claim.identity
    return {
        "id": claim.pk,
        "status": claim.status,
        "how": claim.how,
        "account": {"id": identity.pk, "network": identity.network, "handle": identity.handle},
        "contact_id": claim.person_id,
        "post_id": claim.post_id,
        "created_at": claim.created_at,
        "verification_sent_at": claim.verification_sent_at,
        "decided_by": claim.decided_by_label,
        "decided_at": claim.decided_at,
    }


@review_router.get("/claims", response=ClaimPage)
def claims(request: HttpRequest, filters: Query[ClaimFilters]):
    """Authors who gave a contact's customer number, email or phone in a message: claims, not links, until an agent
    confirms one or the contact follows the verification link mailed to the address on file."""
    require(request, "identity.review")
    rows, next_cursor = services.claims_page(
        workspace=request.workspace, status=filters.status, limit=filters.limit, cursor=filters.cursor
    )
    return {"items": [claim_out(c) for c in rows], "next_cursor": next_cursor}


def _decide_claim(request: HttpRequest, claim_id: int, decide) -> Any:
    require(request, "identity.merge")
    get_object_or_404(IdentityClaim, workspace=request.workspace, pk=claim_id)
    try:
        decide(workspace=request.workspace, claim_id=claim_id, actor=request.actor)
    except services.ClaimError as exc:
        return Status(409, {"detail": str(exc)})
    return claim_out(IdentityClaim.objects.select_related("identity").get(pk=claim_id))


@review_router.post("/claims/{claim_id}/confirm", response={200: ClaimOut, 404: Error, 409: Error})
def confirm_claim(request: HttpRequest, claim_id: Id):
    """It is them: link the account to the contact; its earlier messages join the contact's history."""
    return _decide_claim(request, claim_id, services.confirm_claim)


@review_router.post("/claims/{claim_id}/dismiss", response={200: ClaimOut, 404: Error, 409: Error})
def dismiss_claim(request: HttpRequest, claim_id: Id):
    """Not them: the account stays unlinked and the claim is not raised again for this account and contact."""
    return _decide_claim(request, claim_id, services.dismiss_claim)


@review_router.post("/claims/{claim_id}/verify", response={200: ClaimOut, 404: Error, 409: Error})
def verify_claim(request: HttpRequest, claim_id: Id):
    """Mail the contact's address on file a link that confirms the claim when they follow it (409 with no email)."""
    return _decide_claim(request, claim_id, services.send_verification)

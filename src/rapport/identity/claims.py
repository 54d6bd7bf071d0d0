"""Claims: who an author says they are, kept apart from who Rapport knows they are.

An author who writes a customer's number, email or phone in a message, or a chat visitor who types an email, may
be that customer or anyone who knows it. So a match from message text links nothing: it records a pending claim.
The agent sees who the author claims to be and none of that person's history; the account is linked (and its
history attached) only when an agent confirms the claim or the person follows a link mailed to the address on
file, which proves they hold it. A dismissed claim is not raised again for the same account and person.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from rapport.core.actors import Actor
from rapport.core.links import public_url
from rapport.core.models import Workspace
from rapport.core.services import record_audit, record_audit_bulk
from rapport.identity import history
from rapport.identity.merging import live_person
from rapport.identity.models import ClaimStatus, IdentityClaim, SocialIdentity
from rapport.identity.stream import Candidate, link_matched, match_people

VERIFY_SALT = "rapport.identity.claim"
VERIFY_DAYS = 2
HOW_LABELS = {"customer_number": "customer number", "email": "email address", "phone": "phone number"}


class ClaimError(ValueError):
    """A claim that cannot be decided as asked (already decided, account linked to someone else, no email)."""


@dataclass(frozen=True)
class ClaimView:
    """What the inbox shows of a pending claim: who the author says they are, not what Rapport holds on them."""

    id: int
    person_id: int
    name: str
    how: str
    email_hint: str  # the address a verification would go to, masked ("m•••@example.dk"), or ""
    verification_sent_at: object


def _mask(email: str) -> str:
    local, _, domain = (email or "").partition("@")
    return f"{local[:1]}•••@{domain}" if local and domain else ""


def claim_many(*, workspace: Workspace, candidates: list[Candidate]) -> dict[int, IdentityClaim]:
    """Record a pending claim for each candidate whose text names exactly one person; returns identity id -> the
    pending claim (new or already open). Links nothing. A fixed number of queries for the whole batch."""
    chosen = match_people(workspace=workspace, candidates=candidates)
    if not chosen:
        return {}
    pairs = {(i, p.pk) for i, (p, _how, _c) in chosen.items()}
    with transaction.atomic():
        seen = set(
            IdentityClaim.objects.filter(
                workspace=workspace,
                identity_id__in=list(chosen),
                status__in=[ClaimStatus.PENDING, ClaimStatus.DISMISSED],
            ).values_list("identity_id", "person_id")
        )
        new = [
            IdentityClaim(workspace=workspace, identity_id=i, person=p, how=how, post_id=c.post_id)
            for i, (p, how, c) in chosen.items()
            if (i, p.pk) not in seen
        ]
        IdentityClaim.objects.bulk_create(new, ignore_conflicts=True)
        record_audit_bulk(
            workspace=workspace,
            actor=Actor.rule("identity: identifier given in a message"),
            events=[
                ("identity.claimed", "person", c.person.pk, {"identity": chosen[c.identity_id][2].label, "by": c.how})
                for c in new
            ],
        )
    open_claims = IdentityClaim.objects.filter(
        workspace=workspace, identity_id__in=list(chosen), status=ClaimStatus.PENDING
    )
    return {c.identity_id: c for c in open_claims if (c.identity_id, c.person_id) in pairs}


def pending_claims(*, workspace: Workspace, identity_id: int | None) -> list[ClaimView]:
    """The open claims of one account, newest first, as the inbox may show them."""
    if identity_id is None:
        return []
    rows = (
        IdentityClaim.objects.filter(workspace=workspace, identity_id=identity_id, status=ClaimStatus.PENDING)
        .select_related("person")
        .order_by("-created_at", "-id")
    )
    return [
        ClaimView(
            id=c.pk,
            person_id=c.person_id,
            name=f"{c.person.first_name} {c.person.last_name}".strip() or f"contact {c.person_id}",
            how=HOW_LABELS.get(c.how, c.how),
            email_hint=_mask(c.person.email),
            verification_sent_at=c.verification_sent_at,
        )
        for c in rows
    ]


def _pending(workspace: Workspace, claim_id: int) -> IdentityClaim:
    claim = (
        IdentityClaim.objects.select_for_update()
        .select_related("identity", "person")
        .filter(workspace=workspace, pk=claim_id)
        .first()
    )
    if claim is None:
        raise IdentityClaim.DoesNotExist(f"no claim {claim_id}")
    if claim.status != ClaimStatus.PENDING:
        raise ClaimError(f"this claim was already {claim.get_status_display().lower()}")
    return claim


def _decide(claim: IdentityClaim, status: str, actor: Actor) -> None:
    claim.status = status
    claim.decided_by = actor.user
    claim.decided_by_label = actor.label
    claim.decided_at = timezone.now()
    claim.save(update_fields=["status", "decided_by", "decided_by_label", "decided_at"])


def confirm_claim(*, workspace: Workspace, claim_id: int, actor: Actor, by: str = "agent") -> IdentityClaim:
    """Link the claiming account to the person (with its earlier posts), audited; other open claims of the account
    are dismissed. `by` says how it was proved: "agent" (an agent confirmed) or "email" (the person verified)."""
    with transaction.atomic():
        claim = _pending(workspace, claim_id)
        person = live_person(claim.person)  # the claimed contact may have been merged since
        identity = SocialIdentity.objects.select_for_update().get(pk=claim.identity_id)
        if identity.person_id is not None and identity.person_id != person.pk:
            raise ClaimError("this account is linked to another contact now; unlink it there first")
        link_matched(workspace=workspace, chosen={identity.pk: (person, f"claim_{by}", str(identity))}, actor=actor)
        _decide(claim, ClaimStatus.CONFIRMED, actor)
        for other in IdentityClaim.objects.filter(identity_id=identity.pk, status=ClaimStatus.PENDING).exclude(
            pk=claim.pk
        ):
            _decide(other, ClaimStatus.DISMISSED, Actor.system(f"claim {claim.pk} confirmed"))
        history.attach(workspace_id=workspace.pk, links={identity.pk: person.pk})
        record_audit(
            workspace=workspace,
            actor=actor,
            action="identity.claim_confirmed",
            object_type="person",
            object_id=person.pk,
            after={"claim": claim.pk, "identity": str(identity), "how": claim.how, "proved_by": by},
        )
    return claim


def dismiss_claim(*, workspace: Workspace, claim_id: int, actor: Actor) -> IdentityClaim:
    """Not this person: the claim is closed and not raised again for this account and person."""
    with transaction.atomic():
        claim = _pending(workspace, claim_id)
        _decide(claim, ClaimStatus.DISMISSED, actor)
        record_audit(
            workspace=workspace,
            actor=actor,
            action="identity.claim_dismissed",
            object_type="person",
            object_id=claim.person_id,
            after={"claim": claim.pk, "identity": str(claim.identity), "how": claim.how},
        )
    return claim


def verification_token(claim: IdentityClaim) -> str:
    return signing.dumps({"c": claim.pk, "w": claim.workspace_id}, salt=VERIFY_SALT, compress=True)


def send_verification(*, workspace: Workspace, claim_id: int, actor: Actor) -> str:
    """Mail the person on file a link that confirms the claim when followed; returns the link.

    Whoever holds the address on file proves it is them; the author of the message learns nothing from it.
    """
    from django.core.mail import send_mail

    with transaction.atomic():
        claim = _pending(workspace, claim_id)
        address = claim.person.email
        if not address:
            raise ClaimError("the contact has no email address on file to verify with: confirm by other means")
        url = public_url(reverse("identity:claim-verify", kwargs={"token": verification_token(claim)}))
        send_mail(
            f"Is this you? {workspace.name}",
            f"Someone wrote to {workspace.name} on {claim.identity.get_network_display()} "
            f"as @{claim.identity.handle or claim.identity.external_id} and gave your "
            f"{HOW_LABELS.get(claim.how, claim.how)}.\n\n"
            f"If that was you, confirm within {VERIFY_DAYS} days and your messages there will join your history:\n"
            f"{url}\n\nIf it was not you, ignore this message: nothing is linked.",
            None,
            [address],
        )
        claim.verification_sent_at = timezone.now()
        claim.save(update_fields=["verification_sent_at"])
        record_audit(
            workspace=workspace,
            actor=actor,
            action="identity.claim_verification_sent",
            object_type="person",
            object_id=claim.person_id,
            after={"claim": claim.pk, "to": _mask(address)},
        )
    return url


def check_token(token: str) -> tuple[int, int]:
    """(claim id, workspace id) of a verification link that is genuine, unexpired and not yet used."""
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_DAYS * 86400)
        claim_id, workspace_id = int(data["c"]), int(data["w"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise ClaimError("this link is not valid or has expired") from exc
    status = IdentityClaim.objects.filter(pk=claim_id, workspace_id=workspace_id).values_list("status", flat=True)
    if not status:
        raise ClaimError("this link is not valid or has expired")
    if status[0] != ClaimStatus.PENDING:
        raise ClaimError("this link was already used, or the claim was decided")
    return claim_id, workspace_id


def verify(token: str) -> IdentityClaim:
    """Confirm the claim a verification link names; ClaimError when the link is bad, expired or spent."""
    claim_id, workspace_id = check_token(token)
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        raise ClaimError("this link is not valid or has expired")
    try:
        return confirm_claim(
            workspace=workspace, claim_id=claim_id, actor=Actor.system("verified by email"), by="email"
        )
    except IdentityClaim.DoesNotExist as exc:
        raise ClaimError("this link is not valid or has expired") from exc


def claims_page(
    *, workspace: Workspace, status: str = ClaimStatus.PENDING, limit: int = 25, cursor: str | None = None
) -> tuple[list[IdentityClaim], str | None]:
    """One page of claims in one status, newest first, with the account loaded."""
    from rapport.core.pagination import keyset_page

    qs = IdentityClaim.objects.filter(workspace=workspace, status=status).select_related("identity")
    return keyset_page(qs, fields=["id"], descending=True, limit=limit, cursor=cursor)

"""Identity's part of access exports and erasures: the person's social identities, merges and review pairs."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from rapport.consent.subject import Subject, register_subject_data, rows
from rapport.identity.models import IdentityClaim, Merge, ReviewItem, SocialIdentity


def _identities(subject: Subject) -> list[dict[str, Any]]:
    return rows(SocialIdentity.objects.filter(person_id__in=subject.person_ids), exclude=("handle_key",))


def _identifiers(subject: Subject) -> list[str]:
    out: list[str] = []
    for handle, external_id, name, url in SocialIdentity.objects.filter(person_id__in=subject.person_ids).values_list(
        "handle", "external_id", "display_name", "profile_url"
    ):
        out.extend([handle, external_id, name, url])
    return out


def _merges(subject: Subject) -> list[dict[str, Any]]:
    qs = Merge.objects.filter(Q(kept_id__in=subject.person_ids) | Q(absorbed_id__in=subject.person_ids))
    return [
        {"kept": m.kept_id, "absorbed": m.absorbed_id, "by": m.actor_label, "at": m.created_at.isoformat()} for m in qs
    ]


def _claims(subject: Subject) -> list[dict[str, Any]]:
    """Accounts that said in a message that they are this person, and what became of it."""
    return [
        {
            "account": f"{network}:{handle}",
            "gave": how,
            "status": status,
            "decided_by": by,
            "at": at.isoformat(),
        }
        for network, handle, how, status, by, at in IdentityClaim.objects.filter(
            person_id__in=subject.person_ids
        ).values_list("identity__network", "identity__handle", "how", "status", "decided_by_label", "created_at")
    ]


def _erase(subject: Subject) -> dict[str, int]:
    ids = subject.person_ids
    reviews, _ = ReviewItem.objects.filter(Q(left_id__in=ids) | Q(right_id__in=ids)).delete()
    merges, _ = Merge.objects.filter(Q(kept_id__in=ids) | Q(absorbed_id__in=ids)).delete()
    identities, _ = SocialIdentity.objects.filter(person_id__in=ids).delete()
    return {"identities": identities, "merges": merges, "review_items": reviews}


def register() -> None:
    register_subject_data("identities", _identities, _erase, identifiers=_identifiers)
    register_subject_data("merges", _merges)
    register_subject_data("identity_claims", _claims)  # the claims go with the person (a cascade)

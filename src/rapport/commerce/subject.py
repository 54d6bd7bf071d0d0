"""Commerce's part of access exports and erasures: the person's orders and returns, loyalty (memberships, the
points ledger, vouchers) and their value summary.

An erasure keeps the orders for the books but anonymised: they lose their person and the customer reference
they arrived with (email, customer number, card), so revenue reports still add up and nothing in them points at
anyone. Orders still waiting for review that name one of the person's identifiers are anonymised too. Points,
memberships and the value summary are about the person alone and go."""

from __future__ import annotations

from typing import Any

from django.db.models import TextField
from django.db.models.functions import Cast

from rapport.commerce.models import CustomerValue, Membership, Order, OrderLine, PointsEntry, Return, Voucher
from rapport.consent.subject import Subject, register_subject_data, row


def _orders_of(subject: Subject):
    return Order.objects.filter(workspace_id=subject.workspace_id, person_id__in=subject.person_ids)


def _unlinked_naming(subject: Subject):
    """Orders nobody is linked to whose customer reference names one of the person's identifiers."""
    names = subject.named_in("ref_text")
    if names is None:
        return Order.objects.none()
    return (
        Order.objects.filter(workspace_id=subject.workspace_id, person__isnull=True)
        .annotate(ref_text=Cast("customer_ref", TextField()))
        .filter(names)
    )


def _orders(subject: Subject) -> list[dict[str, Any]]:
    orders = list(_orders_of(subject).select_related("store").order_by("-ordered_at", "-id")[:5000])
    lines: dict[int, list[dict[str, Any]]] = {}
    for line in OrderLine.objects.filter(order__in=orders).order_by("id"):
        lines.setdefault(line.order_id, []).append(row(line, exclude=("id", "order", "product")))
    returns: dict[int, list[dict[str, Any]]] = {}
    for r in Return.objects.filter(order__in=orders).order_by("returned_at"):
        returns.setdefault(r.order_id, []).append(row(r, exclude=("id", "order", "line", "created_at")))
    return [
        {
            **row(o, exclude=("person", "store", "created_at", "updated_at")),
            "store": o.store.name or o.store.code if o.store else None,
            "lines": lines.get(o.pk, []),
            "returns": returns.get(o.pk, []),
        }
        for o in orders
    ]


def _loyalty(subject: Subject) -> dict[str, Any]:
    memberships = Membership.objects.filter(person_id__in=subject.person_ids).select_related("programme", "tier")
    points = PointsEntry.objects.filter(person_id__in=subject.person_ids).select_related("programme", "partner")
    vouchers = Voucher.objects.filter(workspace_id=subject.workspace_id, person_id__in=subject.person_ids)
    return {
        "memberships": [
            {
                "programme": m.programme.name,
                "card_number": m.card_number,
                "tier": m.tier.name if m.tier else None,
                "tier_until": m.tier_until.isoformat() if m.tier_until else None,
                "tier_reason": m.tier_reason,
                "joined_at": m.joined_at.isoformat(),
            }
            for m in memberships
        ],
        "points": [
            {
                "programme": p.programme.name,
                "kind": p.kind,
                "points": p.points,
                "occurred_at": p.occurred_at.isoformat(),
                "expires_at": p.expires_at.isoformat() if p.expires_at else None,
                "order": p.order_id,
                "partner": p.partner.name if p.partner else None,
                "reason": p.reason,
            }
            for p in points.order_by("-occurred_at", "-id")[:5000]
        ],
        "vouchers": [
            row(v, exclude=("id", "person", "programme", "redeemed_order", "redeemed_partner")) for v in vouchers
        ],
    }


def _value(subject: Subject) -> list[dict[str, Any]]:
    return [
        row(v, exclude=("id",)) for v in CustomerValue.objects.filter(person_id__in=subject.person_ids).order_by("pk")
    ]


def _erase_orders(subject: Subject) -> dict[str, int]:
    linked = _orders_of(subject).update(person=None, customer_ref={"erased": True})
    waiting = Order.objects.filter(pk__in=list(_unlinked_naming(subject).values_list("pk", flat=True))).update(
        customer_ref={"erased": True}
    )
    return {"orders_anonymised": linked + waiting}


def _erase_loyalty(subject: Subject) -> dict[str, int]:
    ids = subject.person_ids
    # A voucher's code is the shop's: it stays (redeemed or not) without its holder.
    vouchers = Voucher.objects.filter(workspace_id=subject.workspace_id, person_id__in=ids).update(person=None)
    points, _ = PointsEntry.objects.filter(person_id__in=ids).delete()
    memberships, _ = Membership.objects.filter(person_id__in=ids).delete()
    return {"points_entries": points, "memberships": memberships, "vouchers_detached": vouchers}


def _erase_value(subject: Subject) -> dict[str, int]:
    n, _ = CustomerValue.objects.filter(person_id__in=subject.person_ids).delete()
    return {"value_summaries": n}


def _identifiers(subject: Subject) -> list[str]:
    return list(Membership.objects.filter(person_id__in=subject.person_ids).values_list("card_number", flat=True))


def register() -> None:
    register_subject_data("orders", _orders, _erase_orders)
    register_subject_data("loyalty", _loyalty, _erase_loyalty, identifiers=_identifiers)
    register_subject_data("value", _value, _erase_value)

"""Commerce API: a person's value and loyalty (mounted under /contacts), orders under /orders, vouchers."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from rapport.commerce import loyalty, services
from rapport.commerce.models import Order, Partner, Voucher
from rapport.commerce.schemas import (
    LinkIn,
    LoyaltyOut,
    OrderIn,
    OrderOut,
    OrderPage,
    RedeemIn,
    ReturnIn,
    ReturnOut,
    ValueOut,
    VoucherOut,
)
from rapport.contacts.models import Person
from rapport.core.apiauth import require
from rapport.core.apitypes import Cursor, Id, Limit
from rapport.core.errors import FieldErrors
from rapport.core.pagination import keyset_page

router = Router(tags=["value"])
orders_router = Router(tags=["orders"])
vouchers_router = Router(tags=["loyalty"])


def _person(request: HttpRequest, contact_id: int) -> Person:
    return get_object_or_404(Person.objects.filter(workspace=request.workspace), pk=contact_id)


@router.get("/{contact_id}/value", response=ValueOut)
def contact_value(request: HttpRequest, contact_id: Id):
    """What the person's purchases say: RFM, probability alive, expected purchases, 12-month CLV, with a sentence."""
    require(request, "contacts.view")
    person = _person(request, contact_id)
    return services.value_out(services.value_of(workspace=request.workspace, person=person))


@router.get("/{contact_id}/loyalty", response=LoyaltyOut)
def contact_loyalty(request: HttpRequest, contact_id: Id):
    """The person's points balance (the sum of the ledger), tier, and the newest ledger lines."""
    require(request, "contacts.view")
    person = _person(request, contact_id)
    return loyalty.ledger_out(loyalty.active_programme(request.workspace), person)


def order_out(order: Order) -> dict:
    return {
        "id": order.pk,
        "source": order.source,
        "order_id": order.order_id,
        "contact_id": order.person_id,
        "customer_ref": order.customer_ref,
        "ordered_at": order.ordered_at,
        "currency": order.currency,
        "total": order.total,
        "discount": order.discount,
        "returned": order.returned,
        "store": order.store.code if order.store_id else None,
        "channel": order.channel,
        "lines": [
            {
                "sku": ln.sku,
                "product": ln.name,
                "category": ln.category,
                "quantity": ln.quantity,
                "unit_price": ln.unit_price,
                "discount": ln.discount,
                "amount": ln.amount,
            }
            for ln in order.lines.all()
        ],
    }


class OrderFilters(Schema):
    contact_id: Id | None = None
    unmatched: bool = False
    limit: Limit = 50
    cursor: Cursor | None = None


@router.get("/{contact_id}/orders", response=OrderPage)
def contact_orders(request: HttpRequest, contact_id: Id, limit: Limit = 50, cursor: Cursor | None = None):
    """The person's orders, newest first."""
    require(request, "contacts.view")
    person = _person(request, contact_id)
    qs = Order.objects.filter(workspace=request.workspace, person=person).select_related("store")
    rows, nxt = keyset_page(
        qs.prefetch_related("lines"), fields=["ordered_at", "id"], descending=True, limit=limit, cursor=cursor
    )
    return {"items": [order_out(o) for o in rows], "next_cursor": nxt}


@orders_router.get("", response=OrderPage)
def list_orders(request: HttpRequest, filters: Query[OrderFilters]):
    """Orders, newest first; `unmatched=true` lists those waiting for review (they named nobody known)."""
    require(request, "contacts.view")
    qs = Order.objects.filter(workspace=request.workspace).select_related("store").prefetch_related("lines")
    if filters.contact_id:
        qs = qs.filter(person_id=filters.contact_id)
    if filters.unmatched:
        qs = qs.filter(person__isnull=True)
    rows, nxt = keyset_page(
        qs, fields=["ordered_at", "id"], descending=True, limit=filters.limit, cursor=filters.cursor
    )
    return {"items": [order_out(o) for o in rows], "next_cursor": nxt}


def to_order(payload: OrderIn) -> services.OrderIn:
    return services.OrderIn(
        order_id=payload.order_id.strip(),
        ordered_at=payload.ordered_at,
        source=payload.source.strip() or "api",
        external_id=payload.external_id.strip(),
        customer_number=payload.customer_number.strip(),
        email=payload.email.strip().lower(),
        loyalty_card=payload.loyalty_card.strip(),
        currency=payload.currency.strip().upper(),
        store=payload.store.strip(),
        channel=payload.channel.strip(),
        discount=payload.discount,
        lines=[
            services.LineIn(
                sku=ln.sku.strip(),
                name=ln.product.strip(),
                category=ln.category.strip(),
                brand=ln.brand.strip(),
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                discount=ln.discount,
                amount=ln.amount,
            )
            for ln in payload.lines
        ],
    )


def _store(request: HttpRequest, order: services.OrderIn) -> tuple[Order, bool]:
    try:
        return services.record_order(workspace=request.workspace, order=order)
    except services.OrderError as exc:
        raise FieldErrors({exc.field: exc.message}) from None


@orders_router.post("", response={201: OrderOut, 200: OrderOut})
def create_order(request: HttpRequest, payload: OrderIn):
    """Record an order (201); the same (source, order_id) again is acknowledged with the stored order (200)."""
    require(request, "contacts.import")
    order, created = _store(request, to_order(payload))
    order = Order.objects.select_related("store").prefetch_related("lines").get(pk=order.pk)
    return Status(201 if created else 200, order_out(order))


def _order(request: HttpRequest, order_id: int) -> Order:
    return get_object_or_404(
        Order.objects.filter(workspace=request.workspace).select_related("store").prefetch_related("lines"),
        pk=order_id,
    )


@orders_router.get("/{order_id}", response=OrderOut)
def get_order(request: HttpRequest, order_id: Id):
    require(request, "contacts.view")
    return order_out(_order(request, order_id))


@orders_router.post("/{order_id}/link", response=OrderOut)
def link_order(request: HttpRequest, order_id: Id, payload: LinkIn):
    """Link an order that waited for review to a contact (its timeline, points and value follow)."""
    require(request, "contacts.change")
    order = _order(request, order_id)
    person = Person.objects.filter(workspace=request.workspace, pk=payload.contact_id, merged_into__isnull=True).first()
    if person is None:
        raise FieldErrors({"contact_id": "no such contact in this workspace"})
    services.link_order(workspace=request.workspace, order=order, person=person)
    return order_out(_order(request, order_id))


@orders_router.post("/{order_id}/returns", response={201: ReturnOut})
def add_return(request: HttpRequest, order_id: Id, payload: ReturnIn):
    """Record goods returned: the refund lowers the order's net value and the person's spend."""
    require(request, "contacts.change")
    order = _order(request, order_id)
    try:
        ret = services.record_return(
            workspace=request.workspace,
            order=order,
            amount=payload.amount,
            returned_at=payload.returned_at,
            reason=payload.reason,
        )
    except services.OrderError as exc:
        raise FieldErrors({exc.field: exc.message}) from None
    return Status(
        201,
        {
            "id": ret.pk,
            "order_id": order.pk,
            "amount": ret.amount,
            "returned_at": ret.returned_at,
            "reason": ret.reason,
        },
    )


def voucher_out(v: Voucher) -> dict:
    return {
        "id": v.pk,
        "code": v.code,
        "contact_id": v.person_id,
        "description": v.description,
        "amount": v.amount,
        "percent": v.percent,
        "issued_at": v.issued_at,
        "expires_at": v.expires_at,
        "redeemed_at": v.redeemed_at,
    }


class Conflict(Schema):
    detail: str


@vouchers_router.post("/redeem", response={200: VoucherOut, 409: Conflict})
def redeem_voucher(request: HttpRequest, payload: RedeemIn):
    """Redeem a single-use code; 409 when it was already redeemed or has expired, 422 for an unknown code."""
    require(request, "contacts.change")
    partner = None
    if payload.partner:
        partner = Partner.objects.filter(workspace=request.workspace, code=payload.partner).first()
        if partner is None:
            raise FieldErrors({"partner": "no such partner"})
    try:
        v = loyalty.redeem_voucher(workspace=request.workspace, code=payload.code, partner=partner)
    except loyalty.VoucherUnavailable as exc:
        if exc.message == "no such voucher":
            raise FieldErrors({"code": exc.message}) from None
        return Status(409, {"detail": f"code: {exc.message}"})
    return voucher_out(v)

"""The signed order webhook: Rapport's own shape (and signature), and Shopify- and WooCommerce-shaped orders with
their platforms' signatures (base64 HMAC-SHA256 of the body). An order posted twice is recorded once."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from rapport.commerce import services
from rapport.commerce.models import OrderWebhook
from rapport.core.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    hmac_sha256,
    signatures_match,
    verify_signature,
)

MAX_BODY = 2_000_000


class PayloadError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _dec(value: Any, field: str) -> Decimal:
    try:
        out = Decimal(str(value if value not in (None, "") else 0))
    except InvalidOperation:
        raise PayloadError(field, f"{value!r} is not a number") from None
    if not out.is_finite() or abs(out) >= Decimal("1e12"):
        raise PayloadError(field, f"{value!r} is not a usable amount")
    return out


def _time(value: Any, field: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise PayloadError(field, "is required (ISO 8601)")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(field, f"{value!r} is not ISO 8601") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(value: Any, limit: int, field: str) -> str:
    """A text or number field as text; an object, a list or a boolean where text belongs names its field."""
    if value is None:
        return ""
    if isinstance(value, dict | list | bool):
        raise PayloadError(field, f"must be text, not {type(value).__name__}")
    return str(value).strip()[:limit]


def _object(value: Any, field: str) -> dict:
    """A nested object of the payload (Shopify's customer, WooCommerce's billing), which may be absent."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise PayloadError(field, "must be a JSON object")
    return value


def _objects(items: list, field: str) -> list[dict]:
    """The lines of an order: each one an object, or the order is refused naming the line (none is dropped)."""
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise PayloadError(f"{field}.{i}", "a line must be a JSON object")
    return items


def from_generic(data: dict, source: str) -> services.OrderIn:
    lines = data.get("lines")
    if not isinstance(lines, list) or not lines:
        raise PayloadError("lines", "an order needs at least one line")
    return services.OrderIn(
        order_id=_text(data.get("order_id"), 100, "order_id"),
        ordered_at=_time(data.get("ordered_at"), "ordered_at"),
        source=source,
        external_id=_text(data.get("external_id"), 100, "external_id"),
        customer_number=_text(data.get("customer_number"), 64, "customer_number"),
        email=_text(data.get("email"), 254, "email").lower(),
        loyalty_card=_text(data.get("loyalty_card"), 64, "loyalty_card"),
        currency=_text(data.get("currency"), 3, "currency").upper(),
        store=_text(data.get("store"), 64, "store"),
        channel=_text(data.get("channel"), 32, "channel"),
        lines=[
            services.LineIn(
                sku=_text(ln.get("sku"), 100, f"lines.{i}.sku"),
                name=_text(ln.get("product"), 300, f"lines.{i}.product"),
                category=_text(ln.get("category"), 300, f"lines.{i}.category"),
                quantity=_dec(ln.get("quantity", 1), f"lines.{i}.quantity"),
                amount=_dec(ln.get("amount"), f"lines.{i}.amount"),
            )
            for i, ln in enumerate(_objects(lines, "lines"))
        ],
    )


def from_shopify(data: dict, source: str) -> services.OrderIn:
    """A Shopify `orders/create` payload: line totals are price × quantity less the line's discount."""
    customer = _object(data.get("customer"), "customer")
    items = data.get("line_items")
    if not isinstance(items, list) or not items:
        raise PayloadError("line_items", "an order needs at least one line item")
    lines = []
    for i, item in enumerate(_objects(items, "line_items")):
        qty = _dec(item.get("quantity", 1), f"line_items.{i}.quantity")
        price = _dec(item.get("price"), f"line_items.{i}.price")
        disc = _dec(item.get("total_discount", 0), f"line_items.{i}.total_discount")
        lines.append(
            services.LineIn(
                sku=_text(item.get("sku") or item.get("variant_id"), 100, f"line_items.{i}.sku"),
                name=_text(item.get("title") or item.get("name"), 300, f"line_items.{i}.title"),
                category=_text(item.get("product_type"), 300, f"line_items.{i}.product_type"),
                brand=_text(item.get("vendor"), 200, f"line_items.{i}.vendor"),
                quantity=qty,
                unit_price=price,
                discount=disc,
                amount=price * qty - disc,
            )
        )
    return services.OrderIn(
        order_id=_text(data.get("id"), 100, "id"),
        ordered_at=_time(data.get("created_at"), "created_at"),
        source=source,
        customer_number=_text(customer.get("id"), 64, "customer.id"),
        email=_text(data.get("email") or customer.get("email"), 254, "email").lower(),
        currency=_text(data.get("currency"), 3, "currency").upper(),
        store=_text(data.get("source_name") or "web", 64, "source_name"),
        channel="web",
        discount=_dec(data.get("total_discounts", 0), "total_discounts"),
        lines=lines,
    )


def from_woocommerce(data: dict, source: str) -> services.OrderIn:
    """A WooCommerce `order.created` payload: each line item's `total` is the line total after discounts."""
    items = data.get("line_items")
    if not isinstance(items, list) or not items:
        raise PayloadError("line_items", "an order needs at least one line item")
    billing = _object(data.get("billing"), "billing")
    customer_id = data.get("customer_id")
    return services.OrderIn(
        order_id=_text(data.get("id"), 100, "id"),
        ordered_at=_time(data.get("date_created_gmt") or data.get("date_created"), "date_created_gmt"),
        source=source,
        customer_number=_text(customer_id, 64, "customer_id") if customer_id not in (None, 0, "0") else "",
        email=_text(billing.get("email"), 254, "billing.email").lower(),
        currency=_text(data.get("currency"), 3, "currency").upper(),
        store="web",
        channel="web",
        discount=_dec(data.get("discount_total", 0), "discount_total"),
        lines=[
            services.LineIn(
                sku=_text(item.get("sku") or item.get("product_id"), 100, f"line_items.{i}.sku"),
                name=_text(item.get("name"), 300, f"line_items.{i}.name"),
                quantity=_dec(item.get("quantity", 1), f"line_items.{i}.quantity"),
                unit_price=_dec(item.get("price", 0), f"line_items.{i}.price"),
                amount=_dec(item.get("total"), f"line_items.{i}.total"),
            )
            for i, item in enumerate(_objects(items, "line_items"))
        ],
    )


PARSERS = {"generic": from_generic, "shopify": from_shopify, "woocommerce": from_woocommerce}


def verify(feed: OrderWebhook, request: HttpRequest, body: bytes) -> None:
    """Raise SignatureError unless the request carries the feed format's valid signature."""
    if feed.format == OrderWebhook.Format.GENERIC:
        verify_signature(
            body, request.headers.get(SIGNATURE_HEADER), request.headers.get(TIMESTAMP_HEADER), secret=feed.secret
        )
        return
    header = "X-Shopify-Hmac-Sha256" if feed.format == OrderWebhook.Format.SHOPIFY else "X-WC-Webhook-Signature"
    expected = base64.b64encode(hmac_sha256(feed.secret, body)).decode()
    if not signatures_match(expected, request.headers.get(header)):
        raise SignatureError(f"{header} is missing or does not match the body")


def _error(status: int, detail: Any) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


@csrf_exempt
@require_POST
def receive(request: HttpRequest, key: str) -> JsonResponse:
    """POST an order: 201 recorded, 200 already known, 401 bad signature, 404 unknown feed, 422 a bad field."""
    feed = OrderWebhook.objects.filter(key=key, active=True).select_related("workspace").first()
    if feed is None:
        return _error(404, "no such order feed")
    body = request.body
    if len(body) > MAX_BODY:
        return _error(413, "the body is too large")
    try:
        verify(feed, request, body)
    except SignatureError as exc:
        return _error(401, str(exc))
    try:
        data = json.loads(body)
    except ValueError:
        return _error(422, [{"loc": ["body"], "msg": "not valid JSON", "type": "value_error"}])
    if not isinstance(data, dict):
        return _error(422, [{"loc": ["body"], "msg": "an order must be a JSON object", "type": "value_error"}])
    try:
        order = PARSERS[feed.format](data, feed.source)
        stored, created = services.record_order(workspace=feed.workspace, order=order)
    except (PayloadError, services.OrderError) as exc:
        return _error(422, [{"loc": ["body", *exc.field.split(".")], "msg": exc.message, "type": "value_error"}])
    except (AttributeError, TypeError):
        return _error(
            422, [{"loc": ["body"], "msg": "the order's shape is not the feed's format", "type": "value_error"}]
        )
    return JsonResponse(
        {"id": stored.pk, "order_id": stored.order_id, "contact_id": stored.person_id, "created": created},
        status=201 if created else 200,
    )

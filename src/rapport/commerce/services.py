"""Commerce services, the app's door: record orders (one, or a batch from an import or webhook), link them to people,
keep each person's `CustomerValue` current, fit the value models, and answer what a person is worth.

Whenever a person's value summary changes, `commerce.value_changed` is emitted in the same transaction with the
workspace and the person ids (segments keeps its live memberships from it).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from json.encoder import encode_basestring as _quote
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from rapport.commerce import valuemodels as vm
from rapport.commerce.models import CustomerValue, Membership, Order, OrderLine, Product, Store, ValueModel
from rapport.contacts.models import Person, Touchpoint, TouchpointChannel, TouchpointKind
from rapport.core import bulk
from rapport.core.events import emit
from rapport.core.models import Workspace

PERIODS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}
CENTS = Decimal("0.01")
EVENT_CHUNK = 5000  # person ids per commerce.value_changed event


class OrderError(ValueError):
    """An order or one of its lines is not valid; `field` names what is wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass
class LineIn:
    sku: str = ""
    name: str = ""
    category: str = ""
    quantity: Decimal = Decimal(1)
    unit_price: Decimal | None = None
    discount: Decimal = Decimal(0)
    amount: Decimal = Decimal(0)
    brand: str = ""


@dataclass
class OrderIn:
    """An order as it arrives: how it names its customer, when, where, and its lines."""

    order_id: str
    ordered_at: datetime
    source: str = "import"
    external_id: str = ""
    customer_number: str = ""
    email: str = ""
    loyalty_card: str = ""
    currency: str = ""
    store: str = ""
    channel: str = ""
    discount: Decimal = Decimal(0)
    lines: list[LineIn] = field(default_factory=list)

    def ref(self) -> dict[str, str]:
        return {
            k: v
            for k, v in (
                ("external_id", self.external_id),
                ("customer_number", self.customer_number),
                ("email", self.email.strip().lower()),
                ("loyalty_card", self.loyalty_card),
            )
            if v
        }


@dataclass
class BatchResult:
    created: int = 0
    duplicates: int = 0
    lines: int = 0
    matched: int = 0
    unmatched: int = 0
    person_ids: set[int] = field(default_factory=set)
    order_ids: list[int] = field(default_factory=list)
    created_keys: set[tuple[str, str]] = field(default_factory=set)


def _flat_json(obj: dict[str, str]) -> str:
    """A dict of text as JSON, for the rows an import writes by the hundred thousand (the encoder's per-call cost
    is several times this); the same text json.dumps writes."""
    return bulk.json_text("{" + ", ".join(f"{_quote(k)}: {_quote(v)}" for k, v in obj.items()) + "}")


def money(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value.quantize(CENTS, rounding=ROUND_HALF_UP)
    return Decimal(str(value)).quantize(CENTS, rounding=ROUND_HALF_UP)


# Linking orders to people


def resolve_people(workspace: Workspace, refs: Iterable[dict[str, str]]) -> dict[tuple[str, str], int]:
    """(key, value) -> person id for every identifier in refs that names exactly one live person."""
    refs = list(refs)
    wanted: dict[str, set[str]] = {
        "external_id": set(),
        "customer_number": set(),
        "email": set(),
        "loyalty_card": set(),
    }
    for ref in refs:
        for key, value in ref.items():
            if key in wanted and value:
                wanted[key].add(value)
    found: dict[tuple[str, str], int] = {}
    ambiguous: set[tuple[str, str]] = set()
    meta = Person._meta
    for key in ("external_id", "customer_number", "email"):
        values = sorted(wanted[key])
        if not values:
            continue
        # One statement per identifier kind (an array parameter on PostgreSQL): an import batch names thousands.
        column = meta.get_field(key).column
        sql = (
            f"SELECT {meta.pk.column}, {column} FROM {meta.db_table} "  # noqa: S608 - names come from the model
            f"WHERE {meta.get_field('workspace').column} = %s AND {meta.get_field('merged_into').column} IS NULL "
            f"AND {column} IN ({{in}})"
        )
        for pid, value in bulk.select_in(sql, [workspace.pk], values):
            k = (key, value.lower() if key == "email" else value)
            if k in found and found[k] != pid:
                ambiguous.add(k)
            found[k] = pid
    cards = sorted(wanted["loyalty_card"])
    for start in range(0, len(cards), 5000):
        for pid, card in Membership.objects.filter(
            workspace=workspace, card_number__in=cards[start : start + 5000]
        ).values_list("person_id", "card_number"):
            found[("loyalty_card", card)] = pid
    for k in ambiguous:
        found.pop(k, None)
    return found


def person_for(ref: dict[str, str], found: dict[tuple[str, str], int]) -> int | None:
    """The person an order names: by external id, then customer number, loyalty card, then email."""
    for key in ("external_id", "customer_number", "loyalty_card", "email"):
        value = ref.get(key)
        if value and (key, value) in found:
            return found[(key, value)]
    return None


# Recording orders


def _order_title(order_id: str, lines: int, total: Decimal, currency: str) -> str:
    items = f"{lines} item{'s' if lines != 1 else ''}"
    return f"Order {order_id}: {items}, {total:.2f} {currency}".strip()[:200]


def _touchpoint_rows(orders: Sequence[tuple[int, int, OrderIn, Decimal, int]], workspace: Workspace) -> list[list]:
    """The timeline projection of linked orders: (order pk, person id, order, total, line count) -> touchpoint rows."""
    now = timezone.now()
    rows = []
    for pk, pid, o, total, n in orders:
        channel = TouchpointChannel.WEB if o.channel in ("web", "online", "app") else TouchpointChannel.STORE
        rows.append(
            [
                workspace.pk,
                pid,
                TouchpointKind.PURCHASE,
                channel,
                "none",
                o.ordered_at,
                _order_title(o.order_id, n, total, o.currency),
                ", ".join(ln.name or ln.sku for ln in o.lines)[:2000],
                total,
                o.currency[:3],
                "order",
                str(pk),
                _flat_json({"order_id": o.order_id, "source": o.source, "store": o.store}),
                False,
                now,
            ]
        )
    return rows


_TOUCHPOINT_COLUMNS = [
    "workspace",
    "person",
    "kind",
    "channel",
    "direction",
    "occurred_at",
    "title",
    "body",
    "amount",
    "currency",
    "source",
    "source_id",
    "data",
    "private",
    "created_at",
]


def _upsert_products(workspace: Workspace, lines: Iterable[LineIn]) -> dict[str, int]:
    by_sku: dict[str, LineIn] = {}
    for ln in lines:
        if ln.sku and ln.sku not in by_sku:
            by_sku[ln.sku] = ln
    if not by_sku:
        return {}
    bulk.insert_ignore(
        Product,
        ["workspace", "sku", "name", "category", "brand", "currency"],
        [[workspace.pk, s, ln.name[:300], ln.category[:300], ln.brand[:200], ""] for s, ln in by_sku.items()],
        conflict=["workspace", "sku"],
    )
    out: dict[str, int] = {}
    skus = list(by_sku)
    for start in range(0, len(skus), 5000):
        out.update(
            Product.objects.filter(workspace=workspace, sku__in=skus[start : start + 5000]).values_list("sku", "id")
        )
    return out


def _upsert_stores(workspace: Workspace, codes: Iterable[str]) -> dict[str, int]:
    codes = sorted({c for c in codes if c})
    if not codes:
        return {}
    kinds = {"web": Store.Kind.WEB, "online": Store.Kind.WEB, "app": Store.Kind.APP}
    bulk.insert_ignore(
        Store,
        ["workspace", "code", "name", "kind"],
        [[workspace.pk, c, c, kinds.get(c.lower(), Store.Kind.STORE)] for c in codes],
        conflict=["workspace", "code"],
    )
    return dict(Store.objects.filter(workspace=workspace, code__in=codes).values_list("code", "id"))


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LIMITS = {"quantity": Decimal("1e9"), "unit_price": Decimal("1e10"), "discount": Decimal("1e10")}  # the columns'
MONEY_LIMIT = Decimal("1e12")  # an order's total and a line's amount: 14 digits, 2 after the point


def _check_text(field: str, value: str) -> None:
    """No NUL or other control characters, no lone surrogates: PostgreSQL stores neither, so they would be a 500."""
    if value.isprintable():
        return
    if _CONTROL.search(value):
        raise OrderError(field, "must not contain control characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise OrderError(field, "is not valid text (a lone surrogate)") from None


def validate_order(o: OrderIn) -> None:
    """Raise OrderError naming the field when the order cannot be recorded. Every way in (API, webhooks, imports)
    comes through here, so a value the database cannot store is named here instead of failing the batch."""
    if not o.order_id.strip():
        raise OrderError("order_id", "is required")
    if len(o.order_id) > 100:
        raise OrderError("order_id", "is longer than 100 characters")
    if not o.lines:
        raise OrderError("lines", "an order needs at least one line")
    for name in ("order_id", "source", "external_id", "customer_number", "email", "loyalty_card", "store", "channel"):
        _check_text(name, getattr(o, name))
    if o.currency and (len(o.currency) != 3 or not o.currency.isalpha() or not o.currency.isascii()):
        raise OrderError("currency", f"{o.currency!r} is not a three-letter currency code")
    if o.ordered_at.tzinfo is None:
        raise OrderError("ordered_at", "needs a time zone")
    try:
        year = o.ordered_at.astimezone(UTC).year
    except OverflowError:
        year = 0
    if not 1900 <= year <= 2999:
        raise OrderError("ordered_at", "is not a plausible order date (years 1900 to 2999)")
    if abs(o.discount) >= MONEY_LIMIT:
        raise OrderError("discount", "is too large")
    total = Decimal(0)
    for i, ln in enumerate(o.lines):
        for name in ("sku", "name", "category", "brand"):
            _check_text(f"lines.{i}.{name}", getattr(ln, name))
        if not (ln.sku or ln.name):
            raise OrderError(f"lines.{i}.sku", "a line needs a sku or a product name")
        if ln.quantity <= 0:
            raise OrderError(f"lines.{i}.quantity", "must be positive")
        for name, limit in LIMITS.items():
            value = getattr(ln, name)
            if value is not None and abs(value) >= limit:
                raise OrderError(f"lines.{i}.{name}", f"is too large (at most {limit - 1:,.0f})")
        if abs(ln.amount) >= MONEY_LIMIT:
            raise OrderError(f"lines.{i}.amount", "is too large")
        total += ln.amount
    if abs(total) >= MONEY_LIMIT:
        raise OrderError("lines", "the order's total is too large")


@transaction.atomic
def record_orders(
    *, workspace: Workspace, orders: Sequence[OrderIn], refresh: bool = True, earn: bool = True
) -> BatchResult:
    """Record a batch of orders, idempotent on (source, order id): a known order is counted as a duplicate, its lines
    left as they were. Linked orders get their timeline entry and loyalty points, and their people's value summary
    is refreshed (the batch's people in one pass)."""
    result = BatchResult()
    if not orders:
        return result
    # Lines of one order split over several entries of a batch (a file's rows) join the first.
    merged: dict[tuple[str, str], OrderIn] = {}
    copied: set[tuple[str, str]] = set()
    for o in orders:
        key = (o.source, o.order_id)
        first = merged.get(key)
        if first is None:
            merged[key] = o
            continue
        if key not in copied:  # the caller's order is left as it was: its first entry is copied before joining
            first = merged[key] = OrderIn(**{**first.__dict__, "lines": list(first.lines)})
            copied.add(key)
        first.lines.extend(o.lines)
    unique = list(merged.values())
    refs = [o.ref() for o in unique]
    found = resolve_people(workspace, refs)
    products = _upsert_products(workspace, (ln for o in unique for ln in o.lines))
    stores = _upsert_stores(workspace, (o.store for o in unique))
    now = timezone.now()
    prepared = []
    for o, ref in zip(unique, refs, strict=True):
        amounts = [money(ln.amount) for ln in o.lines]
        prepared.append((o, person_for(ref, found), sum(amounts, Decimal(0)), ref, amounts))
    inserted = bulk.insert_ignore(
        Order,
        [
            "workspace",
            "source",
            "order_id",
            "person",
            "customer_ref",
            "ordered_at",
            "currency",
            "total",
            "discount",
            "returned",
            "store",
            "channel",
            "created_at",
            "updated_at",
        ],
        [
            [
                workspace.pk,
                o.source,
                o.order_id,
                pid,
                _flat_json(ref),
                o.ordered_at,
                o.currency.upper(),
                total,
                money(o.discount),
                Decimal(0),
                stores.get(o.store),
                (o.channel or o.store)[:32],
                now,
                now,
            ]
            for o, pid, total, ref, _amounts in prepared
        ],
        conflict=["workspace", "source", "order_id"],
        returning=["id", "source", "order_id"],
    )
    new_ids = {(src, oid): pk for pk, src, oid in inserted}
    line_rows, projections = [], []
    zero = Decimal("0.00")
    for o, pid, total, _ref, amounts in prepared:
        pk = new_ids.get((o.source, o.order_id))
        if pk is None:
            result.duplicates += 1
            continue
        result.created += 1
        result.order_ids.append(pk)
        result.created_keys.add((o.source, o.order_id))
        for ln, amount in zip(o.lines, amounts, strict=True):
            line_rows.append(
                [
                    pk,
                    products.get(ln.sku),
                    ln.sku[:100],
                    ln.name[:300],
                    ln.category[:300],
                    ln.quantity,
                    ln.unit_price,
                    money(ln.discount) if ln.discount else zero,
                    amount,
                ]
            )
        if pid is None:
            result.unmatched += 1
        else:
            result.matched += 1
            result.person_ids.add(pid)
            projections.append((pk, pid, o, total, len(o.lines)))
    result.lines = len(line_rows)
    bulk.insert(
        OrderLine,
        ["order", "product", "sku", "name", "category", "quantity", "unit_price", "discount", "amount"],
        line_rows,
    )
    bulk.insert(Touchpoint, _TOUCHPOINT_COLUMNS, _touchpoint_rows(projections, workspace))
    if earn and projections:
        from rapport.commerce import loyalty

        loyalty.earn_for_orders(workspace=workspace, order_ids=[p[0] for p in projections], refresh=False)
    announce_orders(workspace, [(pk, pid, o.ordered_at) for pk, pid, o, _, _ in projections])
    if refresh and result.person_ids:
        refresh_values(workspace=workspace, person_ids=result.person_ids)
    return result


def announce_orders(workspace: Workspace, orders: Sequence[tuple[int, int, datetime]]) -> None:
    """Emit commerce.order_placed for newly recorded (or newly linked) orders of known people, in chunks, in the
    caller's transaction: each entry {"order_id", "person_id", "ordered_at"} (journeys enrol and convert on it)."""
    for start in range(0, len(orders), EVENT_CHUNK):
        part = orders[start : start + EVENT_CHUNK]
        emit(
            "commerce.order_placed",
            {
                "workspace_id": workspace.pk,
                "orders": [
                    {"order_id": pk, "person_id": pid, "ordered_at": at.isoformat() if at else None}
                    for pk, pid, at in part
                ],
            },
        )


@transaction.atomic
def append_lines(*, workspace: Workspace, orders: Sequence[OrderIn]) -> BatchResult:
    """Lines that arrive after their order was recorded (a file whose order lines are not contiguous): added to the
    stored orders in bulk and their totals raised; lines of orders not stored are skipped. The caller refreshes the
    people in `person_ids`."""
    result = BatchResult()
    wanted: dict[str, set[str]] = {}
    for o in orders:
        wanted.setdefault(o.source, set()).add(o.order_id)
    stored: dict[tuple[str, str], Order] = {}
    for source, ids in wanted.items():
        ids = sorted(ids)
        for start in range(0, len(ids), 5000):
            for order in Order.objects.filter(
                workspace=workspace, source=source, order_id__in=ids[start : start + 5000]
            ).only("id", "source", "order_id", "person_id", "total"):
                stored[(order.source, order.order_id)] = order
    products = _upsert_products(workspace, (ln for o in orders for ln in o.lines))
    rows, added = [], {}
    for o in orders:
        order = stored.get((o.source, o.order_id))
        if order is None:
            continue
        for ln in o.lines:
            rows.append(
                [
                    order.pk,
                    products.get(ln.sku),
                    ln.sku[:100],
                    ln.name[:300],
                    ln.category[:300],
                    ln.quantity,
                    ln.unit_price,
                    money(ln.discount),
                    money(ln.amount),
                ]
            )
            added[order.pk] = added.get(order.pk, Decimal(0)) + money(ln.amount)
        if order.person_id:
            result.person_ids.add(order.person_id)
    bulk.insert(
        OrderLine,
        ["order", "product", "sku", "name", "category", "quantity", "unit_price", "discount", "amount"],
        rows,
    )
    now = timezone.now()
    changed = []
    for order in stored.values():
        if order.pk in added:
            order.total += added[order.pk]
            order.updated_at = now
            changed.append(order)
    Order.objects.bulk_update(changed, ["total", "updated_at"], batch_size=1000)
    result.lines = len(rows)
    return result


def record_order(*, workspace: Workspace, order: OrderIn) -> tuple[Order, bool]:
    """Record one order (API, webhook): the stored order and whether it is new (False: already known)."""
    validate_order(order)
    result = record_orders(workspace=workspace, orders=[order])
    stored = Order.objects.get(workspace=workspace, source=order.source, order_id=order.order_id)
    return stored, bool(result.created)


@transaction.atomic
def link_order(*, workspace: Workspace, order: Order, person: Person) -> Order:
    """Link an order that waited for review (or was linked wrongly) to a person; both people's values refresh."""
    if person.workspace_id != workspace.pk or order.workspace_id != workspace.pk:
        raise OrderError("contact_id", "not in this workspace")
    before = order.person_id
    order.person = person
    order.save(update_fields=["person", "updated_at"])
    Touchpoint.objects.filter(workspace=workspace, source="order", source_id=str(order.pk)).delete()
    lines = list(order.lines.all())
    o = OrderIn(
        order_id=order.order_id,
        ordered_at=order.ordered_at,
        source=order.source,
        currency=order.currency,
        store=order.store.code if order.store_id else "",
        channel=order.channel,
        lines=[LineIn(sku=ln.sku, name=ln.name, amount=ln.amount) for ln in lines],
    )
    bulk.insert(
        Touchpoint,
        _TOUCHPOINT_COLUMNS,
        _touchpoint_rows([(order.pk, person.pk, o, order.total, len(lines))], workspace),
    )
    from rapport.commerce import loyalty

    loyalty.earn_for_orders(workspace=workspace, order_ids=[order.pk], refresh=False)
    if before != person.pk:
        announce_orders(workspace, [(order.pk, person.pk, order.ordered_at)])
    refresh_values(workspace=workspace, person_ids={person.pk} | ({before} if before else set()))
    return order


@transaction.atomic
def record_return(
    *, workspace: Workspace, order: Order, amount: Decimal, returned_at: datetime | None = None, reason: str = ""
):
    """Goods returned: the refund lowers the order's net value and the person's spend."""
    from rapport.commerce.models import Return

    amount = money(amount)
    if amount <= 0:
        raise OrderError("amount", "must be positive")
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.returned + amount > locked.total:
        raise OrderError("amount", f"more than the order's remaining {locked.total - locked.returned:.2f}")
    ret = Return.objects.create(
        workspace=workspace, order=locked, amount=amount, returned_at=returned_at or timezone.now(), reason=reason[:200]
    )
    locked.returned += amount
    locked.save(update_fields=["returned", "updated_at"])
    if locked.person_id:
        refresh_values(workspace=workspace, person_ids={locked.person_id})
    return ret


def unmatched_orders(*, workspace: Workspace):
    """Orders that named nobody known: they wait for review (never dropped)."""
    return Order.objects.filter(workspace=workspace, person__isnull=True).order_by("-ordered_at", "-id")


# The value summary


def latest_model(workspace: Workspace) -> ValueModel | None:
    return ValueModel.objects.filter(workspace=workspace).order_by("-fitted_at", "-id").first()


def _day_sql() -> str:
    if connection.vendor == "postgresql":
        return "(o.ordered_at AT TIME ZONE 'UTC')::date"
    return "date(o.ordered_at)"


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _as_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


@dataclass
class Features:
    """Per person: the order aggregates, and Fader-Hardie's (x, t_x, T, m_x) in days to the reference date."""

    person_ids: list[int]
    orders: list[int]
    spend: list[Decimal]
    first_at: list[datetime | None]
    last_at: list[datetime | None]
    x: list[float]
    t_x_days: list[float]
    T_days: list[float]
    m_x: list[float]
    recency_days: list[float]


def summarise(
    days: dict[Any, dict[date, float]], *, until: date
) -> tuple[list, list[float], list[float], list[float], list[float]]:
    """Customers' purchase days (id -> day -> amount) to (ids, x, t_x, T, m_x) in days, days after `until` left out.

    x is the number of repeat purchase days, t_x the days from the first to the last, T the days from the first to
    `until`, m_x the mean amount of the repeat days (0 without one); one purchase day however many orders it had."""
    ids, xs, txs, Ts, ms = [], [], [], [], []
    for cid, by_day in days.items():
        kept = sorted(d for d in by_day if d <= until)
        if not kept:
            continue
        first = kept[0]
        x = len(kept) - 1
        ids.append(cid)
        xs.append(float(x))
        txs.append(float((kept[-1] - first).days))
        Ts.append(float((until - first).days))
        ms.append(sum(by_day[d] for d in kept[1:]) / x if x else 0.0)
    return ids, xs, txs, Ts, ms


def features(*, workspace: Workspace, person_ids: Iterable[int] | None = None, until: date | None = None) -> Features:
    """What the value models need, read with two grouped queries (all people, or just these)."""
    until = until or timezone.now().date()
    end = datetime.combine(until + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    ids = sorted(set(person_ids)) if person_ids is not None else None
    day = _day_sql()
    where = "o.workspace_id = %s AND o.person_id IS NOT NULL AND o.ordered_at < %s"
    params: list[Any] = [workspace.pk, end]
    totals_sql = (
        "SELECT o.person_id, COUNT(*), SUM(o.total - o.returned), MIN(o.ordered_at), MAX(o.ordered_at) "  # noqa: S608
        f"FROM commerce_order o WHERE {where} {{filter}} GROUP BY o.person_id"
    )
    days_sql = (
        f"WITH d AS (SELECT o.person_id AS p, {day} AS day, SUM(o.total - o.returned) AS amt "  # noqa: S608
        f"FROM commerce_order o WHERE {where} {{filter}} GROUP BY o.person_id, {day}), "
        "f AS (SELECT p, MIN(day) AS first_day, MAX(day) AS last_day, COUNT(*) AS n, SUM(amt) AS spend "
        "FROM d GROUP BY p) "
        "SELECT f.p, f.first_day, f.last_day, f.n, f.spend, d.amt FROM f JOIN d ON d.p = f.p AND d.day = f.first_day"
    )
    if ids is None:
        with connection.cursor() as cursor:
            cursor.execute(totals_sql.replace("{filter}", ""), params)
            totals = cursor.fetchall()
            cursor.execute(days_sql.replace("{filter}", ""), params)
            days = cursor.fetchall()
    elif not ids:
        totals, days = [], []
    else:
        totals = bulk.select_in(totals_sql.replace("{filter}", "AND o.person_id IN ({in})"), params, ids)
        days = bulk.select_in(days_sql.replace("{filter}", "AND o.person_id IN ({in})"), params, ids)
    by_person = {r[0]: r for r in days}
    f = Features([], [], [], [], [], [], [], [], [], [])
    for pid, n, spend, first_at, last_at in totals:
        d = by_person.get(pid)
        if d is None:
            continue
        _, first_day, last_day, n_days, day_spend, first_amt = d
        first_day, last_day = _as_date(first_day), _as_date(last_day)
        x = int(n_days) - 1
        f.person_ids.append(pid)
        f.orders.append(int(n))
        f.spend.append(money(spend or 0))
        f.first_at.append(_as_datetime(first_at))
        f.last_at.append(_as_datetime(last_at))
        f.x.append(float(x))
        f.t_x_days.append(float((last_day - first_day).days))
        f.T_days.append(float((until - first_day).days))
        f.m_x.append(float(Decimal(str(day_spend)) - Decimal(str(first_amt))) / x if x > 0 else 0.0)
        f.recency_days.append(float((until - last_day).days))
    return f


def _predict(model: ValueModel | None, f: Features) -> tuple[list, list, list, list, list, list, list]:
    """RFM scores and segment, p_alive, expected purchases in 90 days and 12-month CLV for each person of f."""
    n = len(f.person_ids)
    if n == 0:
        return [], [], [], [], [], [], []
    breaks = (model.rfm_breaks if model else None) or {}
    if breaks:
        r = [6 - vm.quintile(v, breaks.get("recency_days", [])) for v in f.recency_days]
        fq = [vm.quintile(v, breaks.get("orders", [])) for v in f.orders]
        m = [vm.quintile(float(v), breaks.get("spend", [])) for v in f.spend]
        seg = [vm.rfm_segment(a, b) for a, b in zip(r, fq, strict=True)]
    else:
        r = fq = m = [None] * n
        seg = [""] * n
    if model is None or not model.bgnbd:
        return r, fq, m, seg, [None] * n, [None] * n, [None] * n
    import numpy as np

    unit = PERIODS.get(model.period, 7.0)
    x = np.asarray(f.x)
    t_x = np.asarray(f.t_x_days) / unit
    T = np.asarray(f.T_days) / unit
    bg = vm.BGNBD(**model.bgnbd)
    alive = vm.p_alive(bg, x, t_x, T)
    e90 = vm.expected_purchases(bg, 90.0 / unit, x, t_x, T)
    if model.gamma_gamma:
        gg = vm.GammaGamma(**model.gamma_gamma)
        value = vm.clv(bg, gg, x, t_x, T, np.asarray(f.m_x), months=12, period_days=unit)
        clv = [money(v) if math.isfinite(v) else None for v in value]
    else:
        clv = [None] * n
    return r, fq, m, seg, [float(a) for a in alive], [float(e) for e in e90], clv


_VALUE_FIELDS = [
    "orders",
    "total_spend",
    "first_order_at",
    "last_order_at",
    "rfm_r",
    "rfm_f",
    "rfm_m",
    "rfm_segment",
    "p_alive",
    "expected_purchases_90d",
    "clv_12m",
]


def _write_values(
    workspace: Workspace, f: Features, model: ValueModel | None, *, zero: Iterable[int] = ()
) -> list[int]:
    """Upsert the CustomerValue rows of f's people (and zero those with no orders any more); the ids that changed."""
    r, fq, m, seg, alive, e90, clv = _predict(model, f)
    values = {
        pid: {
            "orders": f.orders[i],
            "total_spend": f.spend[i],
            "first_order_at": f.first_at[i],
            "last_order_at": f.last_at[i],
            "rfm_r": r[i],
            "rfm_f": fq[i],
            "rfm_m": m[i],
            "rfm_segment": seg[i],
            "p_alive": None if alive[i] is None else round(alive[i], 6),
            "expected_purchases_90d": None if e90[i] is None else round(e90[i], 6),
            "clv_12m": clv[i],
        }
        for i, pid in enumerate(f.person_ids)
    }
    for pid in zero:
        values.setdefault(
            pid, dict.fromkeys(_VALUE_FIELDS) | {"orders": 0, "total_spend": Decimal(0), "rfm_segment": ""}
        )
    if not values:
        return []
    now = timezone.now()
    # A new row's loyalty state starts empty (loyalty writes it); an existing row keeps its own.
    rows = [[workspace.pk, pid, *(vals[k] for k in _VALUE_FIELDS), "", 0, now] for pid, vals in values.items()]
    # One upsert: new summaries are inserted, existing ones rewritten only where a value differs, and the people
    # written come back (a person whose summary did not change is not announced).
    changed = [
        pid
        for (pid,) in bulk.upsert(
            CustomerValue,
            ["workspace", "person", *_VALUE_FIELDS, "tier", "points_balance", "updated_at"],
            rows,
            conflict=["person"],
            update=[*_VALUE_FIELDS, "updated_at"],
            only_changed=_VALUE_FIELDS,
            returning=["person"],
        )
    ]
    announce(workspace, changed)
    return changed


def announce(workspace: Workspace, person_ids: Sequence[int]) -> None:
    """Emit commerce.value_changed for these people (in chunks), in the caller's transaction."""
    ids = sorted(set(person_ids))
    for start in range(0, len(ids), EVENT_CHUNK):
        emit("commerce.value_changed", {"workspace_id": workspace.pk, "person_ids": ids[start : start + EVENT_CHUNK]})


@transaction.atomic
def refresh_values(*, workspace: Workspace, person_ids: Iterable[int]) -> list[int]:
    """Recompute these people's value summary from their orders with the latest fitted model; the ids changed."""
    ids = set(person_ids)
    if not ids:
        return []
    f = features(workspace=workspace, person_ids=ids)
    return _write_values(workspace, f, latest_model(workspace), zero=ids - set(f.person_ids))


@dataclass
class FitResult:
    customers: int
    bgnbd: dict[str, float] | None
    gamma_gamma: dict[str, float] | None
    seconds: dict[str, float]
    notes: list[str]
    model: ValueModel | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "customers": self.customers,
            "bgnbd": vm.describe(self.bgnbd),
            "gamma_gamma": vm.describe(self.gamma_gamma),
        }


def fit(*, workspace: Workspace, period: str = "week", until: date | None = None, write: bool = True) -> FitResult:
    """Refit RFM breakpoints, BG/NBD and Gamma-Gamma on every customer's orders up to `until` (today), store the
    model and refresh every customer's summary with it."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    until = until or timezone.now().date()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    f = features(workspace=workspace, until=until)
    timings["read"] = time.perf_counter() - t0
    notes: list[str] = []
    unit = PERIODS[period]
    bgnbd = gamma = None
    t1 = time.perf_counter()
    try:
        x = f.x
        bgnbd = vm.fit_bgnbd(x, [t / unit for t in f.t_x_days], [t / unit for t in f.T_days]).params()
        if not all(math.isfinite(v) and v > 0 for v in bgnbd.values()):
            notes.append("BG/NBD did not converge to finite parameters")
            bgnbd = None
    except vm.NotEnoughData as exc:
        notes.append(str(exc))
    timings["bgnbd"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    try:
        gamma = vm.fit_gamma_gamma(f.x, f.m_x).params()
        if not (all(math.isfinite(v) and v > 0 for v in gamma.values()) and gamma["q"] > 1):
            notes.append("Gamma-Gamma did not converge to usable parameters (q must exceed 1)")
            gamma = None
    except vm.NotEnoughData as exc:
        notes.append(str(exc))
    timings["gamma_gamma"] = time.perf_counter() - t2
    breaks = {
        "recency_days": vm.quintile_breaks(f.recency_days),
        "orders": vm.quintile_breaks(f.orders),
        "spend": vm.quintile_breaks([float(s) for s in f.spend]),
    }
    result = FitResult(len(f.person_ids), bgnbd, gamma, timings, notes)
    if not write:
        return result
    t3 = time.perf_counter()
    with transaction.atomic():
        model = ValueModel.objects.create(
            workspace=workspace,
            period=period,
            until=until,
            customers=len(f.person_ids),
            bgnbd=bgnbd,
            gamma_gamma=gamma,
            rfm_breaks=breaks,
            seconds=sum(timings.values()),
        )
        # Live summaries are measured to today, whatever the fit's calibration date was.
        live = f if until == timezone.now().date() else features(workspace=workspace)
        _write_values(workspace, live, model)
    timings["write"] = time.perf_counter() - t3
    result.model = model
    return result


def fit_all(*, period: str = "week") -> dict[str, int]:
    """Refit every workspace that has orders (the scheduled job)."""
    done = 0
    for ws in Workspace.objects.filter(pk__in=Order.objects.values("workspace_id").distinct()):
        fit(workspace=ws, period=period)
        done += 1
    return {"workspaces": done}


# Reading a person's value


def value_of(*, workspace: Workspace, person: Person) -> CustomerValue | None:
    return CustomerValue.objects.filter(workspace=workspace, person=person).first()


def value_out(cv: CustomerValue | None) -> dict[str, Any]:
    """The API shape of a person's value summary (zeros and nulls before the first order)."""
    if cv is None:
        return {
            "rfm": {"r": None, "f": None, "m": None, "segment": ""},
            "p_alive": None,
            "expected_purchases_90d": None,
            "clv_12m": None,
            "orders": 0,
            "total_spend": Decimal(0),
            "first_order_at": None,
            "last_order_at": None,
            "tier": "",
            "points_balance": 0,
            "explanation": "No purchases yet.",
        }
    return {
        "rfm": {"r": cv.rfm_r, "f": cv.rfm_f, "m": cv.rfm_m, "segment": cv.rfm_segment},
        "p_alive": cv.p_alive,
        "expected_purchases_90d": cv.expected_purchases_90d,
        "clv_12m": cv.clv_12m,
        "orders": cv.orders,
        "total_spend": cv.total_spend,
        "first_order_at": cv.first_order_at,
        "last_order_at": cv.last_order_at,
        "tier": cv.tier,
        "points_balance": cv.points_balance,
        "explanation": explain(cv),
    }


def _ago(then: datetime, now: datetime) -> str:
    days = max(0, (now - then).days)
    if days < 1:
        return "today"
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''} ago"
    if days < 60:
        return f"{days // 7} weeks ago"
    if days < 730:
        return f"{days // 30} months ago"
    return f"{days // 365} years ago"


def explain(cv: CustomerValue, *, now: datetime | None = None) -> str:
    """One sentence a person reads: "bought 7 times, last 3 weeks ago: 92 % likely active"."""
    if not cv.orders:
        return "No purchases yet."
    now = now or timezone.now()
    times = "once" if cv.orders == 1 else f"{cv.orders} times"
    text = f"Bought {times}"
    if cv.last_order_at:
        text += f", last {_ago(cv.last_order_at, now)}"
    if cv.p_alive is not None:
        text += f": {round(cv.p_alive * 100)} % likely active"
    if cv.expected_purchases_90d is not None:
        text += f", about {cv.expected_purchases_90d:.1f} purchases expected in the next 90 days"
    return text + "."


def people_by_value(*, workspace: Workspace, q: Q | None = None):
    """Value summaries of a workspace (for lists and other apps), highest predicted value first."""
    qs = CustomerValue.objects.filter(workspace=workspace)
    if q is not None:
        qs = qs.filter(q)
    return qs.order_by("-clv_12m", "-total_spend")


def standing(person_ids: Iterable[int]) -> dict[int, tuple[str, Decimal]]:
    """person id -> (loyalty tier, total spend) from the value summaries, in one query: what triage weighs and
    SLA policies match (the tier comes from the loyalty programme, not from tags)."""
    ids = list(person_ids)
    if not ids:
        return {}
    rows = CustomerValue.objects.filter(person_id__in=ids).values_list("person_id", "tier", "total_spend")
    return {pid: (tier or "", spend or Decimal(0)) for pid, tier, spend in rows}


def orders_since(
    *, workspace_id: int, person_ids: Sequence[int], since: datetime
) -> Iterator[tuple[int, datetime, Decimal]]:
    """(person id, ordered at, total less returns) of these people's orders placed at or after `since`, for other
    apps that measure what followed something they did (a campaign's conversions)."""
    rows = Order.objects.filter(workspace_id=workspace_id, person_id__in=list(person_ids), ordered_at__gte=since)
    for person_id, at, total, returned in rows.values_list("person_id", "ordered_at", "total", "returned").iterator():
        yield person_id, at, (total or Decimal(0)) - (returned or Decimal(0))


def first_orders(*, workspace_id: int, person_ids: Iterable[int]) -> dict[int, int]:
    """person id -> the id of their first order (earliest placed), for a trigger on a first purchase."""
    out: dict[int, int] = {}
    ids = list(person_ids)
    for start in range(0, len(ids), 1000):
        rows = (
            Order.objects.filter(workspace_id=workspace_id, person_id__in=ids[start : start + 1000])
            .order_by("person_id", "ordered_at", "id")
            .values_list("person_id", "id")
        )
        for pid, oid in rows:
            out.setdefault(pid, oid)
    return out


def order_categories(*, order_ids: Iterable[int]) -> dict[int, set[str]]:
    """order id -> the product categories of its lines (lower case), for a trigger on a purchase in a category."""
    out: dict[int, set[str]] = {}
    ids = list(order_ids)
    for start in range(0, len(ids), 1000):
        for oid, cat in OrderLine.objects.filter(order_id__in=ids[start : start + 1000]).values_list(
            "order_id", "category"
        ):
            if cat:
                out.setdefault(oid, set()).add(cat.strip().lower())
    return out

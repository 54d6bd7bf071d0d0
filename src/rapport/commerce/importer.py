"""Purchase import: order lines from CSV or JSONL, one line per row, grouped into orders by `order_id`.

Canonical headers: order_id, external_id, customer_number, email, ordered_at, sku, product, category, quantity,
amount, currency, store (and optionally loyalty_card, unit_price, discount, brand, channel). A row names its customer
by any of external_id (the contact's), customer_number, loyalty_card or email; `amount` is the line total. Bad rows
are named by line with the reason and the good ones import; orders nobody matches wait for review.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import IO, Any

from django.db import transaction

from rapport.commerce import services
from rapport.commerce.services import LineIn, OrderIn
from rapport.core import csvread
from rapport.core.csvread import CsvFileError, norm_header
from rapport.core.models import Workspace

CANONICAL_HEADERS = [
    "order_id",
    "external_id",
    "customer_number",
    "email",
    "ordered_at",
    "sku",
    "product",
    "category",
    "quantity",
    "amount",
    "currency",
    "store",
]
OPTIONAL_HEADERS = ["loyalty_card", "unit_price", "discount", "brand", "channel"]
ALL_HEADERS = CANONICAL_HEADERS + OPTIONAL_HEADERS
CUSTOMER_COLUMNS = ("external_id", "customer_number", "email", "loyalty_card")
REQUIRED = ("order_id", "ordered_at", "amount")
BATCH_LINES = 20_000  # lines written per transaction (an order's contiguous lines stay in one batch)
REFRESH_PEOPLE = 50_000  # people whose value summaries are recomputed per transaction, once, after the last batch


PurchaseFileError = CsvFileError  # the file as a whole cannot be imported


def parse_mapping(spec: str | None) -> dict[str, str]:
    """`src=field,src2=field2` -> {"src": "field"}; unknown target fields are refused."""
    return csvread.parse_mapping(spec, ALL_HEADERS)


@dataclass
class Rejection:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class PurchaseImportResult:
    dry_run: bool = False
    lines: int = 0
    orders: int = 0
    duplicates: int = 0
    matched: int = 0
    unmatched: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "orders": self.orders,
            "duplicates": self.duplicates,
            "matched": self.matched,
            "unmatched": self.unmatched,
            "rejected": len(self.rejected),
            "dry_run": self.dry_run,
        }


@lru_cache(maxsize=8192)
def parse_time(value: str) -> datetime:
    """ISO date or date-time; a date is midnight UTC, a time without zone is UTC. (Cached: an order's lines, and
    a till's busy minutes, repeat one time.)"""
    value = value.strip()
    if not value:
        raise ValueError("ordered_at is empty")
    try:
        if len(value) == 10:
            d = date.fromisoformat(value)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"ordered_at {value!r} is not an ISO date (YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _raw(row: dict[str, Any], name: str) -> str | None:
    """A cell as the file gave it (JSON numbers as text), for messages."""
    value = row.get(name)
    return value if value is None or isinstance(value, str) else str(value)


def _decimal(row: dict[str, Any], cells: dict[str, str], name: str, default: str | None = None) -> Decimal | None:
    raw = cells[name].replace(",", ".")
    if not raw:
        if default is None:
            return None
        raw = default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{name} {_raw(row, name)!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{name} {_raw(row, name)!r} is not a number")
    return value


_TEXT_LIMITS = (("external_id", 100), ("customer_number", 64), ("sku", 100), ("store", 64))
_PRICE_LIMIT = services.LIMITS["unit_price"]


def parse_row(row: dict[str, Any], *, source: str) -> OrderIn:
    """One order line as a one-line order; ValueError names the field and the reason."""
    cells: dict[str, str] = {}
    for name in ALL_HEADERS:
        value = row.get(name)
        cells[name] = "" if value is None else (value if isinstance(value, str) else str(value)).strip()
    for name in REQUIRED:
        if not cells[name]:
            raise ValueError(f"{name} is required")
    if not (cells["external_id"] or cells["customer_number"] or cells["email"] or cells["loyalty_card"]):
        raise ValueError("names no customer: give external_id, customer_number, loyalty_card or email")
    email = cells["email"].lower()
    if email and ("@" not in email or " " in email or len(email) > 254):
        raise ValueError(f"email {_raw(row, 'email')!r} is not an email address")
    if not (cells["sku"] or cells["product"]):
        raise ValueError("a line needs a sku or a product")
    quantity = _decimal(row, cells, "quantity", "1")
    if quantity is None or quantity <= 0:
        raise ValueError(f"quantity {_raw(row, 'quantity')!r} must be positive")
    if quantity >= Decimal("1e9"):
        raise ValueError("quantity is too large")
    amount = _decimal(row, cells, "amount")
    if amount is None or abs(amount) >= Decimal("1e12"):
        raise ValueError("amount is too large")
    unit_price = _decimal(row, cells, "unit_price")
    discount = _decimal(row, cells, "discount", "0") or Decimal(0)
    currency = cells["currency"].upper()
    if currency and (len(currency) != 3 or not currency.isalpha()):
        raise ValueError(f"currency {_raw(row, 'currency')!r} is not a three-letter code such as EUR")
    order_id = cells["order_id"]
    if len(order_id) > 100:
        raise ValueError("order_id is longer than 100 characters")
    for name, limit in _TEXT_LIMITS:
        if len(cells[name]) > limit:
            raise ValueError(f"{name} is longer than {limit} characters")
    ordered_at = parse_time(cells["ordered_at"])
    order = OrderIn(
        order_id=order_id,
        ordered_at=ordered_at,
        source=source,
        external_id=cells["external_id"],
        customer_number=cells["customer_number"],
        email=email,
        loyalty_card=cells["loyalty_card"],
        currency=currency,
        store=cells["store"],
        channel=cells["channel"],
        lines=[
            LineIn(
                sku=cells["sku"],
                name=cells["product"],
                category=cells["category"],
                brand=cells["brand"],
                quantity=quantity,
                unit_price=unit_price,
                discount=discount,
                amount=amount,
            )
        ],
    )
    # What the database cannot store (NUL, huge prices, impossible years) is this row's error. The common row is
    # plainly fine, which a few cheap tests show; anything else gets the full check and its exact message.
    plain = (
        "".join(
            (
                order_id,
                source,
                email,
                cells["external_id"],
                cells["customer_number"],
                cells["loyalty_card"],
                cells["store"],
                cells["channel"],
                cells["sku"],
                cells["product"],
                cells["category"],
                cells["brand"],
            )
        ).isprintable()
        and currency.isascii()
        and 1900 < ordered_at.year < 2999
        and (unit_price is None or abs(unit_price) < _PRICE_LIMIT)
        and abs(discount) < _PRICE_LIMIT
    )
    if not plain:
        try:
            services.validate_order(order)
        except services.OrderError as exc:
            column = exc.field.rpartition(".")[2]
            raise ValueError(f"{_COLUMN.get(column, column)}: {exc.message}") from None
    return order


_COLUMN = {"name": "product", "lines": "amount"}  # the file's column for an order field validate_order names


def _jsonl_rows(stream: IO[bytes], mapping: dict[str, str]) -> tuple[list[str], Iterator[tuple[int, dict | None, str]]]:
    def rows():
        for number, data in enumerate(stream, start=1):
            try:
                raw = data.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                yield number, None, "not valid UTF-8 text (JSON Lines files are UTF-8)"
                continue
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except ValueError as exc:
                yield number, None, f"not valid JSON ({exc.args[0] if exc.args else exc})"
                continue
            if not isinstance(obj, dict):
                yield number, None, "not a JSON object"
                continue
            nested = next((k for k, v in obj.items() if isinstance(v, dict | list)), None)
            if nested is not None:
                yield number, None, f"{norm_header(nested)}: must be text or a number, not an object or a list"
                continue
            yield number, {mapping.get(norm_header(k), norm_header(k)): v for k, v in obj.items()}, ""

    return ALL_HEADERS, rows()


def import_purchases(
    *,
    workspace: Workspace,
    stream: IO[bytes],
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    fmt: str = "csv",
    source: str = "import",
    progress: Callable[[int], None] | None = None,
    encoding: str = "utf-8-sig",
    delimiter: str | None = None,
) -> PurchaseImportResult:
    """Import order lines; good rows are written in batches (an order's contiguous lines stay in one batch).

    CSV is read as every import reads it (core's csvread: encoding and delimiter detected unless given, bad rows
    named by the line they start on)."""
    if fmt == "jsonl":
        header, rows = _jsonl_rows(stream, mapping or {})
    else:
        header, rows = csvread.read_rows(stream, mapping=mapping or {}, encoding=encoding, delimiter=delimiter)
    result = PurchaseImportResult(dry_run=dry_run, unknown_columns=[h for h in header if h and h not in ALL_HEADERS])
    if fmt != "jsonl":
        missing = [h for h in REQUIRED if h not in header]
        if missing:
            raise PurchaseFileError(
                f"missing required columns: {', '.join(missing)} (found: {', '.join(h for h in header if h)}); "
                "map yours with --map src=field"
            )
        if not set(CUSTOMER_COLUMNS) & set(header):
            raise PurchaseFileError(
                "the file needs a customer column: external_id, customer_number, loyalty_card or email"
            )
    batch: list[OrderIn] = []
    seen_orders: set[tuple[str, str]] = set()
    created: set[tuple[str, str]] = set()

    touched: set[int] = set()

    def refresh() -> None:
        # One set-based pass after the last batch: each person's summary is recomputed once, however many batches
        # held their orders.
        ids = sorted(touched)
        for start in range(0, len(ids), REFRESH_PEOPLE):
            with transaction.atomic():
                services.refresh_values(workspace=workspace, person_ids=ids[start : start + REFRESH_PEOPLE])
        touched.clear()

    def flush() -> None:
        if not batch:
            return
        if dry_run:
            found = services.resolve_people(workspace, (o.ref() for o in batch))
            keys = {}
            for o in batch:
                keys.setdefault(o.order_id, services.person_for(o.ref(), found))
            result.orders += len(keys)
            result.matched += sum(1 for v in keys.values() if v is not None)
            result.unmatched += sum(1 for v in keys.values() if v is None)
            result.lines += len(batch)
        else:
            with transaction.atomic():
                got = services.record_orders(workspace=workspace, orders=batch, refresh=False)
            touched.update(got.person_ids)
            result.orders += got.created
            result.duplicates += got.duplicates
            result.matched += got.matched
            result.unmatched += got.unmatched
            result.lines += got.lines
            created.update(got.created_keys)
        if progress:
            progress(len(batch))
        batch.clear()

    late: list[OrderIn] = []  # lines of orders written in an earlier batch of this file

    def flush_late() -> None:
        if not late:
            return
        with transaction.atomic():
            got = services.append_lines(workspace=workspace, orders=late)
        touched.update(got.person_ids)
        result.lines += got.lines
        if progress:
            progress(len(late))
        late.clear()

    batch_keys: set[tuple[str, str]] = set()
    last_order = None
    for line, row, error in rows:
        if row is None:
            result.rejected.append(Rejection(line, error))
            continue
        try:
            order = parse_row(row, source=source)
        except ValueError as exc:
            result.rejected.append(Rejection(line, str(exc)))
            continue
        key = (order.source, order.order_id)
        if key != last_order and (len(batch) >= BATCH_LINES and key not in batch_keys or len(batch) >= 4 * BATCH_LINES):
            flush()
            batch_keys.clear()
        last_order = key
        if key in batch_keys or key not in seen_orders:
            # A new order, or a line of one still in this batch: record_orders joins an order's lines.
            seen_orders.add(key)
            batch_keys.add(key)
            batch.append(order)
            continue
        # A line of an order written in an earlier batch: it joins that order (unless the order was known before
        # this import, which keeps its lines as they were).
        if dry_run:
            result.lines += 1
            if progress:
                progress(1)
        elif key in created:
            late.append(order)
            if len(late) >= BATCH_LINES:
                flush_late()
    flush()
    flush_late()
    if touched:
        refresh()
    return result

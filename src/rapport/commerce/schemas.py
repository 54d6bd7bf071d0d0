"""API schemas of commerce: orders, a person's value and loyalty state, vouchers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ninja import Schema
from pydantic import Field

from rapport.core.apitypes import Id, Text


class RfmOut(Schema):
    r: int | None = Field(None, description="Recency quintile, 5 = most recent")
    f: int | None = Field(None, description="Frequency quintile, 5 = most often")
    m: int | None = Field(None, description="Monetary quintile, 5 = highest spend")
    segment: str = Field("", description="Named RFM segment, e.g. champions, at_risk, lost")


class ValueOut(Schema):
    rfm: RfmOut
    p_alive: float | None = Field(None, description="Probability the customer is still active (BG/NBD)")
    expected_purchases_90d: float | None
    clv_12m: Decimal | None = Field(None, description="Predicted value over the next 12 months, discounted")
    orders: int
    total_spend: Decimal
    first_order_at: datetime | None
    last_order_at: datetime | None
    tier: str
    points_balance: int
    explanation: str


class LedgerLineOut(Schema):
    id: int
    kind: str
    points: int
    occurred_at: datetime
    expires_at: datetime | None
    reason: str
    order_id: int | None
    partner: str | None


class LoyaltyOut(Schema):
    programme: str | None
    balance: int = Field(description="The sum of the ledger")
    tier: str
    tier_until: datetime | None
    ledger: list[LedgerLineOut]


class LineIn(Schema):
    sku: Text(100) = ""
    product: Text(300) = ""
    category: Text(300) = ""
    brand: Text(200) = ""
    quantity: Decimal = Field(Decimal(1), gt=0, lt=Decimal("1e9"))
    unit_price: Decimal | None = Field(None, ge=0, lt=Decimal("1e10"))
    discount: Decimal = Field(Decimal(0), ge=0, lt=Decimal("1e10"))
    amount: Decimal = Field(description="The line total after discount", gt=Decimal("-1e12"), lt=Decimal("1e12"))


class OrderIn(Schema):
    order_id: Text(100)
    source: Text(64) = "api"
    ordered_at: datetime
    external_id: Text(100) = ""
    customer_number: Text(64) = ""
    email: Text(254) = ""
    loyalty_card: Text(64) = ""
    currency: Text(3) = ""
    store: Text(64) = ""
    channel: Text(32) = ""
    discount: Decimal = Field(Decimal(0), ge=0, lt=Decimal("1e12"))
    lines: list[LineIn] = Field(min_length=1, max_length=1000)


class LineOut(Schema):
    sku: str
    product: str
    category: str
    quantity: Decimal
    unit_price: Decimal | None
    discount: Decimal
    amount: Decimal


class OrderOut(Schema):
    id: int
    source: str
    order_id: str
    contact_id: int | None
    customer_ref: dict
    ordered_at: datetime
    currency: str
    total: Decimal
    discount: Decimal
    returned: Decimal
    store: str | None
    channel: str
    lines: list[LineOut]


class OrderPage(Schema):
    items: list[OrderOut]
    next_cursor: str | None


class LinkIn(Schema):
    contact_id: Id


class ReturnIn(Schema):
    amount: Decimal = Field(gt=0, lt=Decimal("1e12"))
    returned_at: datetime | None = None
    reason: Text(200) = ""


class ReturnOut(Schema):
    id: int
    order_id: int
    amount: Decimal
    returned_at: datetime
    reason: str


class RedeemIn(Schema):
    code: Text(64)
    partner: Text(64) = ""


class VoucherOut(Schema):
    id: int
    code: str
    contact_id: int | None
    description: str
    amount: Decimal | None
    percent: Decimal | None
    issued_at: datetime
    expires_at: datetime | None
    redeemed_at: datetime | None

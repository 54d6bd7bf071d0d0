"""API shapes of people, organisations and timeline entries."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ninja import Schema
from pydantic import Field

from rapport.contacts.models import (
    LifecycleStage,
    OrganizationKind,
    TouchpointChannel,
    TouchpointDirection,
    TouchpointKind,
)
from rapport.core.apitypes import Id, Text
from rapport.core.networks import Network


class IdentityIn(Schema):
    network: Network
    handle: Text(200) = ""
    external_id: Text(200) = ""
    profile_url: Text(500) = ""
    display_name: Text(200) = ""
    followers: int | None = Field(default=None, ge=0, le=2_000_000_000)


class IdentityOut(Schema):
    id: int
    network: str
    handle: str
    external_id: str
    profile_url: str
    display_name: str
    followers: int | None


class AffiliationIn(Schema):
    id: Id | None = None
    name: Text(200) = ""
    role: Text(100) = ""
    is_primary: bool = False


class AffiliationOut(Schema):
    id: int
    name: str
    kind: str
    role: str
    is_primary: bool


class ContactIn(Schema):
    name: Text(200) | None = Field(
        default=None, description="Full name; split into first and last if they are not given"
    )
    first_name: Text(100) | None = None
    last_name: Text(100) | None = None
    external_id: Text(100) | None = None
    email: Text(254) | None = None
    phone: Text(40) | None = None
    job_title: Text(150) | None = None
    street: Text(200) | None = None
    city: Text(100) | None = None
    postcode: Text(20) | None = None
    region: Text(100) | None = None
    country: Text(2) | None = None
    date_of_birth: date | None = None
    customer_number: Text(64) | None = None
    lifecycle_stage: LifecycleStage | None = None
    tags: list[Text(50)] | None = Field(default=None, max_length=50)
    identities: list[IdentityIn] | None = Field(default=None, max_length=50)
    organisations: list[AffiliationIn] | None = Field(default=None, max_length=50)


class ContactOut(Schema):
    id: int
    name: str
    first_name: str
    last_name: str
    external_id: str
    email: str
    phone: str
    job_title: str
    street: str
    city: str
    postcode: str
    region: str
    country: str
    date_of_birth: date | None
    customer_number: str
    lifecycle_stage: str
    tags: list[str]
    identities: list[IdentityOut]
    organisations: list[AffiliationOut]
    merged_into: int | None
    created_at: datetime
    updated_at: datetime


def contact_detail_schema() -> type[Schema]:
    """ContactOut with the fields apps above contacts registered (contacts.services.register_detail_extension)."""
    from typing import Any

    from pydantic import create_model

    from rapport.contacts.services import detail_extensions

    fields: dict[str, Any] = {
        name: ((schema or dict[str, Any]) | None, None) for name, (_, schema) in detail_extensions().items()
    }
    return create_model("ContactDetailOut", __base__=ContactOut, **fields) if fields else ContactOut


class ContactPage(Schema):
    items: list[ContactOut]
    next_cursor: str | None


class TouchpointIn(Schema):
    kind: TouchpointKind
    channel: TouchpointChannel
    occurred_at: datetime
    direction: TouchpointDirection = TouchpointDirection.NONE
    title: Text(200) = ""
    body: Text(20000) = ""
    amount: Decimal | None = Field(default=None, max_digits=12, decimal_places=2)
    currency: Text(3) = ""


class TouchpointOut(Schema):
    id: int
    person_id: int
    kind: str
    channel: str
    direction: str
    occurred_at: datetime
    title: str
    body: str
    amount: Decimal | None
    currency: str
    source: str
    source_id: str
    private: bool = Field(description="a direct message, email or chat")
    withheld: bool = Field(description="private, and its text is not yours to read: title and body are empty")


class TimelinePage(Schema):
    items: list[TouchpointOut]
    next_cursor: str | None


class OrganisationIn(Schema):
    name: Text(200) | None = None
    kind: OrganizationKind | None = None
    external_id: Text(100) | None = None
    domain: Text(200) | None = None
    industry: Text(100) | None = None
    size: Text(32) | None = None
    phone: Text(32) | None = None
    city: Text(100) | None = None
    country: Text(2) | None = None
    tags: list[Text(50)] | None = Field(default=None, max_length=50)


class OrganisationOut(Schema):
    id: int
    name: str
    kind: str
    external_id: str
    domain: str
    industry: str
    size: str
    phone: str
    city: str
    country: str
    tags: list[str]
    people_count: int = 0
    created_at: datetime
    updated_at: datetime


class OrganisationPage(Schema):
    items: list[OrganisationOut]
    next_cursor: str | None


class AuditOut(Schema):
    id: int
    created_at: datetime
    actor: str
    actor_kind: str
    action: str
    before: dict | None
    after: dict | None


class AuditPage(Schema):
    items: list[AuditOut]
    next_cursor: str | None = None

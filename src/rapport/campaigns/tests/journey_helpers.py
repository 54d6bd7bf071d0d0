"""Shared pieces of the journey tests: people with consent, orders, a simulated clock, the SMTP settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rapport.campaigns import journeys, journeys_engine, policy
from rapport.commerce import services as commerce
from rapport.consent import services as consent
from rapport.contacts.services import create_person
from rapport.core.actors import Actor

ACTOR = Actor.system("test")


class Clock:
    """The simulated clock journeys run on: tests move it instead of sleeping."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta) -> datetime:
        self.at += timedelta(**delta)
        return self.at


def install_clock(monkeypatch, start: datetime | None = None) -> Clock:
    clock = Clock(start or datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setattr(policy, "clock", clock)
    return clock


def person(ws, first, *, email=None, purposes=("offers",), tags=()):
    p = create_person(
        workspace=ws,
        actor=ACTOR,
        data={
            "first_name": first,
            "last_name": "Test",
            "email": email or f"{first.lower()}@example.com",
            "tags": list(tags),
        },
    )
    for purpose in purposes:
        consent.record(p, purpose, granted=True, channel="email", source="form")
    return p


def order(ws, who, order_id: str, at: datetime, amount: str = "50"):
    return commerce.record_order(
        workspace=ws,
        order=commerce.OrderIn(
            order_id=order_id,
            ordered_at=at,
            email=who.email,
            currency="EUR",
            lines=[commerce.LineIn(sku="SKU1", name="Thing", amount=Decimal(amount))],
        ),
    )


def journey(ws, **data):
    data = {"name": "J", "status": "active", "purpose": "offers"} | data
    return journeys.create_journey(workspace=ws, actor=ACTOR, data=data)


def smtp_settings(settings, smtp) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""


def tick(clock: Clock) -> dict:
    return journeys_engine.tick(now=clock())

"""The relocation as a sales moment. Hanne (four agents, four times) is moving to Copenhagen; her consented social
profile says so and the life-event detector announces it. A marketer's journey, written through the API, offers the
service at her new address two weeks before the move, by email only because she allows offers by email (checked as
the message goes), through a real SMTP server on loopback; she clicks, and her order of the moving service within
the goal's window is counted as the journey's conversion. Jens, moving too but without consent to offers, is handed
to an agent as a task instead. The journey runs on a simulated clock, not by sleeping."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from rapport.campaigns import journeys_engine, policy
from rapport.care.models import Conversation
from rapport.commerce import services as commerce
from rapport.consent import services as consent
from rapport.contacts.models import Touchpoint
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.core.events import emit
from rapport.core.models import Role
from rapport.demo.journeys import MOVING_STEPS
from tests.fakes.smtp import fake_smtp  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)
ACTOR = Actor.system("scenario")


def test_a_moving_house_life_event_becomes_a_consented_offer_and_a_counted_sale(
    api_factory,
    workspace,
    settings,
    monkeypatch,
    fake_smtp,  # noqa: F811
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", fake_smtp.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.RAPPORT_PUBLIC_URL = "http://testserver"
    now = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    monkeypatch.setattr(policy, "clock", lambda: now)

    hanne = create_person(
        workspace=workspace,
        actor=ACTOR,
        data={"first_name": "Hanne", "last_name": "Kristensen", "email": "hanne@mail.example", "city": "Aarhus"},
    )
    jens = create_person(workspace=workspace, actor=ACTOR, data={"first_name": "Jens", "email": "jens@mail.example"})
    consent.record(hanne, "offers", granted=True, channel="email", source="preference_centre")

    marketer = api_factory(workspace, Role.MARKETER)
    r = marketer.post(
        "/journeys",
        {
            "name": "Moving house",
            "trigger": "life_event",
            "trigger_config": {"value": "moving_house"},
            "purpose": "offers",
            "status": "active",
            "goal_days": 30,
            "steps": MOVING_STEPS,
        },
    )
    assert r.status_code == 201, r.content
    jid = r.json()["id"]

    # The detector read the consented posts: both are moving on 1 June.
    for p in (hanne, jens):
        emit(
            "consent.life_event_detected",
            {
                "workspace_id": workspace.pk,
                "person_id": p.pk,
                "value": "moving_house",
                "event_date": "2026-06-01",
                "source_post": 41,
            },
        )
    journeys_engine.tick(now=now)
    assert not fake_smtp.messages  # four weeks before the move: waiting

    now = datetime(2026, 5, 18, 0, 5, tzinfo=UTC)  # two weeks before the move
    journeys_engine.tick(now=now)
    assert [m["To"] for m in fake_smtp.messages] == ["hanne@mail.example"]
    mail = fake_smtp.messages[0]
    assert mail["Subject"] == "Hanne, your service at your new address"
    text = mail.get_content()
    assert "You are moving on 2026-06-01" in text
    assert Touchpoint.objects.filter(person=hanne, source="journey").count() == 1

    # Jens never allowed offers: an agent gets the moment instead, on his conversation.
    note = Conversation.objects.get(person=jens).messages.get()
    assert "Jens is moving on 2026-06-01: offer the service at the new address" in note.text

    link = re.search(r"http://testserver(/r/\S+)", text).group(1)
    assert Client().get(link)["Location"] == "https://shop.example/moving"

    commerce.record_order(
        workspace=workspace,
        order=commerce.OrderIn(
            order_id="W-1001",
            source="webshop",
            ordered_at=now + timedelta(days=2),
            email="hanne@mail.example",
            lines=[commerce.LineIn(sku="MOVE-SVC", name="Moving service", category="Services", amount=Decimal("149"))],
        ),
    )
    counts = marketer.get(f"/journeys/{jid}").json()["counts"]
    assert (counts["entered"], counts["converted"], counts["conversion"]) == (2, 1, 0.5)
    by_step = {s["id"]: s for s in counts["steps"]}
    assert by_step["offer"]["sent"] == 1 and by_step["offer"]["converted"] == 1
    assert by_step["agent"]["reached"] == 1 and by_step["may-offer"]["yes"] == 1 and by_step["may-offer"]["no"] == 1

    # She moves on; weeks later nothing more is sent and nobody is enrolled twice.
    now = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    journeys_engine.tick(now=now)
    assert len(fake_smtp.messages) == 1

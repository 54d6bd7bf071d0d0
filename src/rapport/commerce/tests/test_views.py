"""The contact page's value panel and the page of orders waiting for review."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client

from rapport.commerce import services
from rapport.commerce.models import Order
from rapport.contacts.models import Person
from rapport.core.models import Role

pytestmark = pytest.mark.django_db


def client_for(member_factory, workspace, role=Role.AGENT):
    client = Client()
    client.force_login(member_factory(workspace, role).user)
    return client


def buy(workspace, order_id, **who):
    services.record_orders(
        workspace=workspace,
        orders=[
            services.OrderIn(
                order_id=order_id,
                ordered_at=datetime(2026, 3, 1, tzinfo=UTC),
                lines=[services.LineIn(sku="s", name="Lens", amount=Decimal("499.00"))],
                currency="EUR",
                **who,
            )
        ],
    )


def test_value_panel_on_the_contact_page(member_factory, workspace, other_workspace):
    ann = Person.objects.create(workspace=workspace, first_name="Ann", external_id="a1")
    buy(workspace, "o1", external_id="a1")
    client = client_for(member_factory, workspace)
    page = client.get(f"/contacts/{ann.pk}/").content.decode()
    assert f"/contacts/{ann.pk}/value/" in page
    panel = client.get(f"/contacts/{ann.pk}/value/").content.decode()
    assert "Bought once" in panel and "o1" in panel and "499.00" in panel
    stranger = Person.objects.create(workspace=other_workspace, first_name="Zed")
    assert client.get(f"/contacts/{stranger.pk}/value/").status_code == 404


def test_review_page_links_a_waiting_order(member_factory, workspace):
    buy(workspace, "o2", email="who@example.se")
    bo = Person.objects.create(workspace=workspace, first_name="Bo", last_name="Holm")
    from rapport.contacts.services import refresh_person_search

    refresh_person_search(bo)
    client = client_for(member_factory, workspace)
    page = client.get("/commerce/review/", {"q": "holm"}).content.decode()
    assert "o2" in page and "who@example.se" in page and "Bo Holm" in page
    order = Order.objects.get(order_id="o2")
    assert client.post(f"/commerce/review/{order.pk}/link/", {"contact_id": bo.pk}).status_code == 302
    order.refresh_from_db()
    assert order.person_id == bo.pk
    assert "No order is waiting" in client.get("/commerce/review/").content.decode()
    dpo = client_for(member_factory, workspace, Role.DPO)
    assert dpo.post(f"/commerce/review/{order.pk}/link/", {"contact_id": bo.pk}).status_code == 403

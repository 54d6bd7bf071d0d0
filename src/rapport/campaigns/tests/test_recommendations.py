"""Recommendations: co-purchased products rank first with a reason, owned products never appear, popular products
fill in for new customers and for people who objected to profiling; workspaces and limits are enforced."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rapport.commerce.services import LineIn, OrderIn, record_order
from rapport.consent import services as consent
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.core.models import Role

pytestmark = pytest.mark.django_db(transaction=True)
ACTOR = Actor.system("test")
NAMES = {"CAM": "Camera", "LENS": "Lens", "BAG": "Camera bag", "TRI": "Tripod", "CARD": "Memory card"}


def buyer(ws, first, *skus, n=[0]):
    p = create_person(workspace=ws, actor=ACTOR, data={"first_name": first, "email": f"{first.lower()}@example.com"})
    for sku in skus:
        n[0] += 1
        record_order(
            workspace=ws,
            order=OrderIn(
                order_id=f"o{n[0]}",
                ordered_at=datetime(2026, 1, 1, tzinfo=UTC),
                email=p.email,
                lines=[LineIn(sku=sku, name=NAMES[sku], category="Photo", amount=Decimal("10"))],
            ),
        )
    return p


@pytest.fixture
def shop(workspace):
    return {
        "ann": buyer(workspace, "Ann", "CAM"),
        "bob": buyer(workspace, "Bob", "CAM", "LENS"),
        "cid": buyer(workspace, "Cid", "CAM", "LENS", "BAG"),
        "dag": buyer(workspace, "Dag", "TRI", "CARD"),
        "eve": buyer(workspace, "Eve", "TRI", "CARD"),
        "fay": buyer(workspace, "Fay", "TRI"),
        "new": buyer(workspace, "New"),
    }


def recs(api, person, **params):
    r = api.get(f"/contacts/{person.pk}/recommendations", **params)
    assert r.status_code == 200, r.content
    return r.json()["items"]


def test_co_purchases_rank_first_with_a_reason_and_owned_products_are_left_out(api, shop):
    items = recs(api, shop["ann"], limit=4)
    assert [i["sku"] for i in items[:2]] == ["LENS", "BAG"]
    assert items[0]["reason"] == "because you bought Camera" and items[0]["name"] == "Lens"
    assert "CAM" not in {i["sku"] for i in items}
    assert items[0]["score"] > items[1]["score"] > items[2]["score"] > 0  # fallbacks rank below personal picks
    assert items[2]["sku"] == "TRI" and items[2]["reason"] == "popular with other customers"
    assert len(items) == 4
    assert "CARD" in {i["sku"] for i in recs(api, shop["fay"])}
    assert recs(api, shop["fay"])[0] == {
        "sku": "CARD",
        "name": "Memory card",
        "category": "Photo",
        "score": pytest.approx(2 / (3 * 2) ** 0.5, abs=1e-3),
        "reason": "because you bought Tripod",
    }


def test_a_new_customer_gets_popular_products(api, shop):
    items = recs(api, shop["new"], limit=2)
    assert [i["sku"] for i in items] == ["CAM", "TRI"]  # three buyers each, then by sku
    assert all(i["reason"] == "popular with other customers" for i in items)


def test_an_objection_to_profiling_means_no_personal_picks(api, shop):
    consent.object_to(shop["ann"], "profiling", source="agent")
    items = recs(api, shop["ann"], limit=3)
    assert all(i["reason"] == "popular with other customers" for i in items)
    assert "CAM" not in {i["sku"] for i in items}


def test_workspace_role_and_limit_are_enforced(api, api_factory, other_workspace, shop):
    assert (
        api_factory(other_workspace, Role.ADMIN).get(f"/contacts/{shop['ann'].pk}/recommendations").status_code == 404
    )
    r = api.get(f"/contacts/{shop['ann'].pk}/recommendations", limit=0)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "limit"
    assert (
        api_factory(shop["ann"].workspace, Role.MARKETER).get(f"/contacts/{shop['ann'].pk}/recommendations").status_code
        == 200
    )

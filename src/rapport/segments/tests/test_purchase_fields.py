"""Segment conditions over purchases in a category and a period: bought in a category (and below it) in the last N
days or between dates, spend in a category, orders in a period; one query per segment, named errors, the builder's
fields list, and live membership when a new order arrives."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rapport.commerce import services as commerce
from rapport.contacts.models import Person
from rapport.contacts.services import create_person
from rapport.core import events
from rapport.core.actors import Actor
from rapport.segments.fields import compile_definition
from rapport.segments.views import describe

pytestmark = pytest.mark.django_db(transaction=True)
ACTOR = Actor.system("test")


def person(ws, first):
    return create_person(
        workspace=ws, actor=ACTOR, data={"first_name": first, "last_name": "Test", "external_id": first}
    )


def order(ws, who, oid, *, days_ago, lines, returned=None):
    """Record an order of (category, amount) lines placed `days_ago` days ago."""
    stored, _ = commerce.record_order(
        workspace=ws,
        order=commerce.OrderIn(
            order_id=oid,
            ordered_at=timezone.now() - timedelta(days=days_ago),
            external_id=who.external_id,
            lines=[
                commerce.LineIn(sku=f"{oid}-{i}", name=cat, category=cat, amount=Decimal(str(amount)))
                for i, (cat, amount) in enumerate(lines)
            ],
        ),
    )
    if returned:
        commerce.record_return(workspace=ws, order=stored, amount=Decimal(returned))
    return stored


def names(api, definition):
    r = api.post("/segments/preview", {"definition": definition})
    assert r.status_code == 200, r.content
    return {m["name"].split()[0] for m in r.json()["sample"]}


@pytest.fixture
def shoppers(workspace):
    ann, bo, cy, di = (person(workspace, n) for n in ("Ann", "Bo", "Cy", "Di"))
    order(workspace, ann, "a1", days_ago=5, lines=[("Baby > Food", 30), ("Dairy", 4)])
    order(workspace, ann, "a2", days_ago=200, lines=[("Baby > Nappies", 40)])
    order(workspace, bo, "b1", days_ago=100, lines=[("Baby", 12)])
    order(workspace, bo, "b2", days_ago=10, lines=[("Dairy > Milk", 3)], returned="1.00")
    order(workspace, cy, "c1", days_ago=3, lines=[("Babylon > Books", 25)])
    return ann, bo, cy, di


def test_bought_in_category_in_the_last_n_days_follows_the_hierarchy(api, workspace, shoppers):
    recent_baby = {"field": "purchases.category", "op": "eq", "value": "Baby", "days": 30}
    assert names(api, recent_baby) == {"Ann"}  # Bo's baby order is 100 days old, Cy's "Babylon" is not Baby
    assert names(api, {**recent_baby, "days": 365}) == {"Ann", "Bo"}
    assert names(api, {"field": "purchases.category", "op": "eq", "value": "baby > nappies"}) == {"Ann"}
    assert names(api, {"field": "purchases.category", "op": "contains", "value": "baby"}) == {"Ann", "Bo", "Cy"}
    assert names(api, {"field": "purchases.category", "op": "in", "value": ["Dairy", "Babylon"], "days": 30}) == {
        "Ann",
        "Bo",
        "Cy",
    }
    # Never bought baby products: Di, who bought nothing, and Cy.
    assert names(api, {"not": {"field": "purchases.category", "op": "eq", "value": "Baby"}}) == {"Cy", "Di"}
    assert names(api, {"field": "purchases.category", "op": "ne", "value": "Baby"}) == {"Cy", "Di"}


def test_between_dates_is_inclusive_of_both_days(api, workspace, shoppers):
    today = timezone.now().date()
    span = {"from": str(today - timedelta(days=12)), "to": str(today - timedelta(days=4))}
    assert names(api, {"field": "purchases.category", "op": "exists", "value": True, **span}) == {"Ann", "Bo"}
    assert names(api, {"field": "purchases.orders_in_period", "op": "eq", "value": 0, **span}) == {"Cy", "Di"}
    day_of_b2 = str(today - timedelta(days=10))
    assert names(
        api, {"field": "purchases.category", "op": "eq", "value": "Dairy", "from": day_of_b2, "to": day_of_b2}
    ) == {"Bo"}


def test_spend_in_a_category_and_orders_in_a_period(api, workspace, shoppers):
    baby_spend = {"field": "purchases.spend_in_period", "category": "Baby"}
    assert names(api, {**baby_spend, "op": "gte", "value": 50}) == {"Ann"}  # 30 + 40 of baby lines, not the milk
    assert names(api, {**baby_spend, "op": "gte", "value": 12}) == {"Ann", "Bo"}
    assert names(api, {**baby_spend, "op": "lt", "value": 12}) == {"Cy", "Di"}  # zero spend counts as 0
    assert names(api, {**baby_spend, "op": "gte", "value": 25, "days": 30}) == {"Ann"}
    # Without a category: the orders' totals less returns (Bo: 12 + 3 - 1).
    assert names(api, {"field": "purchases.spend_in_period", "op": "eq", "value": 14}) == {"Bo"}
    assert names(api, {"field": "purchases.orders_in_period", "op": "gte", "value": 2}) == {"Ann", "Bo"}
    assert names(api, {"field": "purchases.orders_in_period", "op": "gte", "value": 2, "days": 30}) == set()
    assert names(api, {"field": "purchases.orders_in_period", "op": "eq", "value": 1, "days": 30}) == {
        "Ann",
        "Bo",
        "Cy",
    }
    assert names(api, {"field": "purchases.orders_in_period", "op": "in", "value": [0, 2], "category": "Baby"}) == {
        "Ann",
        "Cy",
        "Di",
    }
    young_families = {
        "all": [
            {"field": "purchases.category", "op": "eq", "value": "Baby", "days": 365},
            {"field": "purchases.orders_in_period", "op": "gte", "value": 1, "days": 30},
            {"not": {"field": "purchases.spend_in_period", "op": "gt", "value": 60, "category": "Baby"}},
        ]
    }
    assert names(api, young_families) == {"Bo"}


def test_a_purchase_segment_is_one_query(workspace, shoppers):
    definition = {
        "any": [
            {"field": "purchases.category", "op": "eq", "value": "Baby", "days": 30},
            {"field": "purchases.spend_in_period", "op": "gte", "value": 10, "category": "Dairy"},
            {"field": "purchases.orders_in_period", "op": "lt", "value": 1, "from": "2020-01-01"},
        ]
    }
    compiled = compile_definition(definition, workspace_id=workspace.pk)
    with CaptureQueriesContext(connection) as ctx:
        found = set(compiled.apply(Person.objects.filter(workspace=workspace)).values_list("first_name", flat=True))
    assert found == {"Ann", "Di"} and len(ctx.captured_queries) == 1
    assert "workspace_id" in ctx.captured_queries[0]["sql"]


@pytest.mark.parametrize(
    ("definition", "loc", "words"),
    [
        (
            {"field": "purchases.category", "op": "eq", "value": "Baby", "category": "x"},
            "definition.category",
            "no category",
        ),
        ({"field": "purchases.count", "op": "gte", "value": 1, "from": "2026-01-01"}, "definition.from", "no from"),
        ({"field": "purchases.orders_in_period", "op": "gte", "value": 1, "from": "soon"}, "definition.from", "date"),
        (
            {"field": "purchases.orders_in_period", "op": "gte", "value": 1, "from": "2026-02-01", "to": "2026-01-01"},
            "definition.to",
            "before from",
        ),
        (
            {"field": "purchases.orders_in_period", "op": "gte", "value": 1, "from": "2026-02-01", "days": 3},
            "definition.days",
            "not both",
        ),
        (
            {"field": "purchases.spend_in_period", "op": "gte", "value": 1, "category": ""},
            "definition.category",
            "text",
        ),
        ({"field": "purchases.spend_in_period", "op": "gte", "value": "lots"}, "definition.value", "amount"),
        ({"field": "purchases.category", "op": "gte", "value": "Baby"}, "definition.op", "purchases.category"),
    ],
)
def test_bad_period_conditions_are_named(api, definition, loc, words):
    r = api.post("/segments", {"name": "bad", "definition": definition})
    assert r.status_code == 422, r.content
    detail = r.json()["detail"]
    assert any(".".join(d["loc"][1:]) == loc and words in d["msg"] for d in detail), detail


def test_fields_list_offers_the_period_and_category_params(api):
    fields = {f["name"]: f for f in api.get("/segments/fields").json()["items"]}
    spend = fields["purchases.spend_in_period"]
    assert spend["type"] == "money" and set(spend["params"]) == {"days", "from", "to", "category"}
    assert spend["params"]["days"]["default"] is None and spend["params"]["from"]["type"] == "date"
    assert set(fields["purchases.category"]["params"]) == {"days", "from", "to"}
    assert fields["social.mentions"]["params"]["days"]["default"] == 30


def test_a_new_order_moves_people_into_a_category_segment(api, workspace, shoppers):
    _ann, _bo, _cy, di = shoppers
    seg = api.post(
        "/segments",
        {"name": "recent baby", "definition": {"field": "purchases.category", "op": "eq", "value": "Baby", "days": 30}},
    ).json()
    assert seg["count"] == 1
    seen = []

    def record(event, payload):
        seen.append(payload["person_ids"])

    events.subscribe("segment.entered", record)
    try:
        order(workspace, di, "d1", days_ago=0, lines=[("Baby > Toys", 9)])
    finally:
        events.unsubscribe("segment.entered", record)
    assert api.get(f"/segments/{seg['id']}").json()["count"] == 2
    assert [di.pk] in seen


def test_description_says_the_window_and_category(workspace):
    text = describe(
        {"field": "purchases.spend_in_period", "op": "gte", "value": 50, "category": "Baby", "days": 90}, workspace.pk
    )
    assert text == "Spend in a period ≥ 50 in category Baby (last 90 days)"
    text = describe({"field": "purchases.category", "op": "eq", "value": "Baby", "from": "2026-01-01"}, workspace.pk)
    assert text == "Bought in category is Baby (from 2026-01-01)"

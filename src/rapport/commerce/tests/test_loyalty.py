"""Loyalty: earn rules, the append-only ledger, expiry oldest first, tiers, vouchers, partners and settlement."""

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.commerce import loyalty, services
from rapport.commerce.models import CustomerValue, EarnRule, Partner, PointsEntry, Programme, Store, Tier, Voucher
from rapport.contacts.models import Person

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def programme(workspace):
    p = Programme.objects.create(workspace=workspace, name="Club", points_per_unit=1, expiry_days=30)
    Tier.objects.create(programme=p, name="silver", rank=1, qualifying_points=100, period_days=365)
    Tier.objects.create(programme=p, name="gold", rank=2, qualifying_points=1000, period_days=365)
    return p


@pytest.fixture
def ann(workspace):
    return Person.objects.create(workspace=workspace, first_name="Ann", external_id="a1")


def buy(workspace, order_id, amount, *, when=T0, category="", store=""):
    services.record_orders(
        workspace=workspace,
        orders=[
            services.OrderIn(
                order_id=order_id,
                ordered_at=when,
                external_id="a1",
                store=store,
                lines=[services.LineIn(sku="s", category=category, amount=Decimal(amount))],
            )
        ],
    )


@pytest.mark.django_db
def test_earn_rules_categories_campaigns_and_partners(workspace, programme, ann):
    EarnRule.objects.create(programme=programme, name="Baby double", category="Baby", multiplier=2)
    EarnRule.objects.create(
        programme=programme, name="January bonus", bonus_points=50, starts_at=T0, ends_at=T0 + timedelta(days=31)
    )
    buy(workspace, "o1", "100", category="Baby > Nappies")
    buy(workspace, "o2", "100", category="Food", when=T0 + timedelta(days=40))
    earned = list(
        PointsEntry.objects.filter(person=ann, kind="earn").order_by("occurred_at").values_list("points", flat=True)
    )
    assert earned == [250, 100]
    # Each order earns once, however often it is seen.
    loyalty.earn_for_orders(workspace=workspace, order_ids=list(ann.orders.values_list("pk", flat=True)))
    assert PointsEntry.objects.filter(person=ann, kind="earn").count() == 2


@pytest.mark.django_db
def test_expiry_takes_the_oldest_unspent_points_without_rebuilding(workspace, programme, ann):
    buy(workspace, "o1", "100", when=T0)
    buy(workspace, "o2", "50", when=T0 + timedelta(days=20))
    loyalty.redeem_points(programme, ann, points=30, now=T0 + timedelta(days=25))
    # Day 31: the first 100 expire less the 30 spent from them; the later 50 stay.
    assert loyalty.expire_due(programme, now=T0 + timedelta(days=31)) == 70
    assert loyalty.balance(programme, ann) == 50
    assert loyalty.expire_due(programme, now=T0 + timedelta(days=31)) == 0  # idempotent
    assert loyalty.expire_due(programme, now=T0 + timedelta(days=51)) == 50
    assert loyalty.balance(programme, ann) == 0
    with pytest.raises(loyalty.InsufficientPoints):
        loyalty.redeem_points(programme, ann, points=1, now=T0 + timedelta(days=52))
    kinds = list(PointsEntry.objects.filter(person=ann).order_by("id").values_list("kind", "points"))
    assert kinds == [("earn", 100), ("earn", 50), ("redeem", -30), ("expire", -70), ("expire", -50)]


@pytest.mark.django_db
def test_tiers_qualify_on_points_and_granted_status_holds(workspace, programme, ann):
    buy(workspace, "o1", "150", when=datetime.now(UTC) - timedelta(days=1))
    assert CustomerValue.objects.get(person=ann).tier == "silver"
    gold = Tier.objects.get(name="gold")
    loyalty.grant_tier(programme, ann, gold, until=datetime.now(UTC) + timedelta(days=90), reason="status match")
    assert CustomerValue.objects.get(person=ann).tier == "gold"
    assert loyalty.tier_of(workspace=workspace, person_id=ann.pk) == "gold"
    m = ann.memberships.get()
    m.tier_until = datetime.now(UTC) - timedelta(days=1)
    m.save()
    loyalty.sync_people(programme, [ann.pk])
    assert CustomerValue.objects.get(person=ann).tier == "silver"


@pytest.mark.django_db
def test_coalition_earn_at_one_partner_spend_at_another_and_settle(workspace, programme, ann):
    shell = Partner.objects.create(workspace=workspace, code="shell", name="Shell", point_value=Decimal("0.01"))
    rewe = Partner.objects.create(workspace=workspace, code="rewe", name="REWE", point_value=Decimal("0.01"))
    Store.objects.create(workspace=workspace, code="shell-42", kind="partner", partner=shell)
    buy(workspace, "o1", "500", store="shell-42", when=T0 + timedelta(days=1))
    loyalty.redeem_points(programme, ann, points=200, partner=rewe, now=T0 + timedelta(days=2))
    lines = {ln.partner: ln for ln in loyalty.settlement(programme, start=T0, end=T0 + timedelta(days=30))}
    assert (lines["shell"].points_issued, lines["shell"].points_redeemed, lines["shell"].net) == (
        500,
        0,
        Decimal("5.00"),
    )
    assert (lines["rewe"].points_issued, lines["rewe"].points_redeemed, lines["rewe"].net) == (0, 200, Decimal("-2.00"))


@pytest.mark.django_db
def test_vouchers_single_use_expiry_and_timeline(workspace, programme, ann):
    v = loyalty.issue_voucher(
        workspace=workspace, person=ann, amount=Decimal(10), expires_at=T0 + timedelta(days=1), now=T0
    )
    loyalty.redeem_voucher(workspace=workspace, code=v.code, now=T0 + timedelta(hours=1))
    with pytest.raises(loyalty.VoucherUnavailable, match="already redeemed"):
        loyalty.redeem_voucher(workspace=workspace, code=v.code, now=T0 + timedelta(hours=2))
    late = loyalty.issue_voucher(workspace=workspace, amount=Decimal(10), expires_at=T0 + timedelta(days=1), now=T0)
    with pytest.raises(loyalty.VoucherUnavailable, match="expired"):
        loyalty.redeem_voucher(workspace=workspace, code=late.code, now=T0 + timedelta(days=2))
    kinds = set(ann.touchpoints.values_list("kind", flat=True))
    assert {"voucher_issued", "voucher_redeemed"} <= kinds


OPS = st.lists(
    st.tuples(st.sampled_from(["earn", "redeem", "adjust", "expire"]), st.integers(1, 400), st.integers(0, 20)),
    max_size=15,
)


@pytest.mark.django_db
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_balance_is_the_sum_of_the_ledger_and_never_negative(workspace, programme, ann, ops):
    PointsEntry.objects.filter(person=ann).delete()
    now = T0
    for n, (op, amount, days) in enumerate(ops):
        now = now + timedelta(days=days)
        try:
            if op == "earn":
                PointsEntry.objects.create(
                    workspace=workspace,
                    programme=programme,
                    person=ann,
                    kind="earn",
                    points=amount,
                    occurred_at=now,
                    expires_at=now + timedelta(days=30),
                )
            elif op == "redeem":
                loyalty.redeem_points(programme, ann, points=amount, now=now)
            elif op == "adjust":
                loyalty.adjust(programme, ann, points=-amount if n % 2 else amount, reason="fix", now=now)
            else:
                loyalty.expire_due(programme, now=now, person_ids=[ann.pk])
        except loyalty.InsufficientPoints:
            pass
        ledger = list(PointsEntry.objects.filter(person=ann).values_list("points", flat=True))
        assert loyalty.balance(programme, ann) == sum(ledger) >= 0
    # After everything earned has expired only the never-expiring credits by hand can remain.
    loyalty.expire_due(programme, now=now + timedelta(days=31), person_ids=[ann.pk])
    adjustments = sum(
        p for k, p in PointsEntry.objects.filter(person=ann).values_list("kind", "points") if k == "adjust" and p > 0
    )
    assert 0 <= loyalty.balance(programme, ann) <= adjustments


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite serialises writers; the PostgreSQL pass races")
def test_fifty_concurrent_redemptions_of_one_voucher_exactly_one_wins(workspace):
    voucher = loyalty.issue_voucher(workspace=workspace, amount=Decimal(10))
    start = threading.Barrier(50)
    outcomes: list[str] = []
    lock = threading.Lock()

    def redeem() -> None:
        try:
            start.wait(timeout=30)
            try:
                loyalty.redeem_voucher(workspace=workspace, code=voucher.code)
                result = "won"
            except loyalty.VoucherUnavailable as exc:
                result = exc.message
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(outcomes) == 50
    assert outcomes.count("won") == 1 and outcomes.count("already redeemed") == 49
    assert Voucher.objects.get(pk=voucher.pk).redeemed_at is not None

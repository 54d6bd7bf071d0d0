"""The demo's shop: Complete Journey households as contacts with orders, the club, vouchers and fitted values."""

import pytest

from rapport.commerce.models import CustomerValue, Order, PointsEntry, Programme, Voucher
from rapport.demo.commerce import seed_commerce

pytestmark = pytest.mark.django_db


def test_demo_commerce_seeds_once(workspace):
    result = seed_commerce(workspace, households=6)
    assert result["households"] == 6 and result["orders"] > 0 and result["lines"] >= result["orders"]
    assert Order.objects.filter(workspace=workspace, person__isnull=True).count() == 0
    assert CustomerValue.objects.filter(workspace=workspace, orders__gt=0).count() == 6
    programme = Programme.objects.get(workspace=workspace)
    assert PointsEntry.objects.filter(programme=programme, kind="earn").exists()
    assert Voucher.objects.filter(workspace=workspace, redeemed_at__isnull=False).count() == result["vouchers"]
    assert seed_commerce(workspace, households=6) == {"skipped": "already seeded"}

"""A merge moves orders and points to the kept person and both value summaries are recomputed; an un-merge too."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rapport.commerce import services
from rapport.commerce.models import CustomerValue, Order
from rapport.contacts.models import Person
from rapport.core.actors import Actor
from rapport.identity.merging import merge_contacts, undo_merge

pytestmark = pytest.mark.django_db(transaction=True)


def test_merge_and_unmerge_recompute_the_value(workspace):
    a = Person.objects.create(workspace=workspace, first_name="Ann", external_id="a")
    b = Person.objects.create(workspace=workspace, first_name="Ann", external_id="b")
    services.record_orders(
        workspace=workspace,
        orders=[
            services.OrderIn(
                order_id=f"o{i}",
                ordered_at=datetime(2026, 1, 1 + i, tzinfo=UTC),
                external_id=who,
                lines=[services.LineIn(sku="s", amount=Decimal(10))],
            )
            for i, who in enumerate("aab")
        ],
    )
    merge = merge_contacts(workspace=workspace, keep=a, absorb=b, actor=Actor.system("test"))
    assert Order.objects.filter(person=a).count() == 3
    assert CustomerValue.objects.get(person=a).orders == 3
    assert CustomerValue.objects.get(person=b).orders == 0
    undo_merge(merge=merge, actor=Actor.system("test"), workspace=workspace)
    assert CustomerValue.objects.get(person=a).orders == 2
    assert CustomerValue.objects.get(person=b).orders == 1

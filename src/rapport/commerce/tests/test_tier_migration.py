"""The data migration that turns today's tier tags into loyalty tiers."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def test_tier_tags_become_tiers_of_the_programme(workspace):
    old = migrate([("commerce", "0002_orders_loyalty")])
    Person = old.get_model("contacts", "Person")
    senator = Person.objects.create(workspace_id=workspace.pk, first_name="Senator", tags=["gold", "VIP", "press"])
    plain = Person.objects.create(workspace_id=workspace.pk, first_name="Plain", tags=["press"])
    silver = Person.objects.create(workspace_id=workspace.pk, first_name="Sil", tags=["silver"])
    migrate([("commerce", "0003_tier_tags")])

    from rapport.commerce import loyalty
    from rapport.commerce.models import CustomerValue, Membership, Programme

    programme = Programme.objects.get(workspace=workspace)
    assert sorted(programme.tiers.values_list("name", "rank")) == [
        ("gold", 2),
        ("platinum", 3),
        ("silver", 1),
        ("vip", 4),
    ]
    assert loyalty.tier_of(workspace=workspace, person_id=senator.pk) == "vip"
    assert loyalty.tier_of(workspace=workspace, person_id=silver.pk) == "silver"
    assert not CustomerValue.objects.filter(person_id=plain.pk).exists()
    held = Membership.objects.get(person_id=senator.pk)
    assert held.tier.name == "vip" and held.tier_reason == "migrated from tag"
    # The granted tier holds against the points (none earned yet).
    assert loyalty.qualify(programme, senator.pk).name == "vip"

"""Today's tier tags (vip, platinum, gold, silver on a contact) become tiers of a loyalty programme.

Each workspace whose contacts carry such tags gets a programme "Loyalty" (unless it has one) with those tiers, and
each tagged contact a membership holding the highest tier named, granted without an end ("migrated from tag"), and
the tier on their value summary. The tags stay on the contacts (nothing of contacts is changed); the programme is
the owner of the tier from now on."""

from django.db import migrations

TIERS = [("silver", 1, 1000), ("gold", 2, 5000), ("platinum", 3, 15000), ("vip", 4, 50000)]
RANK = {name: rank for name, rank, _ in TIERS}


def forwards(apps, schema_editor):
    Person = apps.get_model("contacts", "Person")
    Programme = apps.get_model("commerce", "Programme")
    Tier = apps.get_model("commerce", "Tier")
    Membership = apps.get_model("commerce", "Membership")
    CustomerValue = apps.get_model("commerce", "CustomerValue")
    found: dict[int, list[tuple[int, str]]] = {}
    rows = Person.objects.filter(merged_into__isnull=True).exclude(tags=[]).values_list("id", "workspace_id", "tags")
    for pid, ws, tags in rows.iterator(chunk_size=5000):
        named = [t.lower() for t in tags or [] if isinstance(t, str) and t.lower() in RANK]
        if named:
            found.setdefault(ws, []).append((pid, max(named, key=RANK.__getitem__)))
    for ws, people in found.items():
        programme = Programme.objects.filter(workspace_id=ws).order_by("id").first()
        if programme is None:
            programme = Programme.objects.create(workspace_id=ws, name="Loyalty", points_per_unit=1)
        tiers = {}
        for name, rank, points in TIERS:
            tier = Tier.objects.filter(programme=programme, name=name).first()
            if tier is None:
                tier = Tier.objects.create(
                    programme=programme, name=name, rank=rank, qualifying_points=points, period_days=365
                )
            tiers[name] = tier
        for pid, name in people:
            m, _ = Membership.objects.get_or_create(programme=programme, person_id=pid, defaults={"workspace_id": ws})
            if m.tier_id is None:
                m.tier, m.tier_reason = tiers[name], "migrated from tag"
                m.save(update_fields=["tier", "tier_reason"])
            cv, _ = CustomerValue.objects.get_or_create(person_id=pid, defaults={"workspace_id": ws})
            cv.tier = m.tier.name if m.tier_id else name
            cv.save(update_fields=["tier"])


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0002_orders_loyalty"),
        ("contacts", "0005_private_db_default"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

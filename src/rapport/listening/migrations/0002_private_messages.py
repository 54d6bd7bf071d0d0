"""Posts carry a `private` flag (rapport.core.privacy); existing rows get it from their kind and network."""

from django.db import migrations, models
from django.db.models import Q

# Written out, not imported: a migration states the rule as it was when it ran.
PRIVATE = Q(kind="direct_message") | Q(network__in=["email", "chat"])


def backfill(apps, schema_editor):
    apps.get_model("listening", "Post").objects.filter(PRIVATE).update(private=True)  # one UPDATE


class Migration(migrations.Migration):
    dependencies = [
        ("listening", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="post",
            name="private",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]

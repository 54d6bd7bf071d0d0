"""Touchpoints carry a `private` flag (rapport.core.privacy); the entries of stored posts get it from the post's kind
(a direct message became a `message` entry) and network (email and chat keep their channel)."""

from django.db import migrations, models
from django.db.models import Q

PRIVATE = Q(source="post") & (Q(kind="message") | Q(channel__in=["email", "chat"]))


def backfill(apps, schema_editor):
    apps.get_model("contacts", "Touchpoint").objects.filter(PRIVATE).update(private=True)  # one UPDATE


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0003_search_trigram"),
    ]

    operations = [
        migrations.AddField(
            model_name="touchpoint",
            name="private",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]

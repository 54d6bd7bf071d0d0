"""Lean bulk writes: what they store must be what the ORM would have stored."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from rapport.contacts.models import Organization, Person
from rapport.core.bulk import insert, insert_ignore, json_value, update_fields

pytestmark = pytest.mark.django_db


def _rows(model, *values: dict) -> tuple[list[str], list[list]]:
    """Every concrete column (the lean writers need them all), model defaults where `values` say nothing."""
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.name: (now if f.name in ("created_at", "updated_at") else f.get_default()) for f in fields}
    names = [f.name for f in fields]
    return names, [[{**defaults, **v}[n] for n in names] for v in values]


def test_insert_stores_json_dates_and_preserialised_json_like_the_orm(workspace):
    names, rows = _rows(
        Person,
        {"workspace": workspace.pk, "first_name": "Ann", "tags": ["vip", "b2b"], "date_of_birth": date(1980, 5, 17)},
        {"workspace": workspace.pk, "first_name": "Bo", "tags": json_value(["æøå"])},
    )
    insert(Person, names, rows)
    ann, bo = Person.objects.filter(workspace=workspace).order_by("first_name")
    assert (ann.tags, ann.date_of_birth) == (["vip", "b2b"], date(1980, 5, 17))
    assert (bo.tags, bo.date_of_birth) == (["æøå"], None)


def test_insert_ignore_skips_rows_that_hit_a_unique_key_small_and_large_batches(workspace):
    from rapport.identity.models import SocialIdentity

    for n in (3, 900):  # one VALUES statement, and COPY through a temporary table
        SocialIdentity.objects.all().delete()
        values = [
            {"workspace": workspace.pk, "network": "twitter", "external_id": f"x{i}", "handle_key": f"h{i}"}
            for i in range(n)
        ]
        cols, rows = _rows(SocialIdentity, *values)
        insert_ignore(SocialIdentity, cols, rows[:1], conflict=None)
        insert_ignore(SocialIdentity, cols, rows, conflict=None)
        assert SocialIdentity.objects.count() == n


def test_update_fields_writes_the_fields_and_stamps_auto_now(workspace):
    org = Organization.objects.create(workspace=workspace, name="Volvo", tags=["old"])
    other = Organization.objects.create(workspace=workspace, name="IKEA")
    before = org.updated_at
    org.name, org.tags, org.city = "Volvo Cars", ["car", "sv"], "Gothenburg"
    other.name = "Not saved"  # not passed in: stays as stored
    assert update_fields([org], ["name", "tags", "updated_at"]) == 1
    org.refresh_from_db()
    other.refresh_from_db()
    assert (org.name, org.tags, org.city) == ("Volvo Cars", ["car", "sv"], "")
    assert org.updated_at > before
    assert other.name == "IKEA"


def test_a_duplicate_in_a_copy_is_reported_as_djangos_integrity_error(workspace):
    from django.db import IntegrityError, transaction

    from rapport.identity.models import SocialIdentity

    row = {"workspace": workspace.pk, "network": "twitter", "external_id": "e0", "handle_key": "k0"}
    cols, rows = _rows(SocialIdentity, row)
    insert(SocialIdentity, cols, rows)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert(SocialIdentity, cols, rows)  # COPY on PostgreSQL: the driver's error arrives as Django's
    assert SocialIdentity.objects.filter(workspace=workspace).count() == 1

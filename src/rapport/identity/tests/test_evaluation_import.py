"""The end-to-end import evaluation: generated people through CSV, validation, the database and the report."""

import pytest

from rapport.contacts.models import Person
from rapport.core.models import Workspace
from rapport.identity.evaluation import through_import


@pytest.mark.django_db
def test_import_matching_is_precise_and_leaves_nothing_behind():
    got = through_import(seed=3, n_contacts=300)
    assert got["incoming"] == 300 and got["rejected"] <= 3
    assert got["precision"] >= 0.98 and got["recall"] >= 0.8
    assert got["review_recall"] >= got["recall"]
    assert not Workspace.objects.filter(slug__startswith="eval-identity").exists()
    assert Person.objects.count() == 0

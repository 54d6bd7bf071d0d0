"""`rapport bench contacts` runs at a tiny scale and prints every figure with its goal."""

from __future__ import annotations

import re

import pytest

from rapport.contacts.bench import run
from rapport.contacts.models import Person

pytestmark = pytest.mark.django_db


def test_bench_contacts_smoke():
    lines: list[str] = []
    options = {
        "workspace": "bench-test",
        "people": 400,
        "touchpoints": 3000,
        "queries": 5,
        "import_rows": 120,
        "regenerate": False,
    }
    run(options, lines.append)
    text = "\n".join(lines)
    for label in ("search", "timeline first page", "import", "re-import of the same file"):
        assert re.search(rf"{label}\s.*\d", text), (label, text)
    assert re.search(r"import\s+[\d,]+ rows/s .*goal >= 5,000 rows/s (MET|NOT MET)", text)
    assert Person.objects.filter(workspace__slug="bench-test").count() == 400
    assert not Person.objects.filter(workspace__slug="bench-test-import").exists()  # the import cleans up

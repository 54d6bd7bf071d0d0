"""`rapport bench segments` runs at a tiny scale and its figures agree with the baseline; the demo segments seed
once and stay live."""

from __future__ import annotations

import re

import pytest

from rapport.commerce.models import CustomerValue
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.demo.segments import SEGMENTS, seed_segments
from rapport.segments.bench import run
from rapport.segments.models import Segment

pytestmark = pytest.mark.django_db(transaction=True)


def test_bench_segments_smoke():
    lines: list[str] = []
    run({"workspace": "bench-test", "people": 300, "repeat": 1, "regenerate": False}, lines.append)
    text = "\n".join(lines)
    for label in ("count: value \\+ attributes", "baseline: per-person loop", "first fill", "incremental", "reconcile"):
        assert re.search(rf"{label}.*\d", text), (label, text)
    assert "{'entered': 0, 'left': 0" in text  # incremental updates left nothing for reconcile to fix
    assert "measured in-process on services, not through the API or the pages" in text
    assert text.index("baseline: per-person loop") < text.index("first fill of a saved segment")  # same run


def test_demo_segments_are_idempotent(workspace):
    p = create_person(workspace=workspace, actor=Actor.system("t"), data={"first_name": "Ann"})
    CustomerValue.objects.create(workspace=workspace, person=p, orders=3, p_alive=0.9)
    first = seed_segments(workspace)
    assert first["Repeat buyers"] == 1 and first["lifecycle moves"] == 1
    again = seed_segments(workspace)
    assert again["Repeat buyers"] == 1 and again["lifecycle moves"] == 0
    assert Segment.objects.filter(workspace=workspace).count() == len(SEGMENTS)

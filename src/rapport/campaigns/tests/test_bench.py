"""`rapport bench campaigns` runs at a tiny scale, really sends to its sink and prints its rate beside the floor."""

from __future__ import annotations

import re

import pytest

from rapport.campaigns.bench import run
from rapport.campaigns.models import CampaignSend

pytestmark = pytest.mark.django_db(transaction=True)


def test_bench_campaigns_smoke():
    lines: list[str] = []
    run({"workspace": "bench-test", "people": 40}, lines.append)
    text = "\n".join(lines)
    assert re.search(r"campaign send .*: 40 in [\d.]+ s = [\d,]+/s \(goal >= 1,000/s (MET|NOT MET)\)", text), text
    assert re.search(r"baseline: .*[\d,]+/s", text), text
    assert re.search(r"with DKIM \(rsa-sha256.*\): 40 in [\d.]+ s = [\d,]+/s, [\d.]+x the unsigned rate", text), text
    assert CampaignSend.objects.filter(workspace__slug="bench-test", status="sent").count() == 80

"""`rapport bench inbox` runs at a tiny scale: every post that arrives shows in an agent's queue."""

from __future__ import annotations

import re

import pytest

from rapport.care.bench import run
from rapport.care.models import Conversation

pytestmark = pytest.mark.django_db(transaction=True)


def test_bench_inbox_smoke():
    lines: list[str] = []
    options = {
        "workspace": "bench-inbox-test",
        "conversations": 300,
        "agents": 6,
        "teams": 2,
        "queries": 5,
        "rate": 40,
        "seconds": 1.0,
        "regenerate": False,
    }
    run(options, lines.append)
    text = "\n".join(lines)
    arrived = re.search(r"([\d,]+) posts arriving at 40/s .* visible in an agent's queue: ([\d,]+)", text)
    assert arrived, text
    assert arrived.group(1) == arrived.group(2) == "40"
    assert re.search(r"p99 \d+ ms", text)
    assert Conversation.objects.filter(workspace__slug="bench-inbox-test").count() >= 300

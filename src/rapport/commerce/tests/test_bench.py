"""`rapport bench value` at a tiny scale: its output says what it leaves out and prints each baseline it has."""

from __future__ import annotations

import json
import re

import pytest

from rapport.commerce.bench import run

pytestmark = pytest.mark.django_db(transaction=True)


def test_bench_value_says_what_it_leaves_out_and_prints_its_baselines():
    lines: list[str] = []
    run({"customers": 60, "lines": 400, "workspace": "bench-value-test", "seed": 5, "naive_sample": 10}, lines.append)
    text = "\n".join(lines)
    assert "measured in-process" in text and "not the CLI's line count" in text
    assert re.search(r"^import: 400 lines .* lines/s", text, re.M), text
    assert re.search(r"^  baseline read \+ parse only, nothing written: [\d.]+s", text, re.M), text
    assert re.search(r"^  baseline pandas(: not run| \(read)", text, re.M), text
    assert re.search(r"^  baseline naive ORM loop .* ms per customer", text, re.M), text
    figures = json.loads(lines[-1])
    assert figures["lines"] == 400 and figures["read_parse_baseline_s"] >= 0

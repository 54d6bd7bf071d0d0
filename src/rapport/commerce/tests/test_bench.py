"""`rapport bench value` at a tiny scale: its output says what it leaves out and prints each baseline it has."""

from __future__ import annotations

import json
import re

import pytest

from rapport.commerce.bench import run

pytestmark = pytest.mark.django_db(transaction=True)


def test_bench_value_says_what_it_leaves_out_and_prints_its_baselines():
    lines: list[str] = []
    run(
        {
            "customers": 60,
            "lines": 400,
            "workspace": "bench-value-test",
            "seed": 5,
            "naive_sample": 10,
            "in_process": True,
        },
        lines.append,
    )
    text = "\n".join(lines)
    assert "`rapport purchases import FILE` run through call_command" in text and "left out:" in text
    assert re.search(r"^  baseline plain ORM insert .*: [\d.]+s = [\d,]+ lines/s", text, re.M), text
    assert re.search(r"^  previous importer .*lines/s", text, re.M), text
    assert re.search(r"^import: 400 lines .* lines/s", text, re.M), text
    assert re.search(r"^  baseline read \+ parse only, nothing written: [\d.]+s", text, re.M), text
    assert re.search(r"^  baseline pandas(: not run| \(read)", text, re.M), text
    assert re.search(r"^  baseline naive ORM loop .* ms per customer", text, re.M), text
    figures = json.loads(lines[-1])
    assert figures["lines"] == 400 and figures["read_parse_baseline_s"] >= 0


def test_bench_value_import_only_stops_after_the_import_figures():
    lines: list[str] = []
    run(
        {
            "customers": 30,
            "lines": 200,
            "workspace": "bench-value-test",
            "seed": 5,
            "naive_sample": 5,
            "in_process": True,
            "import_only": True,
        },
        lines.append,
    )
    figures = json.loads(lines[-1])
    assert figures["lines"] == 200 and "refit_s" not in figures and figures["plain_insert_baseline_s"] >= 0
    assert not any(line.startswith("refit") for line in lines)

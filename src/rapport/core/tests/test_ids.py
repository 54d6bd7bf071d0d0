"""Ids typed by people: ASCII digits within the database's id range, nothing else."""

import pytest

from rapport.core.ids import MAX_ID, parse_id


@pytest.mark.parametrize(("value", "expected"), [("42", 42), (" 7 ", 7), (str(MAX_ID), MAX_ID)])
def test_ids_within_range_parse(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize("value", [None, "", "0", "-1", "+1", "1.0", "abc", "²", "٣", "１", str(MAX_ID + 1), "9" * 40])
def test_anything_else_is_no_id(value):
    assert parse_id(value) is None

"""For any definition over a mix of fields, the one SQL query selects exactly the people a plain Python reading of
the definition selects (all/any/not, unknown values and missing value rows included)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.commerce.models import CustomerValue
from rapport.contacts.models import Person
from rapport.segments.services import matching

pytestmark = pytest.mark.django_db

PEOPLE = [
    # country, tags, stage, value row (orders, p_alive) or None
    ("SE", ["vip"], "lead", (3, 0.9)),
    ("SE", [], "customer", (1, None)),
    ("DK", ["vip", "baby"], "advocate", (0, 0.1)),
    ("DK", [], "lapsed", None),
    ("", ["baby"], "lead", (7, 0.5)),
    ("NO", [], "prospect", (2, 0.3)),
    ("", [], "lead", None),
]

condition = st.one_of(
    st.builds(
        lambda op, v: {"field": "purchases.count", "op": op, "value": v},
        st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte"]),
        st.integers(0, 8),
    ),
    st.builds(
        lambda op, v: {"field": "value.p_alive", "op": op, "value": v},
        st.sampled_from(["eq", "ne", "lt", "gte"]),
        st.sampled_from([0.1, 0.3, 0.5, 0.9]),
    ),
    st.builds(lambda v: {"field": "value.p_alive", "op": "exists", "value": v}, st.booleans()),
    st.builds(
        lambda op, v: {"field": "country", "op": op, "value": v},
        st.sampled_from(["eq", "ne"]),
        st.sampled_from(["SE", "DK", "NO"]),
    ),
    st.builds(lambda v: {"field": "country", "op": "exists", "value": v}, st.booleans()),
    st.builds(lambda v: {"field": "tags", "op": "contains", "value": v}, st.sampled_from(["vip", "baby", "none"])),
    st.builds(
        lambda v: {"field": "lifecycle_stage", "op": "in", "value": v},
        st.lists(st.sampled_from(["lead", "customer", "lapsed"]), min_size=1, max_size=2),
    ),
)
definitions = st.recursive(
    condition,
    lambda inner: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda x: {"not": x}, inner),
    ),
    max_leaves=6,
)

CMP = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
}


def holds(node, row) -> bool:
    country, tags, stage, value = row
    if "all" in node:
        return all(holds(n, row) for n in node["all"])
    if "any" in node:
        return any(holds(n, row) for n in node["any"])
    if "not" in node:
        return not holds(node["not"], row)
    field, op, v = node["field"], node["op"], node["value"]
    if field == "purchases.count":
        return CMP[op](value[0] if value else 0, v)
    if field == "value.p_alive":
        known = value[1] if value else None
        if op == "exists":
            return (known is not None) == v
        if op == "ne":
            return known is None or known != v
        return known is not None and CMP[op](known, v)
    if field == "country":
        if op == "exists":
            return (country != "") == v
        return CMP[op](country, v)
    if field == "tags":
        return v in tags
    return stage in v


@pytest.fixture
def people(workspace):
    out = []
    for i, (country, tags, stage, value) in enumerate(PEOPLE):
        p = Person.objects.create(
            workspace=workspace,
            first_name=f"P{i}",
            country=country,
            tags=tags,
            lifecycle_stage=stage,
            search_text=" " + " ".join(f"#{t}" for t in tags) + " ",
        )
        if value:
            CustomerValue.objects.create(workspace=workspace, person=p, orders=value[0], p_alive=value[1])
        out.append(p)
    return out


def test_sql_and_python_agree(workspace, people):
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(definitions)
    def check(definition):
        expected = {p.pk for p, row in zip(people, PEOPLE, strict=True) if holds(definition, row)}
        got = set(matching(workspace=workspace, definition=definition).values_list("pk", flat=True))
        assert got == expected, definition

    check()

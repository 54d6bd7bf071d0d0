"""Property test of the rule query parser: any text compiles to a predicate that never raises, or is a QueryError."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.listening.query import QueryError, compile_query, view_of

TOKENS = ["(", ")", "AND", "OR", "NOT", "-", '"', "acme", "#acme", "@acme", "lang:", "lang:en", "network:", "x*", "*"]
queries = st.one_of(
    st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=4)), max_size=30).map(" ".join),
    st.lists(st.sampled_from(TOKENS), max_size=200).map("".join),
    st.text(st.characters(exclude_categories=()), max_size=40),
)


@settings(max_examples=300, deadline=None)
@given(queries, st.text(max_size=40))
def test_any_query_text_compiles_or_is_a_query_error(query, text):
    try:
        predicate = compile_query(query)
    except QueryError:
        return
    assert predicate(view_of(text, language="en", network="twitter")) in (True, False)

"""The tracking-rule query language: operators, precedence, phrases, hashtags, mentions and filters."""

from __future__ import annotations

import pytest

from rapport.listening.query import QueryError, compile_query, view_of, views_of


def hits(query: str, text: str, *, language: str = "en", network: str = "twitter") -> bool:
    return compile_query(query)(view_of(text, language=language, network=network))


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("united", "Flying United today", True),
        ("united", "the United Nations met", True),
        ('united AND NOT "united nations"', "the United Nations met", False),
        ('united -"united nations"', "United lost my bag", True),
        ("guitar OR bass", "my bass is broken", True),
        ("guitar OR bass", "my drum is broken", False),
        ("united guitar", "united broke my guitar", True),  # juxtaposition is AND
        ("united guitar", "united broke my drum", False),
        ("(united OR delta) AND (bag OR luggage)", "Delta lost my luggage", True),
        ("(united OR delta) AND (bag OR luggage)", "Delta was late", False),
        ("united OR delta AND bag", "united was late", True),  # AND binds tighter than OR
        ("#unitedbreaksguitars", "Watch this #UnitedBreaksGuitars", True),
        ("#unitedbreaksguitars", "unitedbreaksguitars without the hash", False),
        ("unitedbreaksguitars", "Watch this #UnitedBreaksGuitars", True),  # a word also matches its hashtag
        ("@united", "hey @United where is my bag", True),
        ("@united", "hey United where is my bag", False),
        ('"lost my bag"', "They LOST my bag again!", True),
        ('"lost my bag"', "my bag was lost", False),
        ("guitar*", "two guitars broken", True),
        ("café", "Best CAFÉ in town", True),
    ],
)
def test_queries(query, text, expected):
    assert hits(query, text) is expected


def test_language_and_network_filters():
    assert hits("bag lang:da", "min bag er væk", language="da")
    assert not hits("bag lang:da", "my bag is gone", language="en")
    assert hits("bag network:facebook", "bag", network="facebook")
    assert not hits("bag network:facebook", "bag", network="twitter")
    assert hits("NOT lang:en", "hola", language="es")


@pytest.mark.parametrize(
    "query", ["", "   ", "(united", "united)", "united AND", "OR delta", '"open phrase', "NOT", "lang:", '""']
)
def test_invalid_queries_are_rejected(query):
    with pytest.raises(QueryError):
        compile_query(query)


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ('"refund"', "I want a #Refund now", True),  # a one-word phrase is the word, tags included
        ('"refund"', "refunds are slow", False),
        ('"e-mail"', "send me an E-mail", True),
        ("bag OR luggage OR #lost", "where is my #LOST case", True),
        ("bag OR luggage OR #lost", "lost my case", False),
        ("bag OR luggage OR guitar*", "two guitars", True),
        ("(bag OR luggage) -delta", "Delta lost my bag", False),
    ],
)
def test_word_sets_and_one_word_phrases(query, text, expected):
    assert hits(query, text) is expected


def test_views_of_a_batch_equal_one_view_at_a_time():
    texts = ["Flying United\ntoday", "Café CAFÉ ﬁne", "", "#Tag @Someone e-mail u.s. it’s", "ＦＵＬＬＷＩＤＴＨ"]
    views = views_of(texts, ["en"] * len(texts), ["twitter"] * len(texts))
    for text, view in zip(texts, views, strict=True):
        single = view_of(text, language="en", network="twitter")
        assert (view.words, view.padded, view.language, view.network) == (
            single.words,
            single.padded,
            single.language,
            single.network,
        )
    assert "fullwidth" in views[-1].words  # NFKC still applies to non-ASCII texts in a batch


def test_nesting_is_limited_with_a_clear_error():
    from rapport.listening.query import MAX_DEPTH, QueryError, compile_query, view_of

    ok = compile_query("(" * MAX_DEPTH + "acme" + ")" * MAX_DEPTH)
    assert ok(view_of("acme rocks"))
    assert compile_query("NOT " * 10 + "acme")(view_of("acme"))
    for deep in ["(" * 5000 + "a" + ")" * 5000, "NOT " * 5000 + "a", "-(" * 5000 + "a"]:
        with pytest.raises(QueryError, match=f"more than {MAX_DEPTH} deep"):
            compile_query(deep)

"""The batch word n-gram counter gives exactly the fitted TfidfVectorizer's features, so predictions are unchanged."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from rapport.listening.nlp import data, sentiment
from rapport.listening.nlp.textclean import normalise_batch
from rapport.listening.nlp.wordgrams import TOKEN_PATTERN, WordGramCounter

TRICKY = [
    "",
    "   ",
    "united flight delayed delayed again",  # a stop word between two tokens: the bigram skips it
    "don't stop believing\nnever stop",  # apostrophe inside a token; a line break inside a text
    "''quoted'' words'' and 'tis",  # leading and trailing apostrophes are not part of tokens
    "ΣΑΣ ΟΔΟΣ ΤΕΛΟΣ",  # final sigma when lower-casing
    "x a_b 12abc c3po ñandú",
    "unknownword another unknownword",
]


def _same(a, b) -> None:
    a, b = a.tocsr(), b.tocsr()
    a.sort_indices()
    b.sort_indices()
    assert a.shape == b.shape and a.dtype == b.dtype
    assert np.array_equal(a.indptr, b.indptr)
    assert np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)  # bit for bit, not approximately


def _fitted(**options) -> TfidfVectorizer:
    corpus = [
        "the flight was delayed again",
        "flight delayed, united lost my bag",
        "great flight, thanks for the great service",
        "don't stop believing, never stop",
        "lost my bag again and again",
        "ΣΑΣ οδος τελος οδος",
    ]
    vec = TfidfVectorizer(
        ngram_range=(1, 2),
        min_df=1,
        sublinear_tf=True,
        token_pattern=TOKEN_PATTERN,
        dtype=np.float32,
        stop_words=["united"],
        **options,
    )
    return vec.fit(corpus)


def test_small_vocabulary_matches_sklearn_exactly():
    vec = _fitted()
    assert WordGramCounter.supports(vec)
    docs = [*TRICKY, "the flight was delayed again", "lost my bag again and again and again"]
    _same(WordGramCounter(vec).transform([d.lower() for d in docs]), vec.transform([d.lower() for d in docs]))


def test_other_configurations_are_not_claimed():
    assert not WordGramCounter.supports(_fitted(binary=True))
    assert not WordGramCounter.supports(TfidfVectorizer(analyzer="char_wb").fit(["some text here"]))
    assert not WordGramCounter.supports(TfidfVectorizer(ngram_range=(1, 3)).fit(["some text here"]))


def test_airline_tweets_features_and_predictions_match_sklearn(trained_model):
    sentiment.reset_cache()
    bundle = sentiment._load_bundle()  # noqa: SLF001 - the loaded model is what the pipeline uses
    assert bundle is not None and bundle.get("word_counter") is not None
    texts, _ = data.airline_split("test")
    texts = texts + TRICKY
    norm = normalise_batch(texts)
    _same(bundle["word_counter"].transform(norm), bundle["word"].transform(norm))
    fast = sentiment.score_sentiment(texts, ["en"] * len(texts))
    bundle_without = {k: v for k, v in bundle.items() if k != "word_counter"}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sentiment, "_bundle", bundle_without)
        reference = sentiment.score_sentiment(texts, ["en"] * len(texts))
    assert fast == reference

"""Word unigram + bigram TF-IDF features of a fitted TfidfVectorizer, computed for a whole batch at once.

scikit-learn's transform runs its analyzer and a vocabulary dict lookup per n-gram in Python (~25 us a post).
Here the batch is tokenised with one regex pass, every token is mapped to an integer id with one C-level map,
and unigram and bigram features are found with numpy (bigrams as id pairs, looked up in a sorted array). The
counts matrix is the one the vectorizer would build, and the TF-IDF weighting is the vectorizer's own arithmetic,
so the features, and the predictions made from them, are identical.
"""

from __future__ import annotations

import re
from itertools import repeat
from typing import Any

import numpy as np
from scipy import sparse

from rapport.listening.nlp.textclean import join_lines

# The token pattern Rapport's sentiment vectorizer is fitted with; other vectorizers keep scikit-learn's path.
TOKEN_PATTERN = r"(?u)\b\w[\w']*\b"
_OOV, _STOP, _SEP = -1, -2, -3


class WordGramCounter:
    """Batch TF-IDF for a fitted word TfidfVectorizer with ngram_range (1, 2) and Rapport's token pattern."""

    def __init__(self, vectorizer: Any) -> None:
        vocab: dict[str, int] = vectorizer.vocabulary_
        words: dict[str, int] = {}
        for term in vocab:
            for w in term.split(" "):
                words.setdefault(w, len(words))
        self.n_features = len(vocab)
        self.n_words = len(words)
        self.unigram = np.full(max(len(words), 1), -1, dtype=np.int64)
        pairs: list[tuple[int, int]] = []
        for term, feature in vocab.items():
            parts = term.split(" ")
            if len(parts) == 1:
                self.unigram[words[term]] = feature
            else:
                pairs.append((words[parts[0]] * len(words) + words[parts[1]], feature))
        pairs.sort()
        self.bigram_codes = np.array([c for c, _ in pairs], dtype=np.int64)
        self.bigram_features = np.array([f for _, f in pairs], dtype=np.int64)
        self.lookup = dict(words)
        for w in vectorizer.get_stop_words() or ():
            self.lookup[w] = _STOP
        self.lookup["\n"] = _SEP
        # The token pattern never matches a line break, so "|\n" only adds a marker between texts. Its leading \b is
        # implied by scanning left to right (a match always takes a whole run of word characters), and without it
        # the regex engine can reject non-word positions at once.
        self.pattern = re.compile(r"\w[\w']*\b|\n")
        self.vectorizer = vectorizer

    @staticmethod
    def supports(vectorizer: Any) -> bool:
        """Whether the vectorizer is configured exactly as this counter reproduces (else use its transform)."""
        v = vectorizer
        return (
            getattr(v, "analyzer", None) == "word"
            and tuple(getattr(v, "ngram_range", ())) == (1, 2)
            and getattr(v, "token_pattern", None) == TOKEN_PATTERN
            and v.tokenizer is None
            and v.preprocessor is None
            and v.lowercase is True
            and v.strip_accents is None
            and v.input == "content"
            and not v.binary
            and hasattr(v, "vocabulary_")
            and all(" " not in w and "\n" not in w for w in (v.get_stop_words() or ()))
        )

    def counts(self, docs: list[str]) -> sparse.csr_matrix:
        """The n-gram count matrix the vectorizer's own analyzer and vocabulary would produce for docs."""
        n = len(docs)
        # Line breaks and spaces separate tokens alike under the token pattern; "\n" then only separates docs.
        text = join_lines(docs).lower()
        tokens = self.pattern.findall(text)
        ids = np.fromiter(map(self.lookup.get, tokens, repeat(_OOV)), dtype=np.int64, count=len(tokens))
        ids = ids[ids != _STOP]  # stop words go before n-grams are formed, as in scikit-learn
        sep = ids == _SEP
        row_of = np.cumsum(sep)
        tok, row = ids[~sep], row_of[~sep]
        known = tok >= 0
        uni = np.full(tok.size, -1, dtype=np.int64)
        uni[known] = self.unigram[tok[known]]
        has_uni = uni >= 0
        a, b = tok[:-1], tok[1:]
        pair = (row[:-1] == row[1:]) & (a >= 0) & (b >= 0)
        codes = a[pair] * self.n_words + b[pair]
        pair_rows = row[:-1][pair]
        bi_rows = np.empty(0, dtype=np.int64)
        bi_feats = np.empty(0, dtype=np.int64)
        if codes.size and self.bigram_codes.size:
            pos = np.minimum(np.searchsorted(self.bigram_codes, codes), self.bigram_codes.size - 1)
            hit = self.bigram_codes[pos] == codes
            bi_rows, bi_feats = pair_rows[hit], self.bigram_features[pos[hit]]
        rows = np.concatenate([row[has_uni], bi_rows])
        cols = np.concatenate([uni[has_uni], bi_feats])
        keys, counts = np.unique(rows * self.n_features + cols, return_counts=True)
        rows, cols = np.divmod(keys, self.n_features)
        indptr = np.searchsorted(rows, np.arange(n + 1))
        index_type = np.int32 if max(keys.size, self.n_features) < 2**31 else np.int64
        return sparse.csr_matrix(
            (counts.astype(self.vectorizer.dtype), cols.astype(index_type), indptr.astype(index_type)),
            shape=(n, self.n_features),
        )

    def transform(self, docs: list[str]) -> sparse.csr_matrix:
        """TF-IDF features equal to vectorizer.transform(docs), with the vectorizer's weighting steps."""
        from sklearn.preprocessing import normalize  # (imported here: scikit-learn is slow to import)

        v = self.vectorizer
        x = self.counts(docs)
        if v.sublinear_tf:
            np.log(x.data, x.data)
            x.data += 1.0
        if v.use_idf:
            x.data *= v.idf_[x.indices]
        if v.norm is not None:
            x = normalize(x, norm=v.norm, copy=False)
        return x

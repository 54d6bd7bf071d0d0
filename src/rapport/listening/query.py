"""Tracking-rule queries: a small boolean language compiled once into a fast predicate over a post's tokens.

Grammar (case-insensitive operators; juxtaposition means AND):
    query  := or
    or     := and ("OR" and)*
    and    := unary (["AND"] unary)*
    unary  := ("NOT" | "-") unary | "(" or ")" | term
    term   := "a phrase" | #hashtag | @mention | lang:xx | network:xx | word | prefix*
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from rapport.listening.nlp.textclean import join_lines

_TOKEN = re.compile(r'\s*(?:(\()|(\))|"([^"]*)"|([^\s()"]+))')
# "[#@]?" spelled as two alternatives, each starting with a plain character test (faster in the regex engine).
_WORD = re.compile(r"[#@][\w'’]+(?:[.\-]\w+)*|[\w'’]+(?:[.\-]\w+)*", re.UNICODE)


MAX_DEPTH = 50  # nested parentheses and NOTs; deeper queries are mistakes (or attacks) and would exhaust the stack


class QueryError(ValueError):
    """The query text is not valid; the message says where."""


class PostView:
    """What a rule sees of a post: its word set, its padded normalised text (built on first use), language, network."""

    __slots__ = ("_padded", "language", "network", "tokens", "words")

    def __init__(self, words: frozenset[str] | set[str], tokens: list[str], language: str, network: str) -> None:
        self.words = words
        self.tokens = tokens
        self.language = language
        self.network = network
        self._padded: str | None = None

    @property
    def padded(self) -> str:
        """The tokens without #/@, space-separated and space-padded, for phrase search (only phrases need it)."""
        if self._padded is None:
            self._padded = " " + " ".join(t.lstrip("#@") for t in self.tokens) + " "
        return self._padded


def normalise(text: str) -> str:
    """Case-folded, NFKC-normalised text for matching (accents are kept: they distinguish words)."""
    return unicodedata.normalize("NFKC", text or "").casefold().replace("’", "'")


def _view(norm: str, language: str, network: str) -> PostView:
    tokens = _WORD.findall(norm)
    words = set(tokens)
    if "#" in norm or "@" in norm:
        words.update(t[1:] for t in tokens if t[0] in "#@")  # a plain word query also matches its #/@ form
    return PostView(words, tokens, language, network)


def view_of(text: str, *, language: str = "", network: str = "") -> PostView:
    """Tokenise a post once so every rule can be evaluated against it cheaply."""
    return _view(normalise(text), language, network)


def views_of(texts: list[str], languages: list[str], networks: list[str]) -> list[PostView]:
    """view_of for a batch, normalised in one pass (NFKC and case folding never join or make line breaks)."""
    joined = join_lines(texts)
    if not joined.isascii():  # NFKC leaves ASCII unchanged, so only the other texts pay for it
        nfkc = unicodedata.normalize
        joined = "\n".join(t if t.isascii() else nfkc("NFKC", t) for t in joined.split("\n"))
    lines = joined.casefold().replace("’", "'").split("\n")  # case folding is one call for the batch
    if len(lines) != len(texts):  # pragma: no cover - defensive: fall back to one text at a time
        lines = [normalise(t) for t in texts]
    return [_view(line, lang, net) for line, lang, net in zip(lines, languages, networks, strict=True)]


Predicate = Callable[[PostView], bool]


class _AnyWord:
    """Predicate: the post has at least one of these words (a single word, or an OR of plain words)."""

    __slots__ = ("words",)

    def __init__(self, words: frozenset[str]) -> None:
        self.words = words

    def __call__(self, p: PostView) -> bool:
        return not self.words.isdisjoint(p.words)


def _term(raw: str, quoted: bool) -> Predicate:
    if quoted:
        words = [t.lstrip("#@") for t in _WORD.findall(normalise(raw))]
        if not words:
            raise QueryError("empty phrase")
        if len(words) == 1:  # a one-word phrase is that word: tokens hold no spaces, and words hold stripped tokens
            return _AnyWord(frozenset(words))
        needle = " " + " ".join(words) + " "
        return lambda p: needle in p.padded
    low = normalise(raw)
    if low.startswith("lang:") or low.startswith("language:"):
        code = low.split(":", 1)[1]
        if not code:
            raise QueryError(f"{raw!r}: language code missing")
        return lambda p: p.language == code
    if low.startswith("network:"):
        net = low.split(":", 1)[1]
        if not net:
            raise QueryError(f"{raw!r}: network name missing")
        return lambda p: p.network == net
    if low.endswith("*") and len(low) > 2:
        stem = low[:-1]
        return lambda p: any(w.startswith(stem) for w in p.words)
    parts = [t for t in _WORD.findall(low)]
    if not parts:
        raise QueryError(f"{raw!r} is not a word, #hashtag or @mention")
    if len(parts) > 1:  # e.g. "e-mail" or "u.s" split oddly: treat as a phrase
        needle = " " + " ".join(t.lstrip("#@") for t in parts) + " "
        return lambda p: needle in p.padded
    return _AnyWord(frozenset(parts))


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []  # (type, value): ( ) op term phrase
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise QueryError(f"unbalanced quote at position {pos + 1}")
            pos = m.end()
            if m.group(1):
                self.tokens.append(("(", "("))
            elif m.group(2):
                self.tokens.append((")", ")"))
            elif m.group(3) is not None:
                self.tokens.append(("phrase", m.group(3)))
            elif m.group(4):
                word = m.group(4)
                if word in ("AND", "OR", "NOT"):
                    self.tokens.append(("op", word))
                elif word == "-":  # -"a phrase" or -(a OR b)
                    self.tokens.append(("op", "NOT"))
                elif word.startswith("-") and len(word) > 1:
                    self.tokens.append(("op", "NOT"))
                    self.tokens.append(("term", word[1:]))
                else:
                    self.tokens.append(("term", word))
            # trailing whitespace only: nothing to add
        self.i = 0
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Predicate:
        if not self.tokens:
            raise QueryError("the query is empty")
        pred = self.or_()
        if self.peek() is not None:
            raise QueryError(f"unexpected {self.peek()[1]!r}")
        return pred

    def or_(self) -> Predicate:
        parts = [self.and_()]
        while self.peek() == ("op", "OR"):
            self.take()
            parts.append(self.and_())
        # Plain-word alternatives become one set test; the rest keep their order.
        words = [f for f in parts if isinstance(f, _AnyWord)]
        if len(words) > 1:
            merged = _AnyWord(frozenset().union(*(f.words for f in words)))
            parts = [merged, *(f for f in parts if not isinstance(f, _AnyWord))]
        if len(parts) == 1:
            return parts[0]
        return lambda p: any(f(p) for f in parts)

    def and_(self) -> Predicate:
        parts = [self.unary()]
        while True:
            nxt = self.peek()
            if nxt is None or nxt[0] == ")" or nxt == ("op", "OR"):
                break
            if nxt == ("op", "AND"):
                self.take()
            parts.append(self.unary())
        if len(parts) == 1:
            return parts[0]
        return lambda p: all(f(p) for f in parts)

    def unary(self) -> Predicate:
        tok = self.peek()
        if tok is None:
            raise QueryError("the query ends where a term was expected")
        kind, value = self.take()
        if (kind, value) == ("op", "NOT") or kind == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QueryError(f"the query nests parentheses and NOTs more than {MAX_DEPTH} deep")
            try:
                return self._nested(kind)
            finally:
                self.depth -= 1
        if kind == ")":
            raise QueryError("unexpected ')'")
        if kind == "op":
            raise QueryError(f"{value} needs a term before and after it")
        return _term(value, quoted=kind == "phrase")

    def _nested(self, kind: str) -> Predicate:
        if kind == "op":  # NOT
            inner = self.unary()
            return lambda p: not inner(p)
        inner = self.or_()
        if self.peek() is None or self.take()[0] != ")":
            raise QueryError("missing closing parenthesis")
        return inner


def compile_query(text: str) -> Predicate:
    """Parse a rule query into a predicate over PostView; raise QueryError naming the problem."""
    return _Parser(text).parse()

"""De-duplication: exact (network, external id) inside a batch, and near-duplicate cross-posts by text hash."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from rapport.listening.nlp.textclean import join_lines
from rapport.pipeline.sql import select_in

# "^" is per line: a batch is hashed as one "\n"-joined string whose lines are the texts (line breaks inside a
# text become spaces first, which changes no hash: both are whitespace, and whitespace runs become one space).
_NOISE = re.compile(r"https?://\S+|www\.\S+|^rt[^\S\n]+@\w+:?|[^\w\s]|_", re.UNICODE | re.MULTILINE)
MIN_WORDS = 5  # shorter texts ("thank you!") repeat innocently and are never flagged


_seen_chars: set[str] = set()
_marks: dict[int, None] = {}  # combining marks among the characters seen so far: str.translate deletes them


def _fold_accents(text: str) -> str:
    """NFKD without combining marks."""
    decomposed = unicodedata.normalize("NFKD", text)
    new = set(decomposed).difference(_seen_chars)
    if new:
        _marks.update((ord(c), None) for c in new if unicodedata.combining(c))
        _seen_chars.update(new)
    return decomposed.translate(_marks)


def text_hashes(texts: list[str]) -> list[str]:
    """text_hash of each text, with one case fold and one regex pass for the whole batch."""
    if not texts:
        return []
    folded = join_lines(texts).casefold()
    if not folded.isascii():  # most posts are ASCII: only the others pay for accent folding
        folded = "\n".join(t if t.isascii() else _fold_accents(t) for t in folded.split("\n"))
    out = []
    blake2b = hashlib.blake2b
    for line in _NOISE.sub(" ", folded).split("\n"):
        words = line.split()
        out.append(blake2b(" ".join(words).encode(), digest_size=8).hexdigest() if len(words) >= MIN_WORDS else "")
    return out


def text_hash(text: str) -> str:
    """A 16-hex-digit key equal for texts that differ only in case, links, punctuation, accents or 'RT @x:'."""
    return text_hashes([text])[0]


def split_exact(posts: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Keep the first of each (network, external_id) in the batch; return (unique posts, repeats dropped)."""
    seen: set[tuple[str, str]] = set()
    unique: list[dict[str, Any]] = []
    repeats = 0
    for post in posts:
        key = (post["network"], post["external_id"])
        if key in seen:
            repeats += 1
        else:
            seen.add(key)
            unique.append(post)
    return unique, repeats


def first_with_hash(*, model, workspace_id: int, hashes: set[str]) -> dict[str, int]:
    """The earliest stored post id for each text hash (before this batch is written)."""
    if not hashes:
        return {}
    sql = (
        f"SELECT text_hash, MIN(id) FROM {model._meta.db_table} "  # noqa: S608
        "WHERE workspace_id = %s AND text_hash IN ({in}) GROUP BY text_hash"
    )
    return dict(select_in(sql, [workspace_id], sorted(hashes)))


def flag_within_batch(*, model, stored: list[tuple[int, str]], known: dict[str, int]) -> int:
    """Among posts just stored whose hash was new, point repeats at the batch's first; return how many."""
    first: dict[str, int] = {}
    flagged = []
    for pk, h in sorted(stored):
        if not h or h in known:
            continue
        if h in first:
            flagged.append(model(pk=pk, near_duplicate_of_id=first[h]))
        else:
            first[h] = pk
    model.objects.bulk_update(flagged, ["near_duplicate_of"], batch_size=500)
    return len(flagged)

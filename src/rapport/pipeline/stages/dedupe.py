"""De-duplication: exact (network, external id) inside a batch, and near-duplicate cross-posts by text hash."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from rapport.pipeline.sql import select_in

_NOISE = re.compile(r"https?://\S+|www\.\S+|^rt\s+@\w+:?|[^\w\s]|_", re.UNICODE)
_SPACE = re.compile(r"\s+")
MIN_WORDS = 5  # shorter texts ("thank you!") repeat innocently and are never flagged


def text_hash(text: str) -> str:
    """A 16-hex-digit key equal for texts that differ only in case, links, punctuation, accents or 'RT @x:'."""
    folded = (text or "").casefold()
    if not folded.isascii():  # most posts are ASCII: only the others pay for accent folding
        folded = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    words = _SPACE.sub(" ", _NOISE.sub(" ", folded)).strip()
    if words.count(" ") + 1 < MIN_WORDS:
        return ""
    return hashlib.blake2b(words.encode(), digest_size=8).hexdigest()


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

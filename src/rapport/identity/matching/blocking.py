"""In-memory blocking index: finds the few contacts worth scoring for a new record.

Exact identifiers (social identity, email, phone, customer number) map straight to ids, so a post
whose author is already known is a dict lookup. Fuzzy blocks catch the rest: phonetic surname +
first initial (nickname-aware, also tried with first and last swapped), date of birth + initial,
postcode + surname prefix, and aliases (handles, email local parts, handles named in bios).
Blocks larger than max_block are too common to narrow anything down and are skipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from rapport.core.gcpause import gc_paused

from .nicknames import canonical_initials
from .normalise import NormalisedRecord, normalise_record


def exact_keys(r: NormalisedRecord) -> list[str]:
    """Keys of identifiers that link on their own."""
    keys = [f"i|{net}|{h}" for net, h in r.handles]
    keys += [f"x|{net}|{e}" for net, e in r.external_ids]
    if r.email:
        keys.append("e|" + r.email)
    if r.phone:
        keys.append("p|" + r.phone)
    if r.customer_number:
        keys.append("c|" + r.customer_number)
    return keys


def _dob_key(dob: tuple[int, int, int]) -> str:
    # Day and month sorted so a swapped day/month lands in the same block.
    y, m, d = dob
    return f"{y}{min(m, d):02d}{max(m, d):02d}"


def fuzzy_keys(r: NormalisedRecord, *, query: bool = False) -> list[str]:
    """Blocking keys for probabilistic candidates; query=True adds the swapped-name variants."""
    keys: list[str] = []
    initials = canonical_initials(r.first.split(" ", 1)[0]) if r.first else frozenset()
    if r.last_meta:
        keys += [f"n|{r.last_meta}|{i}" for i in initials] or [f"n|{r.last_meta}|"]
        if query and r.first_meta and r.last:
            keys.append(f"n|{r.first_meta}|{r.last[0]}")
    if r.last and r.first_meta:
        # Catches surname typos that change the phonetic code (Bartels/Barters).
        keys.append(f"k|{r.last[:3]}|{r.first_meta}")
    if r.dob:
        dk = _dob_key(r.dob)
        if r.last:
            keys.append(f"d|{dk}|{r.last[0]}")
        keys += [f"f|{dk}|{i}" for i in initials]
        if query and r.first and r.last:  # first and last name swapped
            keys += [f"d|{dk}|{r.first[0]}", f"f|{dk}|{r.last[0]}"]
    if r.postcode and r.last:
        keys.append(f"z|{r.postcode}|{r.last[:3]}")
    keys += ["a|" + a for a in r.aliases]
    if query or r.mentions:
        keys += ["a|" + m for m in r.mentions]
    return keys


class LazyRecords(dict):
    """id -> NormalisedRecord, normalising a stored raw record in full the first time it is needed."""

    def __missing__(self, key: Any) -> NormalisedRecord:
        raw = self.raw[key]
        rec = self[key] = normalise_record(raw)
        return rec

    def __init__(self) -> None:
        super().__init__()
        self.raw: dict[Any, Any] = {}

    def __contains__(self, key: object) -> bool:
        return key in self.raw

    def __len__(self) -> int:
        return len(self.raw)


class CandidateIndex:
    """Blocking index over records, keyed by record id; `records[id]` gives the normalised record."""

    def __init__(self, *, max_block: int = 400) -> None:
        self.records = LazyRecords()
        self.blocks: dict[str, list[Any]] = {}
        self.max_block = max_block

    def __len__(self) -> int:
        return len(self.records)

    def add(self, records: Iterable[Any]) -> None:
        """Normalise and index records (dicts, dataclasses or NormalisedRecord)."""
        blocks, raw, full = self.blocks, self.records.raw, self.records
        with gc_paused():
            for rec in records:
                if isinstance(rec, NormalisedRecord):
                    r = full[rec.id] = rec
                else:
                    # Only the blocking keys now; the full normalisation happens when a record is scored.
                    r = normalise_record(rec, keys_only=True)
                    full.pop(r.id, None)
                rid = r.id
                raw[rid] = rec
                for key in exact_keys(r):
                    blocks.setdefault(key, []).append(rid)
                for key in fuzzy_keys(r):
                    blocks.setdefault(key, []).append(rid)

    def lookup_identity(self, network: str, handle: str) -> list[Any]:
        """Ids with this social identity (the fast path for posts by known authors)."""
        return self.blocks.get(f"i|{network.lower()}|{handle.strip().lower().lstrip('@')}", [])

    def exact(self, record: Any) -> list[Any]:
        """Ids sharing any exact identifier with the record."""
        r = normalise_record(record)
        out: list[Any] = []
        for key in exact_keys(r):
            for cid in self.blocks.get(key, ()):
                if cid != r.id and cid not in out:
                    out.append(cid)
        return out

    def candidates(self, record: Any, limit: int = 20) -> list[Any]:
        """Candidate ids for a record, most shared blocking keys first."""
        r = normalise_record(record)
        counts: Counter[Any] = Counter()
        blocks, cap = self.blocks, self.max_block
        for key in exact_keys(r):
            ids = blocks.get(key)
            if ids:
                counts.update(dict.fromkeys(ids, 4))  # exact identifiers outrank any fuzzy block
        for key in fuzzy_keys(r, query=True):
            ids = blocks.get(key)
            if ids and len(ids) <= cap:
                counts.update(ids)
        counts.pop(r.id, None)
        return [cid for cid, _ in counts.most_common(limit)]

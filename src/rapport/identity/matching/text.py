"""Name folding and phonetic codes shared by normalisation, nicknames and blocking."""

from __future__ import annotations

import re
from functools import lru_cache

import jellyfish
from unidecode import unidecode

_NON_NAME = re.compile(r"[^a-z ]+")
_SPACES = re.compile(r"\s+")
# Collapsing these makes Müller/Mueller, Sørensen/Soerensen and Åse/Aase fold alike once unidecode has run.
DIGRAPHS = (("aa", "a"), ("ae", "a"), ("oe", "o"), ("ue", "u"))


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Lowercase, transliterate and collapse digraphs so spelling variants of one name compare equal."""
    s = unidecode(text.strip().lower()).lower().replace("-", " ").replace("'", "")
    s = _NON_NAME.sub(" ", s)
    for a, b in DIGRAPHS:
        if a in s:
            s = s.replace(a, b)
    return _SPACES.sub(" ", s).strip()


@lru_cache(maxsize=200_000)
def metaphone(folded: str) -> str:
    """Phonetic code of the first token of a folded name (used for blocking)."""
    token = folded.split(" ", 1)[0]
    return jellyfish.metaphone(token) if token else ""

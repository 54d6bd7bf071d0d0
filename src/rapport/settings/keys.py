"""How guessable a configured secret key is: short, well-known, repetitive or sequential keys are refused."""

from __future__ import annotations

import math
from collections import Counter

MIN_LENGTH = 32
MIN_BITS = 80  # estimated from the key's own character frequencies; random 32-character hex keys give 100-125
_WEAK_KEYS = {"", "changeme", "secret", "django-insecure", "insecure"}


def weak_key_reason(key: str) -> str | None:
    """Why the key is too weak to sign sessions and tokens, or None when it looks random enough."""
    if key.lower() in _WEAK_KEYS or key.lower().startswith("django-insecure"):
        return "it is a well-known default"
    if len(key) < MIN_LENGTH:
        return f"it has {len(key)} characters; use at least {MIN_LENGTH} random ones"
    if len(set(key)) < 8:
        return "it uses fewer than 8 different characters"
    for period in range(1, len(key) // 2 + 1):
        if all(key[i] == key[i % period] for i in range(len(key))):
            return f"it repeats a pattern of {period} characters"
    pairs = len(key) - 1
    if len({key[i : i + 2] for i in range(pairs)}) < pairs * 0.6:
        return "it repeats the same runs of characters"
    if sum(1 for a, b in zip(key, key[1:], strict=False) if abs(ord(a) - ord(b)) == 1) > pairs * 0.6:
        return "it is mostly a sequence (abcd..., 1234...)"
    counts = Counter(key)
    bits = -sum(n * math.log2(n / len(key)) for n in counts.values())
    if bits < MIN_BITS:
        return f"it holds about {bits:.0f} bits of randomness; at least {MIN_BITS} are needed"
    return None

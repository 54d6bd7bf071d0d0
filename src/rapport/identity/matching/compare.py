"""Field-by-field comparison of two normalised records into discrete agreement levels.

Each comparator returns one level name; the matcher turns (field, level) into a weight. Missing or
placeholder values on either side always give "missing", so garbage never counts as agreement.
"""

from __future__ import annotations

from rapidfuzz.distance import JaroWinkler, Levenshtein
from rapidfuzz.fuzz import token_set_ratio, token_sort_ratio

from .normalise import NormalisedRecord

FIELDS = (
    "first_name",
    "last_name",
    "full_name",
    "email",
    "alias_name",
    "phone",
    "date_of_birth",
    "street",
    "city",
    "postcode",
    "country",
    "organisation",
    "customer_number",
    "social",
    "corroboration",
)
LEVELS = {
    "first_name": ("exact", "nickname", "initial", "fuzzy", "swapped", "disagree", "missing"),
    "last_name": ("exact", "fuzzy", "swapped", "disagree", "missing"),
    "full_name": ("both_exact", "exact_and_close", "both_close", "one_disagrees", "missing"),
    "email": ("exact", "same_local", "fuzzy", "disagree", "missing"),
    "alias_name": ("full", "partial", "none", "missing"),
    "phone": ("exact", "same_tail", "disagree", "missing"),
    "date_of_birth": ("exact", "swapped_day_month", "near", "disagree", "missing"),
    "street": ("exact", "fuzzy", "disagree", "missing"),
    "city": ("exact", "fuzzy", "disagree", "missing"),
    "postcode": ("exact", "partial", "disagree", "missing"),
    "country": ("exact", "disagree", "missing"),
    "organisation": ("exact", "fuzzy", "disagree", "missing"),
    "customer_number": ("exact", "disagree", "missing"),
    "social": ("same_identity", "bio_link", "same_handle", "none", "missing"),
    "corroboration": ("name_and_2_more", "name_and_1_more", "name_only", "missing"),
}
# Evidence beyond the name; a name shared with one more independent fact is far stronger than either alone.
_CORROBORATING = {
    "street": ("exact", "fuzzy"),
    "postcode": ("exact",),
    "date_of_birth": ("exact", "swapped_day_month"),
    "phone": ("exact", "same_tail"),
    "email": ("exact", "same_local", "fuzzy"),
    "organisation": ("exact", "fuzzy"),
    "social": ("bio_link", "same_handle"),
}
FUZZY_NAME = 0.88


def _first(a: str | None, b: str | None, ga: frozenset[int], gb: frozenset[int]) -> str:
    if not a or not b:
        return "missing"
    if a == b:
        return "exact"
    if ga & gb:
        return "nickname"
    a0, b0 = a.split(" ", 1)[0], b.split(" ", 1)[0]
    if a0 == b0:
        return "fuzzy"  # "Anna Maria" vs "Anna"
    if (len(a0) == 1 and b0[0] == a0) or (len(b0) == 1 and a0[0] == b0):
        return "initial"
    return "fuzzy" if JaroWinkler.similarity(a, b) >= FUZZY_NAME else "disagree"


def _last(a: str | None, b: str | None, meta_a: str, meta_b: str) -> str:
    if not a or not b:
        return "missing"
    if a == b:
        return "exact"
    if JaroWinkler.similarity(a, b) >= FUZZY_NAME or (len(meta_a) >= 3 and meta_a == meta_b):
        return "fuzzy"
    ta, tb = set(a.split()), set(b.split())
    return "fuzzy" if (len(ta) > 1 or len(tb) > 1) and ta & tb else "disagree"  # double-barrelled surnames


def _email(a: NormalisedRecord, b: NormalisedRecord) -> str:
    if not a.email or not b.email:
        return "missing"
    if a.email == b.email:
        return "exact"
    if a.email_local == b.email_local and len(a.email_local or "") >= 5:
        return "same_local"
    return "fuzzy" if Levenshtein.distance(a.email, b.email, score_cutoff=2) <= 1 else "disagree"


def _alias_vs_name(aliases: tuple[str, ...], first: str | None, last: str | None) -> str:
    if not aliases or not last:
        return "missing"
    last_c = last.replace(" ", "")
    first_c = (first or "").replace(" ", "")
    best = "none"
    for letters in aliases:
        if len(last_c) >= 3 and last_c in letters:
            if first_c and (first_c in letters or letters.startswith(first_c[0]) or letters.endswith(first_c[0])):
                return "full"
            best = "partial"
    return best


def _alias_name(a: NormalisedRecord, b: NormalisedRecord) -> str:
    ab = _alias_vs_name(a.alias_letters, b.first, b.last)
    if ab == "full":
        return ab
    ba = _alias_vs_name(b.alias_letters, a.first, a.last)
    if ba == "full":
        return ba
    if "partial" in (ab, ba):
        return "partial"
    return "none" if "none" in (ab, ba) else "missing"


def _phone(a: str | None, b: str | None) -> str:
    if not a or not b:
        return "missing"
    if a == b:
        return "exact"
    return "same_tail" if a[-8:] == b[-8:] else "disagree"


def _dob(a: tuple[int, int, int] | None, b: tuple[int, int, int] | None) -> str:
    if not a or not b:
        return "missing"
    if a == b:
        return "exact"
    if a[0] == b[0] and a[1] == b[2] and a[2] == b[1]:
        return "swapped_day_month"
    same = (a[0] == b[0]) + (a[1] == b[1]) + (a[2] == b[2])
    if same == 2 and (a[0] == b[0] or abs(a[0] - b[0]) <= 1 or str(a[0])[:3] == str(b[0])[:3]):
        return "near"  # one part mistyped
    return "disagree"


def _text(a: str | None, b: str | None, cutoff: float = 85.0, sort: bool = True) -> str:
    if not a or not b:
        return "missing"
    if a == b:
        return "exact"
    ratio = token_sort_ratio(a, b) if sort else token_set_ratio(a, b)
    return "fuzzy" if ratio >= cutoff else "disagree"


def _postcode(a: str | None, b: str | None) -> str:
    if not a or not b:
        return "missing"
    if a == b:
        return "exact"
    return "partial" if len(a) >= 4 and a[:3] == b[:3] else "disagree"


def _social(a: NormalisedRecord, b: NormalisedRecord) -> str:
    if (a.handles and a.handles & b.handles) or (a.external_ids and a.external_ids & b.external_ids):
        return "same_identity"
    if (a.mentions and a.mentions & b.aliases) or (b.mentions and b.mentions & a.aliases):
        return "bio_link"
    if not (a.handles or a.mentions) or not (b.handles or b.mentions):
        return "missing"
    bare_a = {h for _, h in a.handles}
    bare_b = {h for _, h in b.handles}
    return "same_handle" if bare_a & bare_b else "none"


_CLOSE = frozenset({"nickname", "initial", "fuzzy", "swapped"})


def _full_name(first: str, last: str) -> str:
    # The name as a whole: agreement on both parts is stronger evidence than the two parts added up.
    if first == "missing" or last == "missing":
        return "missing"
    if first == "disagree" or last == "disagree":
        return "one_disagrees"
    if first == "exact" and last == "exact":
        return "both_exact"
    return "exact_and_close" if "exact" in (first, last) else "both_close"


def compare(a: NormalisedRecord, b: NormalisedRecord) -> dict[str, str]:
    """Agreement level of every field for a pair of normalised records."""
    first = _first(a.first, b.first, a.first_groups, b.first_groups)
    last = _last(a.last, b.last, a.last_meta, b.last_meta)
    if first in ("disagree", "fuzzy") and last in ("disagree", "fuzzy") and a.first and a.last:
        # Swapped first/last name, as when a form or a import mixes up the columns.
        swap_first = _first(a.first, b.last, a.first_groups, frozenset())
        swap_last = _last(a.last, b.first, a.last_meta, b.first_meta)
        if swap_first in ("exact", "fuzzy") and swap_last in ("exact", "fuzzy"):
            first = last = "swapped"
    levels = {
        "first_name": first,
        "last_name": last,
        "full_name": _full_name(first, last),
        "email": _email(a, b),
        "alias_name": _alias_name(a, b),
        "phone": _phone(a.phone, b.phone),
        "date_of_birth": _dob(a.dob, b.dob),
        "street": _text(a.street, b.street),
        "city": "missing"
        if not a.city or not b.city
        else "exact"
        if a.city == b.city
        else ("fuzzy" if JaroWinkler.similarity(a.city, b.city) >= 0.9 else "disagree"),
        "postcode": _postcode(a.postcode, b.postcode),
        "country": "missing" if not a.country or not b.country else "exact" if a.country == b.country else "disagree",
        "organisation": _text(a.organisation, b.organisation, sort=False),
        "customer_number": "missing"
        if not a.customer_number or not b.customer_number
        else ("exact" if a.customer_number == b.customer_number else "disagree"),
        "social": _social(a, b),
    }
    levels["corroboration"] = _corroboration(levels)
    return levels


def _corroboration(levels: dict[str, str]) -> str:
    if levels["full_name"] not in ("both_exact", "exact_and_close", "both_close"):
        return "missing"
    n = sum(1 for f, ok in _CORROBORATING.items() if levels[f] in ok)
    if levels["street"] in ("exact", "fuzzy") and levels["postcode"] == "exact":
        n -= 1  # one address, counted once
    return "name_and_2_more" if n >= 2 else "name_and_1_more" if n == 1 else "name_only"


def deterministic_key(a: NormalisedRecord, b: NormalisedRecord, levels: dict[str, str]) -> str | None:
    """Name of the exact identifier that links the pair on its own, or None.

    Social identities and customer numbers are personal. An email or phone can be shared by a
    household, so they link on their own only when the first names do not clearly disagree.
    """
    if levels["social"] == "same_identity":
        return "social"
    if levels["customer_number"] == "exact":
        return "customer_number"
    if levels["first_name"] == "disagree":
        return None
    if levels["email"] == "exact":
        return "email"
    if levels["phone"] == "exact":
        return "phone"
    return None

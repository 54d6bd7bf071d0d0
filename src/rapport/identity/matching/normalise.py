"""Normalisation of plain contact records into comparison-ready form.

Emails: lowercased and trimmed; a "+tag" is dropped for every provider (sub-addressing is a
delivery detail, not a different person) and dots are dropped only for gmail.com/googlemail.com,
the one large provider that documents ignoring them. Phones: E.164 via libphonenumber, with the
default region taken from the record's country, else the caller's default. Names are folded:
lowercased, transliterated (unidecode) and with the German/Nordic digraphs collapsed so that
Sørensen, Sorensen and Soerensen, or Müller and Mueller, or Åse and Aase, fold to one form.
Empty and placeholder values ("n/a", "test", "noreply@", "123456", ...) become None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from functools import lru_cache
from typing import Any

import phonenumbers
from unidecode import unidecode

from .identifiers import extract_mentions, handle_from_url, normalise_handle
from .nicknames import nickname_groups
from .text import DIGRAPHS, fold, metaphone
from .vocab import (
    COUNTRY_NAMES,
    GMAIL_DOMAINS,
    JUNK_EMAIL_DOMAINS,
    JUNK_EMAIL_LOCALS,
    JUNK_VALUES,
    STREET_ABBREVIATIONS,
)

_NON_ALNUM = re.compile(r"[^a-z0-9 ]+")
_NON_LETTER = re.compile(r"[\W\d_]+")
_NON_DIGIT = re.compile(r"\D+")
_EMPTY: frozenset = frozenset()
_PUNCT = str.maketrans("", "", " \t-./")
_SEQUENCES = "0123456789012345678909876543210"


@dataclass(slots=True)
class NormalisedRecord:
    """A contact record folded into the forms the comparators and the index use."""

    id: Any
    first: str | None = None
    last: str | None = None
    first_meta: str = ""
    last_meta: str = ""
    first_groups: frozenset[int] = frozenset()
    email: str | None = None
    email_local: str | None = None
    phone: str | None = None
    dob: tuple[int, int, int] | None = None
    street: str | None = None
    city: str | None = None
    postcode: str | None = None
    country: str | None = None
    organisation: str | None = None
    customer_number: str | None = None
    handles: frozenset[tuple[str, str]] = frozenset()
    external_ids: frozenset[tuple[str, str]] = frozenset()
    aliases: frozenset[str] = frozenset()
    mentions: frozenset[str] = frozenset()
    alias_letters: tuple[str, ...] = ()


RECORD_FIELDS = (
    "id",
    "external_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "organisation",
    "job_title",
    "street",
    "city",
    "postcode",
    "region",
    "country",
    "date_of_birth",
    "customer_number",
    "identities",
    "bio",
)


def is_junk(value: str | None) -> bool:
    """True for empty or placeholder values that must never match anything."""
    if value is None:
        return True
    v = value.strip().lower()
    if not v or v in JUNK_VALUES:
        return True
    if len(v) > 12 and not v.isdigit():
        return False  # long free text is never a placeholder; skips the slower checks below
    compact = v.translate(_PUNCT)
    # Short runs like 123456 are typed placeholders; longer ones may be real (if unlikely) numbers.
    return not compact or len(set(compact)) == 1 or (compact.isdigit() and len(compact) <= 7 and compact in _SEQUENCES)


@lru_cache(maxsize=200_000)
def normalise_name(value: str | None) -> str | None:
    """Folded name or None when empty/placeholder."""
    if value is None:
        return None
    folded = fold(value)
    if len(folded) == 1:
        return folded  # an initial ("C.") is information, not a placeholder
    if is_junk(value):
        return None
    return folded if len(folded) >= 1 and folded not in JUNK_VALUES else None


def normalise_email(value: str | None) -> str | None:
    """Canonical email (lowercase, trimmed, +tag dropped, gmail dots dropped) or None for junk."""
    if not value:
        return None
    v = value.strip().lower()
    if v.startswith("mailto:"):
        v = v[7:]
    if v.count("@") != 1:
        return None
    local, domain = v.split("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    if not local or "." not in domain or domain in JUNK_EMAIL_DOMAINS:
        return None
    if local in JUNK_EMAIL_LOCALS or is_junk(local):
        return None
    return f"{local}@{domain}"


@lru_cache(maxsize=1024)
def country_code(value: str | None) -> str | None:
    """ISO-2 code from an ISO-2 code or a common country name."""
    if not value or is_junk(value):
        return None
    v = value.strip()
    if len(v) == 2 and v.isalpha():
        return v.upper()
    return COUNTRY_NAMES.get(unidecode(v).lower())


def normalise_phone(value: str | None, region: str | None = None) -> str | None:
    """E.164 form of a phone number, or None when unparseable or a placeholder."""
    if not value:
        return None
    v = value.strip()
    digits = _NON_DIGIT.sub("", v)
    if len(digits) < 6 or is_junk(digits) or len(set(digits[-7:])) == 1 or digits[-9:] in _SEQUENCES:
        return None
    if v.startswith("+") and len(digits) >= 8 and v[1:] == digits:
        return v  # already stored in E.164 form (the database keeps normalised values)
    try:
        num = phonenumbers.parse(v, region or "GB")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(num):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def normalise_customer_number(value: str | None) -> str | None:
    """Customer/loyalty number without spaces and dashes, or None for placeholders."""
    if not value:
        return None
    v = str(value).translate(_PUNCT).upper()
    return None if len(v) < 3 or is_junk(v) else v


def parse_dob(value: str | None) -> tuple[int, int, int] | None:
    """(year, month, day) from an ISO date, None for placeholders like 1900-01-01."""
    if not value:
        return None
    m = re.match(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})", str(value))
    if not m:
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1900 < y < 2030 and 1 <= mo <= 12 and 1 <= d <= 31) or (mo, d) == (1, 1) and y in (1901, 1970):
        return None
    return (y, mo, d)


@lru_cache(maxsize=200_000)
def normalise_street(value: str) -> str | None:
    """Folded street with common abbreviations expanded."""
    s = _NON_ALNUM.sub(" ", unidecode(value.lower()).lower())
    tokens = [STREET_ABBREVIATIONS.get(t, t) for t in s.split()]
    out = " ".join(tokens)
    for a, b in DIGRAPHS:
        out = out.replace(a, b)
    return out or None


def _text(value: Any) -> str | None:
    if not value:
        return None
    s = str(value).strip()
    return None if is_junk(s) else s


@lru_cache(maxsize=100_000)
def _letters(alias: str) -> str:
    return _NON_LETTER.sub("", alias)


def _get(rec: Any, name: str) -> Any:
    return rec.get(name) if type(rec) is dict or isinstance(rec, Mapping) else getattr(rec, name, None)


def normalise_record(rec: Any, *, default_region: str | None = None, keys_only: bool = False) -> NormalisedRecord:
    """Normalise a dict/dataclass contact record (see package docs for the fields).

    keys_only=True fills only what blocking needs (names, identifiers, date of birth, postcode);
    the index uses it to build fast and normalises the few records it must score in full.
    """
    if isinstance(rec, NormalisedRecord):
        return rec
    if type(rec) is not dict:
        if is_dataclass(rec) and not isinstance(rec, type):
            rec = {f.name: getattr(rec, f.name) for f in fields(rec)}
        elif isinstance(rec, Mapping):
            rec = dict(rec)
        else:
            rec = {name: getattr(rec, name, None) for name in RECORD_FIELDS}
    get = rec.get
    first, last = normalise_name(get("first_name")), normalise_name(get("last_name"))
    country = country_code(get("country"))
    email = normalise_email(get("email"))
    handles: set[tuple[str, str]] = set()
    ext_ids: set[tuple[str, str]] = set()
    aliases: set[str] = {email.split("@", 1)[0]} if email else set()
    for ident in get("identities") or ():
        net = (_get(ident, "network") or "").strip().lower()
        handle = normalise_handle(_get(ident, "handle"))
        if not handle and _get(ident, "profile_url"):
            found = handle_from_url(_get(ident, "profile_url"))
            net, handle = found if found else (net, None)
        if net and handle:
            handles.add((net, handle))
            aliases.add(handle.split("@", 1)[0])
        ext = _text(_get(ident, "external_id"))
        if net and ext:
            ext_ids.add((net, ext))
    bio = get("bio")
    mentions = frozenset(extract_mentions(bio)) if bio else _EMPTY
    aliases = {a for a in aliases if len(a) >= 4 and not is_junk(a)}
    postcode = _text(get("postcode"))
    if keys_only:
        street = city = org = None
    else:
        street, city, org = _text(get("street")), _text(get("city")), _text(get("organisation"))
    return NormalisedRecord(
        id=get("id"),
        first=first,
        last=last,
        first_meta=metaphone(first) if first else "",
        last_meta=metaphone(last) if last else "",
        first_groups=nickname_groups(first.split(" ", 1)[0]) if first else frozenset(),
        email=email,
        email_local=email.split("@", 1)[0] if email else None,
        phone=normalise_phone(get("phone"), country or default_region),
        dob=parse_dob(get("date_of_birth")),
        street=normalise_street(street) if street else None,
        city=fold(city) or None if city else None,
        postcode=postcode.upper().replace(" ", "") if postcode else None,
        country=country,
        organisation=normalise_street(org) if org else None,
        customer_number=normalise_customer_number(get("customer_number")),
        handles=frozenset(handles) if handles else _EMPTY,
        external_ids=frozenset(ext_ids) if ext_ids else _EMPTY,
        aliases=frozenset(aliases) if aliases else _EMPTY,
        mentions=mentions,
        alias_letters=() if keys_only else tuple(_letters(a) for a in aliases),
    )

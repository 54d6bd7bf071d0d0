"""Labelled evaluation pairs generated with Faker across Rapport's locales, rich in hard cases.

Positives are one person seen twice with realistic damage (typos, nicknames, transliterations,
swapped names, missing fields, a new email or address, a social profile whose bio points at a known
handle). Negatives are the cases that fool matchers: family members at one address, people sharing
a common name, look-alike names, and records full of placeholder values.
"""

from __future__ import annotations

import random
from typing import Any

from faker import Faker

from .nicknames import NICKNAME_GROUPS_TEXT
from .normalise import normalise_email

LOCALES = ("en_GB", "en_US", "da_DK", "sv_SE", "no_NO", "de_DE", "nl_NL", "fr_FR", "es_ES")  # nb_NO is no_NO in Faker
COUNTRY = {
    "en_GB": "GB",
    "en_US": "US",
    "da_DK": "DK",
    "sv_SE": "SE",
    "no_NO": "NO",
    "de_DE": "DE",
    "nl_NL": "NL",
    "fr_FR": "FR",
    "es_ES": "ES",
}
COMMON_NAMES = {
    "en_GB": [("John", "Smith"), ("Sarah", "Jones")],
    "en_US": [("John", "Smith"), ("Mary", "Johnson")],
    "da_DK": [("Anna", "Jensen"), ("Lars", "Nielsen")],
    "sv_SE": [("Anna", "Andersson"), ("Erik", "Johansson")],
    "no_NO": [("Ole", "Hansen"), ("Anne", "Olsen")],
    "de_DE": [("Thomas", "Müller"), ("Anna", "Schmidt")],
    "nl_NL": [("Jan", "de Vries"), ("Anna", "Jansen")],
    "fr_FR": [("Marie", "Martin"), ("Pierre", "Bernard")],
    "es_ES": [("María", "García"), ("José", "Fernández")],
}
TRANSLIT = {
    "ø": "oe",
    "ö": "oe",
    "ü": "ue",
    "ä": "ae",
    "å": "aa",
    "æ": "ae",
    "é": "e",
    "è": "e",
    "á": "a",
    "í": "i",
    "ó": "o",
    "ú": "u",
    "ñ": "n",
    "ß": "ss",
    "Ø": "Oe",
    "Ö": "Oe",
    "Ü": "Ue",
    "Å": "Aa",
    "Ä": "Ae",
}
JUNK = ["n/a", "test", "-", "unknown", "none", "x", "?"]
NICK_LINES = [ln.split() for ln in NICKNAME_GROUPS_TEXT.splitlines() if ln.strip()]


class PairGenerator:
    """Deterministic (seeded) generator of contact records and labelled pairs."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fakers = {loc: Faker(loc) for loc in LOCALES}
        for i, f in enumerate(self.fakers.values()):
            f.seed_instance(seed * 100 + i)
        self.next_id = 1
        self.used: set[str] = set()  # emails and handles are unique per person, as on the real services

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def person(self, locale: str | None = None, first: str | None = None, last: str | None = None) -> dict[str, Any]:
        """One synthetic contact; fields are present with realistic, CRM-like sparsity."""
        rng = self.rng
        loc = locale or rng.choice(LOCALES)
        f = self.fakers[loc]
        first = first or f.first_name()
        last = last or f.last_name()
        rec: dict[str, Any] = {
            "id": self._id(),
            "first_name": first,
            "last_name": last,
            "country": COUNTRY[loc],
            "_locale": loc,
        }
        if rng.random() < 0.75:
            rec["email"] = self._email(first, last, f)
        if rng.random() < 0.6:
            rec["phone"] = f.phone_number()
        if rng.random() < 0.55:
            rec["street"], rec["city"], rec["postcode"] = f.street_address(), f.city(), f.postcode()
        elif rng.random() < 0.4:
            rec["city"] = f.city()
        if rng.random() < 0.5:
            rec["date_of_birth"] = f.date_of_birth(minimum_age=16, maximum_age=90).isoformat()
        if rng.random() < 0.3:
            rec["organisation"] = f.company()
        if rng.random() < 0.3:
            rec["customer_number"] = str(rng.randrange(10**7, 10**10))
        if rng.random() < 0.35:
            net = rng.choice(("twitter", "instagram", "facebook", "mastodon", "bluesky"))
            rec["identities"] = [{"network": net, "handle": self._handle(first, last)}]
        return rec

    def _email(self, first: str, last: str, f: Faker) -> str:
        rng = self.rng
        fn, ln = _ascii(first).lower().replace(" ", ""), _ascii(last).lower().replace(" ", "")
        local = rng.choice(
            [
                f"{fn}.{ln}",
                f"{fn}{ln}",
                f"{fn[0]}.{ln}",
                f"{fn[0]}{ln}",
                f"{fn}{rng.randint(1, 99)}",
                f"{ln}.{fn}",
                f.user_name(),
            ]
        )
        domain = rng.choice(["gmail.com", "hotmail.com", "outlook.com", "yahoo.com", f.free_email_domain()])
        return self._unique(f"{local}@{domain}")

    def _unique(self, value: str) -> str:
        # Compared after normalisation: j.smith@gmail.com and jsmith@gmail.com are one mailbox.
        while normalise_email(value) in self.used or value in self.used:
            local, _, domain = value.partition("@")
            value = f"{local}{self.rng.randint(1, 999)}" + (f"@{domain}" if domain else "")
        self.used.add(normalise_email(value) or value)
        return value

    def _handle(self, first: str, last: str) -> str:
        fn, ln = _ascii(first).lower().replace(" ", ""), _ascii(last).lower().replace(" ", "")
        return self._unique(
            self.rng.choice(
                [
                    f"{fn}{ln}",
                    f"{fn}_{ln}{self.rng.randint(1, 99)}",
                    f"{fn[0]}{ln}",
                    f"{fn}{self.rng.randint(10, 9999)}",
                ]
            )
        )

    def variant(self, rec: dict[str, Any]) -> dict[str, Any]:
        """The same person as recorded elsewhere: 1-3 kinds of damage, some fields lost, some changed."""
        rng = self.rng
        v = {k: (list(val) if isinstance(val, list) else val) for k, val in rec.items()}
        v["id"] = self._id()
        damages = rng.sample(
            [
                "typo_first",
                "typo_last",
                "nickname",
                "translit",
                "swap",
                "drop",
                "drop",
                "new_email",
                "moved",
                "phone_format",
                "dob_swap",
                "social_profile",
                "case",
                "drop_email",
            ],
            k=rng.randint(1, 3),
        )
        for d in damages:
            if d == "typo_first":
                v["first_name"] = _typo(v["first_name"], rng)
            elif d == "typo_last":
                v["last_name"] = _typo(v["last_name"], rng)
            elif d == "nickname":
                v["first_name"] = _nickname(v["first_name"], rng)
            elif d == "translit":
                v["first_name"], v["last_name"] = _translit(v["first_name"]), _translit(v["last_name"])
            elif d == "swap":
                v["first_name"], v["last_name"] = v["last_name"], v["first_name"]
            elif d == "drop":
                for k in rng.sample(["phone", "street", "postcode", "date_of_birth", "organisation", "city"], k=2):
                    v.pop(k, None)
            elif d == "drop_email":
                v.pop("email", None)
            elif d == "new_email":
                v["email"] = self._email(v["first_name"], v["last_name"], self.fakers[rec["_locale"]])
            elif d == "moved":
                f = self.fakers[rec["_locale"]]
                v["street"], v["city"], v["postcode"] = f.street_address(), f.city(), f.postcode()
            elif d == "phone_format" and v.get("phone"):
                v["phone"] = _reformat_phone(v["phone"], rng)
            elif d == "dob_swap" and v.get("date_of_birth"):
                y, m, dd = v["date_of_birth"].split("-")
                if int(dd) <= 12:
                    v["date_of_birth"] = f"{y}-{dd}-{m}"
            elif d == "social_profile":
                # A social profile: a display name, a new handle, and a bio pointing at a known account/email.
                handle = self._handle(v["first_name"], v["last_name"])
                known = rec.get("identities")
                bio = f"Coffee, code. Also https://x.com/{known[0]['handle']}" if known else "Coffee, code."
                v = {
                    "id": v["id"],
                    "first_name": v["first_name"],
                    "last_name": v["last_name"],
                    "bio": bio,
                    "identities": [{"network": "instagram", "handle": handle}],
                    "_locale": rec["_locale"],
                }
                if not known and rec.get("email"):
                    v["email"] = rec["email"] if rng.random() < 0.5 else None
                if rec.get("city"):
                    v["city"] = rec["city"]
            elif d == "case":
                v["first_name"], v["last_name"] = v["first_name"].upper(), v["last_name"].lower()
        if rng.random() < 0.5:
            v.pop("identities", None)  # the other system never saw the handle
        if rng.random() < 0.5:
            v.pop("customer_number", None)
        return v

    def family_member(self, rec: dict[str, Any]) -> dict[str, Any]:
        """Someone else at the same address with the same surname (and often the same landline)."""
        f = self.fakers[rec["_locale"]]
        other = self.person(rec["_locale"], last=rec["last_name"])
        while _ascii(other["first_name"]).lower() == _ascii(rec["first_name"]).lower():
            other["first_name"] = f.first_name()
        for k in ("street", "city", "postcode"):
            if rec.get(k):
                other[k] = rec[k]
        if rec.get("phone") and self.rng.random() < 0.3:
            other["phone"] = rec["phone"]
        return other

    def namesake(self, rec: dict[str, Any]) -> dict[str, Any]:
        """A different person with the same (often common) name, sometimes in the same city."""
        other = self.person(rec["_locale"], first=rec["first_name"], last=rec["last_name"])
        if rec.get("city") and self.rng.random() < 0.3:
            other["city"] = rec["city"]
        return other

    def lookalike(self, rec: dict[str, Any]) -> dict[str, Any]:
        """A different person whose surname or first name is one edit away."""
        other = self.person(rec["_locale"])
        other["last_name"] = _typo(rec["last_name"], self.rng) if self.rng.random() < 0.5 else rec["last_name"]
        return other

    def junk_pair(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Two different people whose records share only placeholder values."""
        a, b = self.person(), self.person()
        for rec in (a, b):
            rec["email"] = self.rng.choice(["noreply@shop.com", "test@test.com", "n/a", "no-reply@brand.dk"])
            rec["phone"] = self.rng.choice(["123456", "0000000000", "n/a", "-"])
            rec["customer_number"] = self.rng.choice(["123456", "000000", "n/a"])
            rec["date_of_birth"] = "1900-01-01"
            if self.rng.random() < 0.5:
                rec["first_name"] = self.rng.choice(JUNK)
        return a, b

    def pairs(self, n: int) -> tuple[list[tuple[dict, dict]], list[int]]:
        """n labelled pairs, half same-person; negatives weighted towards the hard cases."""
        rng = self.rng
        out: list[tuple[dict, dict]] = []
        labels: list[int] = []
        for i in range(n):
            loc = rng.choice(LOCALES)
            base = self.person(loc, *rng.choice(COMMON_NAMES[loc])) if rng.random() < 0.2 else self.person(loc)
            if i % 2 == 0:
                out.append((base, self.variant(base)))
                labels.append(1)
                continue
            kind = rng.random()
            if kind < 0.35:
                other = self.family_member(base)
            elif kind < 0.65:
                other = self.namesake(base)
            elif kind < 0.85:
                other = self.lookalike(base)
            elif kind < 0.93:
                base, other = self.junk_pair()
            else:
                other = self.person(loc)
            out.append((base, other))
            labels.append(0)
        return out, labels

    def linking_scenario(self, n_contacts: int) -> tuple[list[dict], list[dict], dict[int, int]]:
        """A contacts table (with families and common names) and incoming records, half of known people.

        Returns (contacts, incoming, truth) where truth maps an incoming id to its contact id.
        """
        rng = self.rng
        contacts: list[dict] = []
        incoming: list[dict] = []
        truth: dict[int, int] = {}
        for i in range(n_contacts):
            loc = rng.choice(LOCALES)
            base = self.person(loc, *rng.choice(COMMON_NAMES[loc])) if rng.random() < 0.2 else self.person(loc)
            contacts.append(base)
            if i % 4 == 0:
                contacts.append(self.family_member(base))
            if i % 2 == 0:
                v = self.variant(base)
                incoming.append(v)
                truth[v["id"]] = base["id"]
            else:
                kind = rng.random()
                incoming.append(
                    self.family_member(base)
                    if kind < 0.3
                    else self.namesake(base)
                    if kind < 0.6
                    else self.lookalike(base)
                    if kind < 0.8
                    else self.person(loc)
                )
        return contacts, incoming, truth


def _ascii(s: str) -> str:
    return "".join(TRANSLIT.get(ch, ch) for ch in s)


def _translit(s: str) -> str:
    return _ascii(s) if any(ch in TRANSLIT for ch in s) else s


def _typo(s: str, rng: random.Random) -> str:
    if len(s) < 4:
        return s
    i = rng.randrange(1, len(s) - 1)
    op = rng.random()
    if op < 0.33:
        return s[:i] + s[i + 1 :]
    if op < 0.66:
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    return s[:i] + rng.choice("aeiounrst") + s[i + 1 :]


def _nickname(first: str, rng: random.Random) -> str:
    low = first.lower().split(" ")[0].split("-")[0]
    groups = [g for g in NICK_LINES if low in g]
    if not groups:
        return first[0] + "." if rng.random() < 0.5 else first
    return rng.choice([n for n in rng.choice(groups) if n != low] or [first]).capitalize()


def _reformat_phone(phone: str, rng: random.Random) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    return digits if rng.random() < 0.5 else " ".join(digits[i : i + 3] for i in range(0, len(digits), 3))

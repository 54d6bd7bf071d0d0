"""Fast synthetic contacts for benchmarks: value pools drawn once with Faker, records sampled with numpy.

Faker per record is far too slow for a million contacts; sampling indexes into per-locale pools is
about a hundred times faster and still gives realistic name and place distributions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from faker import Faker

from .synth import COUNTRY, LOCALES, _ascii

DIAL = {
    "GB": "+44",
    "US": "+1",
    "DK": "+45",
    "SE": "+46",
    "NO": "+47",
    "DE": "+49",
    "NL": "+31",
    "FR": "+33",
    "ES": "+34",
}
DOMAINS = ("gmail.com", "hotmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me")
NETWORKS = ("twitter", "instagram", "facebook", "bluesky", "mastodon")


@dataclass(slots=True)
class Pools:
    """Per-locale value pools."""

    first: list[str]
    last: list[str]
    street: list[str]
    city: list[str]
    postcode: list[str]


def make_pools(seed: int, size: int = 400) -> dict[str, Pools]:
    """Draw name and place pools for every locale (a second or two)."""
    pools = {}
    for i, loc in enumerate(LOCALES):
        f = Faker(loc)
        f.seed_instance(seed * 31 + i)
        pools[loc] = Pools(
            first=sorted({f.first_name() for _ in range(size)}),
            last=sorted({f.last_name() for _ in range(size * 2)}),
            street=sorted({f.street_name() for _ in range(size)}),
            city=sorted({f.city() for _ in range(size // 2)}),
            postcode=sorted({f.postcode() for _ in range(size)}),
        )
    return pools


def contacts(
    n: int, *, seed: int = 7, start_id: int = 1, pools: dict[str, Pools] | None = None
) -> list[dict[str, Any]]:
    """n contact dicts with unique emails/handles/phones (stored normalised, as the database keeps them)."""
    rng = np.random.default_rng(seed)
    pools = pools or make_pools(seed)
    loc_idx = rng.integers(0, len(LOCALES), n)
    u = rng.random((n, 8))
    picks = rng.integers(0, 1 << 30, (n, 6))
    years = rng.integers(1935, 2008, n)
    months = rng.integers(1, 13, n)
    days = rng.integers(1, 29, n)
    out: list[dict[str, Any]] = []
    for i in range(n):
        loc = LOCALES[loc_idx[i]]
        p = pools[loc]
        cid = start_id + i
        fn, ln = p.first[picks[i, 0] % len(p.first)], p.last[picks[i, 1] % len(p.last)]
        rec: dict[str, Any] = {"id": cid, "first_name": fn, "last_name": ln, "country": COUNTRY[loc]}
        ident = f"{_ascii(fn).lower().replace(' ', '')}.{_ascii(ln).lower().replace(' ', '')}{cid}"
        if u[i, 0] < 0.75:
            rec["email"] = f"{ident}@{DOMAINS[picks[i, 2] % len(DOMAINS)]}"
        if u[i, 1] < 0.6:
            rec["phone"] = f"{DIAL[COUNTRY[loc]]}{700000000 + cid * 7:09d}"[:13]
        if u[i, 2] < 0.55:
            rec["street"] = f"{p.street[picks[i, 3] % len(p.street)]} {picks[i, 4] % 150 + 1}"
            rec["postcode"] = p.postcode[picks[i, 5] % len(p.postcode)]
        if u[i, 3] < 0.6:
            rec["city"] = p.city[picks[i, 4] % len(p.city)]
        if u[i, 4] < 0.5:
            rec["date_of_birth"] = f"{years[i]}-{months[i]:02d}-{days[i]:02d}"
        if u[i, 5] < 0.3:
            rec["customer_number"] = str(10_000_000 + cid)
        if u[i, 6] < 0.35:
            rec["identities"] = [{"network": NETWORKS[picks[i, 2] % 5], "handle": ident.replace(".", "_")}]
        out.append(rec)
    return out


def incoming_profiles(known: list[dict[str, Any]], n: int, *, seed: int = 11, start_id: int) -> list[dict[str, Any]]:
    """Social profiles: a third by known handles, a third variants of known contacts, a third strangers."""
    rng = np.random.default_rng(seed)
    with_handle = [c for c in known if c.get("identities")]
    strangers = contacts(n, seed=seed + 1, start_id=start_id + n)
    out: list[dict[str, Any]] = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            c = with_handle[rng.integers(0, len(with_handle))]
            ident = c["identities"][0]
            out.append(
                {
                    "id": start_id + i,
                    "first_name": c["first_name"],
                    "last_name": c["last_name"],
                    "identities": [dict(ident)],
                }
            )
        elif kind == 1:
            c = known[rng.integers(0, len(known))]
            last = c["last_name"]
            if rng.random() < 0.5 and len(last) > 4:
                j = int(rng.integers(1, len(last) - 1))
                last = last[:j] + last[j + 1 :]
            rec = {
                "id": start_id + i,
                "first_name": c["first_name"],
                "last_name": last,
                "identities": [{"network": "instagram", "handle": f"ig{start_id + i}"}],
            }
            for k in ("email", "city", "date_of_birth"):
                if c.get(k) and rng.random() < 0.5:
                    rec[k] = c[k]
            out.append(rec)
        else:
            s = strangers[i]
            out.append(
                {
                    "id": start_id + i,
                    "first_name": s["first_name"],
                    "last_name": s["last_name"],
                    "city": s.get("city"),
                    "identities": [{"network": "twitter", "handle": f"tw{start_id + i}"}],
                }
            )
    return out

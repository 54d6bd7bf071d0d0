"""Blocking index, batch linking and whole-table dedupe."""

import pytest

from rapport.identity.matching import CandidateIndex, Matcher, dedupe, link, link_one
from rapport.identity.matching.synth import PairGenerator


@pytest.fixture(scope="module")
def matcher():
    return Matcher.default()


@pytest.fixture(scope="module")
def table():
    gen = PairGenerator(seed=5)
    return [gen.person() for _ in range(800)]


def test_candidates_find_hard_variants(table):
    index = CandidateIndex()
    target = {
        "id": 100_001,
        "first_name": "Robert",
        "last_name": "Sørensen",
        "date_of_birth": "1984-05-09",
        "postcode": "2100",
        "identities": [{"network": "twitter", "handle": "rsorensen"}],
    }
    index.add([*table, target])
    variants = [
        {"id": 1, "first_name": "Bob", "last_name": "Soerensen"},  # nickname + transliteration
        {"id": 2, "first_name": "Sørensen", "last_name": "Robert", "date_of_birth": "1984-05-09"},  # swapped
        {"id": 3, "first_name": "Robert", "last_name": "Sørnsen", "postcode": "2100"},  # typo
        {"id": 4, "first_name": "R.", "last_name": "Sorensen", "date_of_birth": "1984-09-05"},  # initial, dob swap
        {"id": 5, "bio": "tweets at @RSorensen", "identities": [{"network": "instagram", "handle": "bob.s"}]},
    ]
    for v in variants:
        assert 100_001 in index.candidates(v, limit=20), v
    assert index.lookup_identity("twitter", "@RSorensen") == [100_001]


def test_link_fast_path_and_decisions(table, matcher):
    index = CandidateIndex()
    index.add(table)
    known = next(r for r in table if r.get("identities"))
    ident = known["identities"][0]
    post_author = {"id": "p1", "identities": [{"network": ident["network"], "handle": ident["handle"].upper()}]}
    stranger = {"id": "p2", "first_name": "Zebulon", "last_name": "Quaxley-Wimbourne", "city": "Nowhere"}
    res = link([post_author, stranger], index, matcher)
    assert res[0].contact_id == known["id"] and res[0].decision == "linked" and res[0].match.deterministic
    assert res[1].decision == "new"


def test_link_by_identifier_from_first_message(table, matcher):
    from rapport.identity.matching import extract_identifiers

    index = CandidateIndex()
    index.add(table)
    known = next(r for r in table if r.get("customer_number"))
    found = extract_identifiers(f"Hi, my member number is {known['customer_number']} and my order is late")
    incoming = {
        "id": "dm1",
        "customer_number": found.customer_numbers[0],
        "identities": [{"network": "instagram", "handle": "never_seen_before"}],
    }
    result = link_one(incoming, index=index, matcher=matcher)
    assert result.contact_id == known["id"] and result.decision == "linked"


def test_dedupe_clusters(matcher):
    people = [
        {"id": 1, "first_name": "Margrethe", "last_name": "Dahl", "email": "m.dahl@firma.dk", "city": "Odense"},
        {"id": 2, "first_name": "Grete", "last_name": "Dahl", "email": "m.dahl@firma.dk"},
        {
            "id": 3,
            "first_name": "Margrethe",
            "last_name": "Dahl",
            "date_of_birth": "1961-02-11",
            "phone": "+4520123456",
            "email": "M.Dahl@firma.dk",
        },
        {"id": 4, "first_name": "Margrete", "last_name": "Dahl", "phone": "20 12 34 56", "country": "DK"},
        {"id": 5, "first_name": "Peter", "last_name": "Dahl", "city": "Odense", "date_of_birth": "1959-08-30"},
        {"id": 6, "first_name": "Willem", "last_name": "de Vries", "email": "wdevries@kpn.nl"},
        {"id": 7, "first_name": "Wim", "last_name": "de Vries", "email": "wdevries@kpn.nl", "city": "Utrecht"},
        {"id": 8, "first_name": "Anna", "last_name": "Schmidt", "city": "Köln"},
    ]
    rows = dedupe(people, matcher)
    clusters: dict[int, set[int]] = {}
    for cluster_id, contact_id, score in rows:
        clusters.setdefault(cluster_id, set()).add(contact_id)
        assert 0.0 <= score <= 1.0
    assert sorted(map(sorted, clusters.values())) == [[1, 2, 3, 4], [6, 7]]
    assert set(clusters) == {1, 6}  # cluster id is the smallest contact id

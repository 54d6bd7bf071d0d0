"""Hard cases for the probabilistic matcher and the deterministic links."""

import json

import pytest

from rapport.identity.matching import Matcher, compare, decide, normalise_record


@pytest.fixture(scope="module")
def matcher():
    return Matcher.default()


def levels(a, b):
    return compare(normalise_record(a), normalise_record(b))


def test_nickname_links(matcher):
    a = {"id": 1, "first_name": "Robert", "last_name": "Hansen", "city": "Aarhus", "date_of_birth": "1981-06-14"}
    b = {"id": 2, "first_name": "Bob", "last_name": "Hansen", "city": "Aarhus", "date_of_birth": "1981-06-14"}
    assert levels(a, b)["first_name"] == "nickname"
    assert matcher.decide(matcher.score(a, b).score) == "linked"


@pytest.mark.parametrize(
    ("short", "full"),
    [
        ("Lasse", "Lars"),
        ("Kris", "Kristoffer"),
        ("Hannes", "Johannes"),
        ("Grete", "Margrethe"),
        ("Peggy", "Margaret"),
        ("Bill", "William"),
    ],
)
def test_nickname_table(short, full):
    assert levels({"id": 1, "first_name": short}, {"id": 2, "first_name": full})["first_name"] == "nickname"


def test_diacritics_and_transliteration_link(matcher):
    a = {"id": 1, "first_name": "Søren", "last_name": "Sørensen", "date_of_birth": "1975-03-02", "city": "Vejle"}
    b = {"id": 2, "first_name": "Soeren", "last_name": "Soerensen", "date_of_birth": "1975-03-02"}
    lv = levels(a, b)
    assert (lv["first_name"], lv["last_name"]) == ("exact", "exact")
    assert matcher.decide(matcher.score(a, b).score) == "linked"


def test_swapped_names_link(matcher):
    a = {"id": 1, "first_name": "Ingrid", "last_name": "Lindqvist", "date_of_birth": "1990-11-23", "country": "SE"}
    b = {"id": 2, "first_name": "Lindqvist", "last_name": "Ingrid", "date_of_birth": "1990-11-23", "country": "SE"}
    assert levels(a, b)["first_name"] == "swapped"
    assert matcher.decide(matcher.score(a, b).score) == "linked"


def test_typo_links_with_address(matcher):
    a = {"id": 1, "first_name": "Jonathan", "last_name": "Whitfield", "street": "12 Mill Lane", "postcode": "LS6 2AB"}
    b = {"id": 2, "first_name": "Jonathan", "last_name": "Whitfeild", "street": "12 Mill Ln", "postcode": "LS62AB"}
    lv = levels(a, b)
    assert lv["last_name"] == "fuzzy" and lv["street"] == "exact" and lv["postcode"] == "exact"
    assert matcher.decide(matcher.score(a, b).score) == "linked"


def test_family_at_one_address_not_linked(matcher):
    home = {"last_name": "Jensen", "street": "Nørregade 14", "postcode": "8000", "city": "Aarhus", "country": "DK"}
    mother = {"id": 1, "first_name": "Mette", "date_of_birth": "1968-04-02", "email": "mette.j@gmail.com", **home}
    son = {"id": 2, "first_name": "Mikkel", "date_of_birth": "1998-09-30", "email": "mikkelj98@hotmail.com", **home}
    m = matcher.score(mother, son)
    assert matcher.decide(m.score) == "new"
    assert {"first_name", "date_of_birth"} <= set(m.disagreed())


def test_family_sharing_a_landline_is_not_an_exact_link(matcher):
    home = {"last_name": "Berg", "street": "Storgata 3", "postcode": "0155", "phone": "22 33 44 55", "country": "NO"}
    a = {"id": 1, "first_name": "Kari", "date_of_birth": "1970-01-20", **home}
    b = {"id": 2, "first_name": "Ola", "date_of_birth": "2001-07-07", **home}
    m = matcher.score(a, b)
    assert m.deterministic is None
    assert matcher.decide(m.score) != "linked"


def test_same_common_name_different_people_not_linked(matcher):
    a = {
        "id": 1,
        "first_name": "John",
        "last_name": "Smith",
        "email": "jsmith@gmail.com",
        "city": "Leeds",
        "date_of_birth": "1980-02-03",
    }
    b = {
        "id": 2,
        "first_name": "John",
        "last_name": "Smith",
        "email": "john.smith77@yahoo.com",
        "city": "Bristol",
        "date_of_birth": "1959-10-12",
    }
    assert matcher.decide(matcher.score(a, b).score) == "new"


def test_name_alone_never_links_automatically(matcher):
    a = {"id": 1, "first_name": "Anna", "last_name": "Jensen"}
    b = {"id": 2, "first_name": "Anna", "last_name": "Jensen"}
    assert matcher.decide(matcher.score(a, b).score) != "linked"


def test_garbage_fields_never_match(matcher):
    junk = {
        "email": "noreply@shop.com",
        "phone": "123456",
        "customer_number": "000000",
        "date_of_birth": "1900-01-01",
        "street": "n/a",
        "city": "-",
        "organisation": "test",
    }
    a = {"id": 1, "first_name": "Kasper", "last_name": "Holm", **junk}
    b = {"id": 2, "first_name": "Fatima", "last_name": "Haddad", **junk}
    m = matcher.score(a, b)
    for f in ("email", "phone", "customer_number", "date_of_birth", "street", "city", "organisation"):
        assert m.levels[f] == "missing", f
    assert m.deterministic is None and matcher.decide(m.score) == "new"


def test_email_local_part_against_name():
    a = {"id": 1, "first_name": "John", "last_name": "Smith"}
    for email in ("j.smith@firma.co.uk", "johnsmith@mail.dk", "smith.john@web.de"):
        assert levels(a, {"id": 2, "email": email})["alias_name"] == "full", email
    assert levels(a, {"id": 2, "email": "gardenfan@mail.dk"})["alias_name"] == "none"


def test_dob_swapped_day_month():
    assert (
        levels({"id": 1, "date_of_birth": "1980-04-07"}, {"id": 2, "date_of_birth": "1980-07-04"})["date_of_birth"]
        == "swapped_day_month"
    )


def test_bio_pointing_at_known_handle(matcher):
    contact = {
        "id": 1,
        "first_name": "Eva",
        "last_name": "Lund",
        "identities": [{"network": "twitter", "handle": "evalund_design"}],
    }
    profile = {
        "id": 2,
        "first_name": "Eva",
        "last_name": "Lund",
        "bio": "Also on https://x.com/EvaLund_Design",
        "identities": [{"network": "instagram", "handle": "eva.makes"}],
    }
    m = matcher.score(profile, contact)
    assert m.levels["social"] == "bio_link"
    assert matcher.decide(m.score) == "linked"


@pytest.mark.parametrize("field", ["email", "phone", "customer_number", "identities"])
def test_exact_identifiers_link_deterministically(matcher, field):
    values = {
        "email": "Anna.K@Firma.dk",
        "phone": "+45 20 12 34 56",
        "customer_number": "4455-9911",
        "identities": [{"network": "twitter", "handle": "@AnnaK"}],
    }
    other = {
        "email": "anna.k@firma.dk ",
        "phone": "20123456",
        "customer_number": "44559911",
        "identities": [{"network": "twitter", "handle": "annak"}],
    }
    a = {"id": 1, "first_name": "Anna", "country": "DK", field: values[field]}
    b = {"id": 2, "last_name": "Kjær", "country": "DK", field: other[field]}
    m = matcher.score(a, b)
    assert m.score == 1.0 and m.deterministic is not None


def test_explanation_and_score_range(matcher):
    a = {"id": 1, "first_name": "Lars", "last_name": "Møller", "city": "Odense"}
    b = {"id": 2, "first_name": "Lasse", "last_name": "Moeller", "city": "Aalborg"}
    m = matcher.score(a, b)
    assert 0.0 <= m.score <= 1.0
    by_field = {c.field: c for c in m.explanation}
    assert by_field["first_name"].level == "nickname" and by_field["first_name"].weight > 0
    assert by_field["city"].level == "disagree" and by_field["city"].weight < 0
    assert by_field["email"].level == "missing" and by_field["email"].weight == 0


def test_decide_thresholds():
    assert decide(0.99, 0.9, 0.5) == "linked"
    assert decide(0.9, 0.9, 0.5) == "linked"
    assert decide(0.7, 0.9, 0.5) == "review"
    assert decide(0.2, 0.9, 0.5) == "new"


def test_params_round_trip(matcher):
    params = json.loads(json.dumps(matcher.to_params()))
    again = Matcher.from_params(params)
    a = {"id": 1, "first_name": "Bill", "last_name": "Evans", "postcode": "SW1A 1AA"}
    b = {"id": 2, "first_name": "William", "last_name": "Evans", "postcode": "SW1A1AA"}
    assert again.score(a, b).score == pytest.approx(matcher.score(a, b).score)
    assert again.to_params() == matcher.to_params()
    with pytest.raises(ValueError):
        Matcher.from_params({**params, "version": 99})


def test_fit_learns_from_review_decisions(matcher):
    # A workspace whose reviewers reject same-organisation pairs (a big employer) should learn that.
    base = Matcher.from_params(matcher.to_params())
    pairs, labels = [], []
    for i in range(60):
        a = {"id": 2 * i, "first_name": f"Person{i}", "last_name": "Olsen", "organisation": "Maersk"}
        b = {"id": 2 * i + 1, "first_name": f"Person{i}", "last_name": "Olsen", "organisation": "Maersk"}
        pairs.append((a, b))
        labels.append(0)
    before = base.weights["organisation"]["exact"]
    base.fit(pairs, labels)
    assert base.weights["organisation"]["exact"] < before

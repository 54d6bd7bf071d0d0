"""Normalisation: emails, E.164 phones, folding of diacritics and transliterations, placeholders."""

import pytest

from rapport.identity.matching import is_junk, normalise_email, normalise_phone, normalise_record
from rapport.identity.matching.text import fold


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  John.Smith@Example.co.uk ", "john.smith@example.co.uk"),
        ("j.smith+newsletter@gmail.com", "jsmith@gmail.com"),
        ("J.Smith@googlemail.com", "jsmith@gmail.com"),
        ("anna+shop@outlook.com", "anna@outlook.com"),
        ("noreply@brand.dk", None),
        ("test@test.com", None),
        ("n/a", None),
        ("not-an-email", None),
    ],
)
def test_email_normalisation(raw, expected):
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("20 12 34 56", "DK", "+4520123456"),
        ("+45 20 12 34 56", None, "+4520123456"),
        ("07911 123456", "GB", "+447911123456"),
        ("(030) 1234567", "DE", "+49301234567"),
        ("+46 8 123 456 78", "SE", "+46812345678"),
        ("123456", "DK", None),
        ("0000000000", "GB", None),
        ("-", "GB", None),
    ],
)
def test_phone_e164(raw, region, expected):
    assert normalise_phone(raw, region) == expected


def test_record_phone_uses_country_as_default_region():
    dk = normalise_record({"id": 1, "phone": "20 12 34 56", "country": "Denmark"})
    no = normalise_record({"id": 2, "phone": "20 12 34 56", "country": "NO"})
    assert dk.phone == "+4520123456"
    assert no.phone == "+4720123456"


@pytest.mark.parametrize(
    "variants",
    [
        ("Sørensen", "Sorensen", "Soerensen"),
        ("Müller", "Mueller", "Muller"),
        ("Åse", "Aase"),
        ("Gómez", "Gomez"),
        ("Straße", "Strasse"),
    ],
)
def test_fold_diacritics_and_transliterations(variants):
    assert len({fold(v) for v in variants}) == 1


@pytest.mark.parametrize("value", ["n/a", "N/A", "test", "-", "unknown", "", "   ", "123456", "xxx", "0000"])
def test_placeholders_are_junk(value):
    assert is_junk(value)


@pytest.mark.parametrize("value", ["Anna", "Jensen", "4455-221", "Copenhagen"])
def test_real_values_are_not_junk(value):
    assert not is_junk(value)


def test_junk_record_normalises_to_nothing():
    r = normalise_record(
        {
            "id": 9,
            "first_name": "n/a",
            "last_name": "test",
            "email": "noreply@shop.com",
            "phone": "123456",
            "customer_number": "000000",
            "date_of_birth": "1900-01-01",
            "city": "-",
            "street": "unknown",
        }
    )
    assert (r.first, r.last, r.email, r.phone, r.customer_number, r.dob, r.city, r.street) == (None,) * 8


def test_handles_are_case_insensitive_without_at_and_read_from_urls():
    r = normalise_record(
        {
            "id": 1,
            "identities": [
                {"network": "twitter", "handle": "@JSmith"},
                {"network": "bluesky", "profile_url": "https://bsky.app/profile/Jane.bsky.social"},
            ],
        }
    )
    assert ("twitter", "jsmith") in r.handles
    assert ("bluesky", "jane.bsky.social") in r.handles

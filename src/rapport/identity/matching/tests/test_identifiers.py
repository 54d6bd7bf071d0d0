"""Identifiers in free message text and handles in bios."""

import pytest

from rapport.identity.matching import extract_identifiers, extract_mentions


@pytest.mark.parametrize(
    ("text", "region", "numbers"),
    [
        ("Hi, my member number is 12345678, thanks", "GB", ["12345678"]),
        ("Hej! Mit kundenummer 4455", "DK", ["4455"]),
        ("Clubcard 634004 0123 4567 89 was not credited", "GB", ["6340040123456789"]),
        ("Meine Kundennummer ist 98765-432.", "DE", ["98765432"]),
        ("Mijn klantnummer: 77 88 99 1", "NL", ["7788991"]),
        ("Mitt medlemsnummer är 55512", "SE", ["55512"]),
        ("my loyalty card LC 10442 was not scanned", "GB", ["LC10442"]),
        ("my card is LC-10442", "GB", ["LC10442"]),
        ("my frequent flyer number is FF-1000-0042, miles missing", "US", ["FF10000042"]),
        ("the account is 55 12 33", "GB", ["551233"]),
        ("No identifiers here, just angry about delivery", "GB", []),
    ],
)
def test_customer_numbers_in_text(text, region, numbers):
    assert extract_identifiers(text, default_region=region).customer_numbers == numbers


def test_email_and_phone_in_text():
    found = extract_identifiers("Reach me at Anna.Jensen+shop@GMAIL.com or on 20 12 34 56", default_region="DK")
    assert found.emails == ["annajensen@gmail.com"]
    assert found.phones == ["+4520123456"]
    assert found.customer_numbers == []


def test_customer_number_is_not_also_a_phone():
    found = extract_identifiers("my loyalty number is 7911 123456", default_region="GB")
    assert found.customer_numbers == ["7911123456"]
    assert found.phones == []


def test_placeholder_email_is_ignored_in_text():
    assert not extract_identifiers("sent from noreply@shop.com").emails


def test_mentions_from_bio():
    bio = "Designer. Also at https://x.com/jdoe_88, @jane@mastodon.social and ig @jane.d (mail a@b.com)"
    assert {"jdoe_88", "jane", "jane.d"} <= extract_mentions(bio)
    assert "b.com" not in extract_mentions(bio)

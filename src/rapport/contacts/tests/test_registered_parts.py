"""What contacts needs from identity arrives through registration, and its absence is said, not hidden."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from rapport.contacts import identities, matching


def test_identity_registers_people_s_accounts_and_matching():
    assert identities.person_identities().normalise_handle(" @Anna_K ") == "anna_k"
    assert callable(matching.contact_matching().resolver)


def test_without_a_registration_contacts_says_which_is_missing(monkeypatch):
    monkeypatch.setattr(identities, "_REGISTERED", [])
    monkeypatch.setattr(matching, "_REGISTERED", [])
    with pytest.raises(ImproperlyConfigured, match="register_person_identities"):
        identities.person_identities()
    with pytest.raises(ImproperlyConfigured, match="register_contact_matching"):
        matching.contact_matching()


def test_the_first_registration_stays(monkeypatch):
    first = identities.person_identities()
    monkeypatch.setattr(identities, "_REGISTERED", [first])
    identities.register_person_identities(identities.PersonIdentities(*(lambda *a, **k: None for _ in range(8))))
    assert identities.person_identities() is first

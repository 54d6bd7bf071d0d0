"""Every path that sets a password runs Django's validators; only the demo may keep a weak demo password."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from rapport.core.errors import FieldErrors
from rapport.core.models import Role, User
from rapport.core.services import create_member, get_or_create_workspace

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("weak", ["short", "password123", "12345678901234", "ann.berg@example.se"])
def test_createuser_refuses_a_weak_password_and_says_why(weak):
    with pytest.raises(CommandError, match="password"):
        call_command("createuser", "ann.berg@example.se", "--password", weak, "--workspace", "w", "--role", "admin")
    assert not User.objects.filter(email="ann.berg@example.se").exists()


def test_a_strong_password_is_taken_and_an_unchanged_one_is_not_checked_again():
    ws, _ = get_or_create_workspace(slug="w")
    create_member(email="bo@example.se", password="Fjord-Lantern-2219", workspace=ws, role=Role.AGENT)
    with pytest.raises(FieldErrors) as refused:
        create_member(email="bo@example.se", password="abc", workspace=ws, role=Role.AGENT)
    assert "password" in refused.value.errors
    member = create_member(email="bo@example.se", password="Fjord-Lantern-2219", workspace=ws, role=Role.ADMIN)
    assert member.role == Role.ADMIN


def test_the_demo_may_set_its_weak_password():
    ws, _ = get_or_create_workspace(slug="demo")
    member = create_member(email="demo@x.example", password="demo", workspace=ws, role=Role.ADMIN, check_strength=False)
    assert member.user.check_password("demo")

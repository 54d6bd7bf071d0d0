"""Brute force on /login/ (the back office signs in through it) and POST /api/v1/auth/token: locked out
per account and per address."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from conftest import PASSWORD
from django.db.models import F
from django.test import Client

from rapport.core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


def web_login(email, password, ip="10.0.0.1", path="/login/"):
    return Client().post(path, {"username": email, "password": password}, REMOTE_ADDR=ip)


def api_login(email, password, ip="10.0.0.1"):
    return Client().post(
        "/api/v1/auth/token", {"email": email, "password": password}, content_type="application/json", REMOTE_ADDR=ip
    )


def test_the_sixth_try_for_one_account_is_locked_even_with_the_right_password(member_factory, workspace, settings):
    settings.AXES_FAILURE_LIMIT = 5
    email = member_factory(workspace, Role.AGENT).user.email
    for i in range(4):  # from four addresses, with the email spelt differently: still one account
        assert web_login(email.upper() if i % 2 else email, "wrong-password", ip=f"10.0.1.{i}").status_code == 200
    assert api_login(email, "wrong-password", ip="10.0.1.9").status_code == 429  # the fifth failure locks
    locked = web_login(email, PASSWORD, ip="10.0.2.1")
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.content.decode()
    assert 'class="topbar"' in locked.content.decode()  # the product's layout
    assert "_auth_user_id" not in locked.wsgi_request.session
    token = api_login(email, PASSWORD, ip="10.0.2.2")
    assert token.status_code == 429 and "try again" in token.json()["detail"] and "token" not in token.json()
    events = AuditEvent.objects.filter(action="login.locked_out")
    assert events.count() == 1 and events.get().after["email"] == email


def test_one_address_trying_many_accounts_is_locked_out(member_factory, workspace):
    good = member_factory(workspace, Role.ADMIN).user.email
    for i in range(5):
        web_login(f"guess{i}@acme.example", "wrong-password", ip="192.0.2.66")
    assert web_login(good, PASSWORD, ip="192.0.2.66").status_code == 429
    back_office = web_login(good, PASSWORD, ip="192.0.2.66", path="/admin/login/")  # takes no password at all
    assert back_office.status_code == 302 and back_office["Location"].startswith("/login/")
    assert "_auth_user_id" not in back_office.wsgi_request.session
    assert api_login(good, PASSWORD, ip="192.0.2.66").status_code == 429
    assert web_login(good, PASSWORD, ip="192.0.2.7").status_code == 302  # the account itself is fine


def test_the_back_office_takes_no_password_and_the_cool_off_ends_the_lockout(member_factory, workspace, settings):
    email = member_factory(workspace, Role.ADMIN).user.email
    for i in range(5):
        # The back office signs in only through the product's sign-in (and its two-factor step): a password posted
        # to /admin/login/ is never checked, so it can be neither guessed there nor used around the code step.
        assert web_login(email, PASSWORD, ip=f"10.9.0.{i}", path="/admin/login/").status_code == 302
        web_login(email, "wrong-password", ip=f"10.9.0.{i}")
    assert web_login(email, PASSWORD, ip="10.9.1.1").status_code == 429
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert web_login(email, PASSWORD, ip="10.9.1.1").status_code == 302
    assert api_login(email, PASSWORD, ip="10.9.1.1").status_code == 200


def test_behind_a_proxy_the_forwarded_address_is_the_client(member_factory, workspace, settings):
    settings.RAPPORT_PROXY_COUNT = 1
    email = member_factory(workspace, Role.AGENT).user.email
    for i in range(5):  # the attacker forges X-Forwarded-For; the proxy appends the address it saw
        Client().post(
            "/login/",
            {"username": f"x{i}@acme.example", "password": "nope"},
            REMOTE_ADDR="10.0.0.254",
            HTTP_X_FORWARDED_FOR=f"1.2.3.{i}, 203.0.113.5",
        )
    behind = Client().post(
        "/login/",
        {"username": email, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.254",
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )
    assert behind.status_code == 302  # another client behind the same proxy is not locked out
    attacker = Client().post(
        "/login/",
        {"username": email, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.254",
        HTTP_X_FORWARDED_FOR="203.0.113.5",
    )
    assert attacker.status_code == 429

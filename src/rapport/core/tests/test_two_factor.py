"""Two-factor sign-in (TOTP): on the web the password alone never makes a session; the API needs the code too."""

import json
import time

import pytest
from conftest import PASSWORD
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from rapport.core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


def code(device: TOTPDevice, ahead: int = 0) -> str:
    """The code the user's app shows now (or `ahead` 30-second steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def wait_out_the_throttle(device: TOTPDevice) -> None:
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timezone.timedelta(minutes=10)
    )


def enable(client: Client, user) -> TOTPDevice:
    page = client.get("/account/two-factor/")
    assert page.status_code == 200 and b"is <strong>off</strong>" in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert device.user.email in page.content.decode().replace("%40", "@")  # the otpauth:// label names the account
    assert client.post("/account/two-factor/", {"action": "enable", "code": "000000"}).status_code == 400
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    # Wrong codes throttle the device (a delay doubling with each: 16 s after five): even the right one waits.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=5, throttling_failure_timestamp=timezone.now()
    )
    throttled = client.post("/account/two-factor/", {"action": "enable", "code": code(device)})
    assert throttled.status_code == 400 and b"Too many wrong codes" in throttled.content
    wait_out_the_throttle(device)
    done = client.post("/account/two-factor/", {"action": "enable", "code": code(device)})
    assert done.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


@pytest.fixture
def admin(member_factory, workspace):
    return member_factory(workspace, Role.ADMIN).user


def test_with_two_factor_on_the_password_alone_signs_nobody_in(admin, settings):
    client = Client()
    client.force_login(admin)
    device = enable(client, admin)
    assert AuditEvent.objects.filter(action="user.two_factor_enabled").exists()
    client.logout()
    step = client.post("/login/", {"username": admin.email, "password": PASSWORD, "next": "/contacts/"})
    assert step.status_code == 302 and step["Location"] == "/login/code/"
    assert client.get("/account/").status_code == 302  # not signed in yet
    wrong = client.post("/login/code/", {"code": "123456" if code(device, 1) != "123456" else "654321"})
    assert wrong.status_code == 400 and b"not right" in wrong.content
    wait_out_the_throttle(device)
    right = client.post("/login/code/", {"code": code(device, 1)})
    assert right.status_code == 302 and right["Location"] == "/contacts/"
    assert client.get("/account/").status_code == 200


def test_the_code_step_waits_five_minutes_at_most(admin, monkeypatch):
    client = Client()
    client.force_login(admin)
    device = enable(client, admin)
    client.logout()
    client.post("/login/", {"username": admin.email, "password": PASSWORD})
    later = time.time() + 301
    monkeypatch.setattr("rapport.web.twofactor.time.time", lambda: later)
    answer = client.post("/login/code/", {"code": code(device, 1)})
    assert answer.status_code == 302 and answer["Location"] == "/login/"
    assert client.get("/account/").status_code == 302


def test_api_tokens_need_the_code_of_a_two_factor_account(admin, workspace):
    client = Client()
    client.force_login(admin)
    device = enable(client, admin)
    api = Client()

    def token(**extra):
        body = {"email": admin.email, "password": PASSWORD, **extra}
        return api.post("/api/v1/auth/token", json.dumps(body), content_type="application/json")

    missing = token()
    assert missing.status_code == 401 and "two-factor" in missing.json()["detail"]
    assert token(otp="000000" if code(device, 1) != "000000" else "111111").status_code == 401
    wait_out_the_throttle(device)
    issued = token(otp=code(device, 1))
    assert issued.status_code == 200 and issued.json()["token"].startswith("rp_")


def test_turning_it_off_takes_a_code_and_the_back_office_signs_in_through_the_product(admin):
    client = Client()
    client.force_login(admin)
    device = enable(client, admin)
    assert client.post("/account/two-factor/", {"action": "disable", "code": "x"}).status_code == 400
    wait_out_the_throttle(device)
    assert TOTPDevice.objects.filter(user=admin, confirmed=True).exists()
    off = client.post("/account/two-factor/", {"action": "disable", "code": code(device, 1)})
    assert off.status_code == 302 and not TOTPDevice.objects.filter(user=admin).exists()
    assert AuditEvent.objects.filter(action="user.two_factor_disabled").exists()
    back_office = Client().get("/admin/login/?next=/admin/")
    assert back_office.status_code == 302 and back_office["Location"].startswith("/login/?next=/admin/")


def test_a_signed_in_user_the_back_office_refuses_gets_a_403_not_a_redirect_loop(member_factory, workspace):
    agent = member_factory(workspace, Role.AGENT).user
    agent.is_staff = False
    agent.save()
    client = Client()
    client.force_login(agent)
    assert client.get("/admin/login/?next=/admin/").status_code == 403

"""Two-factor sign-in with time-based one-time codes (RFC 6238, as authenticator apps make them), on django-otp.

Optional per user and offered to everyone; meant for admins and DPOs, who hold the keys to every workspace's
personal data. A user with a confirmed device signs in with a code after the password, on the web and on the API
(`POST /api/v1/auth/token` takes `otp`). django-otp throttles wrong codes (growing delays) per device."""

from __future__ import annotations

from base64 import b32encode
from urllib.parse import quote

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from rapport.core.actors import Actor
from rapport.core.models import Member
from rapport.core.services import record_audit

ISSUER = "Rapport"


def confirmed_device(user) -> TOTPDevice | None:
    """The user's confirmed authenticator, if they turned two-factor sign-in on."""
    if user is None or not getattr(user, "pk", None):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def has_two_factor(user) -> bool:
    return confirmed_device(user) is not None


def check_code(device: TOTPDevice, code: str) -> tuple[bool, str]:
    """(accepted, why not): a wrong code counts towards the device's throttle; a throttled device refuses all."""
    allowed, info = device.verify_is_allowed()
    if not allowed:
        wait = (info or {}).get("locked_until")
        return False, f"too many wrong codes: try again {'after ' + wait.strftime('%H:%M:%S') if wait else 'later'}"
    code = "".join(ch for ch in str(code or "") if ch.isdigit())
    if len(code) != device.digits or not device.verify_token(code):
        return False, "that code is not right (codes change every 30 seconds)"
    return True, ""


def pending_device(user) -> TOTPDevice:
    """The unconfirmed authenticator being set up (one per user, made on first ask)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def secret_of(device: TOTPDevice) -> str:
    """The shared secret as base32, for typing into an authenticator app."""
    return b32encode(device.bin_key).decode().rstrip("=")


def provisioning_uri(device: TOTPDevice) -> str:
    """The otpauth:// address authenticator apps read (from a QR code or pasted)."""
    label = quote(f"{ISSUER}:{device.user.email or device.user.get_username()}")
    return (
        f"otpauth://totp/{label}?secret={secret_of(device)}&issuer={ISSUER}"
        f"&digits={device.digits}&period={device.step}&algorithm=SHA1"
    )


def _audit(user, action: str) -> None:
    for member in Member.objects.filter(user=user).select_related("workspace"):
        record_audit(
            workspace=member.workspace,
            actor=Actor.for_user(user),
            action=action,
            object_type="user",
            object_id=user.pk,
        )


@transaction.atomic
def confirm(user, code: str) -> tuple[bool, str]:
    """Turn two-factor sign-in on once the user proves their app makes the right codes."""
    device = pending_device(user)
    ok, why = check_code(device, code)
    if not ok:
        return False, why
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    _audit(user, "user.two_factor_enabled")
    return True, ""


@transaction.atomic
def disable(user, code: str) -> tuple[bool, str]:
    """Turn two-factor sign-in off; it takes a current code, so a stolen session alone cannot do it."""
    device = confirmed_device(user)
    if device is None:
        return False, "two-factor sign-in is not on"
    ok, why = check_code(device, code)
    if not ok:
        return False, why
    TOTPDevice.objects.filter(user=user).delete()
    _audit(user, "user.two_factor_disabled")
    return True, ""

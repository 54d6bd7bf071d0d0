"""Brute-force protection of every password check, on top of django-axes.

Failed sign-ins (`/login/`, `/admin/login/`, `POST /api/v1/auth/token`) are counted per account and per client
address; at RAPPORT_LOGIN_FAILURE_LIMIT failures either one is locked out for RAPPORT_LOGIN_COOLOFF_MINUTES,
even with the right password. Each lockout is written to the audit log of the account's workspaces.
"""

from __future__ import annotations

import logging

from axes.backends import AxesStandaloneBackend
from axes.signals import user_locked_out
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from rapport.core.actors import Actor

log = logging.getLogger(__name__)


class LoginGuardBackend(AxesStandaloneBackend):
    """Refuses a locked-out account or address before the password is even checked.

    Code that checks a password without an HTTP request (the command line, tests) has no client to throttle and
    passes through; every web and API sign-in passes its request."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def username_of(request: HttpRequest, credentials: dict | None) -> str:
    """One account whatever its spelling: `Ann@Example.com ` and `ann@example.com` share their failure count."""
    credentials = credentials or {}
    return str(credentials.get("username") or credentials.get("email") or "").strip().lower()


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind RAPPORT_PROXY_COUNT proxies the address they saw."""
    count = settings.RAPPORT_PROXY_COUNT
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if count and len(forwarded) >= count:
        return forwarded[-count]  # the entry the first trusted proxy appended; the ones before it are the client's
    return request.META.get("REMOTE_ADDR", "")


@receiver(user_locked_out, dispatch_uid="rapport.core.loginguard.audit")
def _audit_lockout(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    from rapport.core.models import AuditEvent, Member
    from rapport.core.services import record_audit

    username = (username or "").strip().lower()
    # Not the typed user name: people type their password into it. Known accounts are named in the audit log.
    log.warning("sign-in locked out after repeated failures from %s", ip_address)
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    members = Member.objects.select_related("workspace").filter(user__email=username) if username else []
    for member in members:
        # Axes signals every refused attempt during a lockout; the audit log wants the lockout once.
        if AuditEvent.objects.filter(
            workspace=member.workspace, action="login.locked_out", object_id=str(member.user_id), created_at__gte=since
        ).exists():
            continue
        record_audit(
            workspace=member.workspace,
            actor=Actor.system(f"sign-in guard ({ip_address})"),
            action="login.locked_out",
            object_type="user",
            object_id=member.user_id,
            after={
                "email": username,
                "ip_address": ip_address,
                "path": getattr(request, "path", ""),
                "until": (timezone.now() + settings.AXES_COOLOFF_TIME).isoformat(),
            },
        )

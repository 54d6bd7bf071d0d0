"""Core services: workspaces, members, API tokens, permissions and the audit log."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.core.models import ApiToken, AuditEvent, Member, Role, User, Workspace


class PermissionDenied(Exception):
    """The actor's role does not allow this action in this workspace."""


# What each role may do, for every app in one table (an app names its permissions here, never adds them at run
# time). Reading contacts is open to every role; changing them is not.
PERMISSIONS: dict[str, set[str]] = {
    "contacts.view": {Role.ADMIN, Role.AGENT, Role.MARKETER, Role.COMMUNITY_MANAGER, Role.DPO},
    "contacts.change": {Role.ADMIN, Role.AGENT, Role.MARKETER, Role.COMMUNITY_MANAGER},
    "contacts.delete": {Role.ADMIN, Role.DPO},
    "contacts.import": {Role.ADMIN, Role.MARKETER},
    "contacts.export": {Role.ADMIN, Role.MARKETER, Role.DPO},
    "audit.view": {Role.ADMIN, Role.DPO, Role.AGENT, Role.MARKETER, Role.COMMUNITY_MANAGER},
    "identity.review": {Role.ADMIN, Role.AGENT, Role.MARKETER, Role.COMMUNITY_MANAGER},
    "identity.merge": {Role.ADMIN, Role.AGENT, Role.MARKETER, Role.COMMUNITY_MANAGER},
    "listening.view": {Role.ADMIN, Role.AGENT, Role.MARKETER, Role.COMMUNITY_MANAGER, Role.DPO},
    "listening.ingest": {Role.ADMIN, Role.MARKETER, Role.COMMUNITY_MANAGER},
    "listening.manage": {Role.ADMIN, Role.MARKETER, Role.COMMUNITY_MANAGER},
    "listening.export": {Role.ADMIN, Role.MARKETER, Role.COMMUNITY_MANAGER},
    "channels.manage": {Role.ADMIN},
    "care.view": {Role.ADMIN, Role.AGENT, Role.COMMUNITY_MANAGER},
    "care.reply": {Role.ADMIN, Role.AGENT, Role.COMMUNITY_MANAGER},
    "care.assign": {Role.ADMIN, Role.AGENT, Role.COMMUNITY_MANAGER},
    "care.manage": {Role.ADMIN},
    "jobs.view": {Role.ADMIN},
    "workspace.manage": {Role.ADMIN},  # the settings pages: users, teams, routing, SLAs, rules, channels
    "segments.manage": {Role.ADMIN, Role.MARKETER, Role.COMMUNITY_MANAGER},  # reading them is contacts.view
    "campaigns.view": {Role.ADMIN, Role.MARKETER},
    "campaigns.manage": {Role.ADMIN, Role.MARKETER},
    # Data-subject requests, exports and erasures are the DPO's (and an admin's).
    "privacy.manage": {Role.ADMIN, Role.DPO},
    "consent.record": {Role.ADMIN, Role.AGENT, Role.MARKETER, Role.COMMUNITY_MANAGER, Role.DPO},
    "consent.manage_forms": {Role.ADMIN, Role.MARKETER, Role.DPO},
    # Every private message's text, wherever it is shown (rapport.core.privacy). Agents read those of the
    # conversations the inbox shows them through care's audience, not through their role.
    "messages.read_private": {Role.ADMIN},
    # The public community's moderation queue (approve, hide, delete) and its rules.
    "community.moderate": {Role.ADMIN, Role.COMMUNITY_MANAGER},
}


def has_permission(*, role: str | None, permission: str) -> bool:
    """Whether a role holds a permission."""
    return role is not None and role in PERMISSIONS.get(permission, set())


def check_permission(*, role: str | None, permission: str) -> None:
    """Raise PermissionDenied unless the role holds the permission."""
    if not has_permission(role=role, permission=permission):
        raise PermissionDenied(f"role {role!r} may not {permission}")


def get_or_create_workspace(*, slug: str, name: str | None = None) -> tuple[Workspace, bool]:
    """Return the workspace with this slug, creating it if needed."""
    return Workspace.objects.get_or_create(slug=slug, defaults={"name": name or slug.replace("-", " ").title()})


@transaction.atomic
def check_password_strength(*, password: str, user: User) -> None:
    """Django's password validators (AUTH_PASSWORD_VALIDATORS); FieldErrors naming `password` when they refuse."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise FieldErrors({"password": " ".join(exc.messages)}) from None


def create_member(*, email: str, password: str, workspace: Workspace, role: str, check_strength: bool = True) -> Member:
    """Create (or update) a user and make them a member of the workspace with the role.

    A new password must pass the password validators; only the demo (`check_strength=False`) may set a weak one.
    """
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(Role.values)}")
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if check_strength and (user is None or not user.check_password(password)):
        check_password_strength(password=password, user=user or User(email=email))
    if user is None:
        user = User.objects.create_user(email, password)
    elif not user.check_password(password):  # a new password (and only a new one) revokes the user's tokens
        user.set_password(password)
        user.save(update_fields=["password"])
    if role == Role.ADMIN and not user.is_staff:
        user.is_staff = True  # workspace admins may use the back office, which scopes them like the UI
        user.save(update_fields=["is_staff"])
    member, _ = Member.objects.update_or_create(workspace=workspace, user=user, defaults={"role": role})
    return member


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class TwoFactorRequired(PermissionDenied):
    """The password was right, but the account needs its second factor (a current one-time code)."""


def issue_token(
    *,
    email: str,
    password: str,
    workspace_slug: str | None = None,
    name: str = "",
    request: HttpRequest | None = None,
    otp: str | None = None,
) -> tuple[str, Member]:
    """Check the credentials and return a new bearer token for one workspace membership.

    Pass the HTTP request whenever there is one: failed attempts are then counted and locked out per account and
    per client address like the sign-in pages (see core.loginguard). A user with two-factor sign-in on must send
    a current code as `otp` (TwoFactorRequired otherwise)."""
    from rapport.core import twofactor

    user = authenticate(request, username=email.strip().lower(), password=password)
    if user is None or not user.is_active:
        raise PermissionDenied("wrong email or password")
    device = twofactor.confirmed_device(user)
    if device is not None:
        if not otp:
            raise TwoFactorRequired("this account signs in with two-factor: send the current code as otp")
        ok, why = twofactor.check_code(device, otp)
        if not ok:
            raise TwoFactorRequired(f"otp: {why}")
    members = Member.objects.select_related("workspace").filter(user=user)
    if workspace_slug:
        members = members.filter(workspace__slug=workspace_slug)
    member = members.order_by("id").first()
    if member is None:
        raise PermissionDenied("no membership in that workspace")
    return _new_token(member=member, name=name), member


def _new_token(*, member: Member, name: str) -> str:
    raw = "rp_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        workspace=member.workspace,
        user=member.user,
        key_hash=_hash_token(raw),
        prefix=raw[:10],
        name=name,
        expires_at=timezone.now() + timedelta(hours=settings.RAPPORT_TOKEN_TTL_HOURS),
    )
    return raw


@transaction.atomic
def refresh_token(*, token: ApiToken, member: Member, actor: Actor) -> str:
    """Exchange a live token for a new one with a fresh lifetime; the old one is revoked at once."""
    raw = _new_token(member=member, name=token.name)
    revoke_token(user=member.user, token_id=token.pk, actor=actor, reason="refreshed")
    return raw


def resolve_token(raw: str) -> tuple[ApiToken, Member] | None:
    """Return the live token and the membership it acts for, or None."""
    if not raw or len(raw) > 200:
        return None
    token = ApiToken.objects.select_related("user", "workspace").filter(key_hash=_hash_token(raw)).first()
    now = timezone.now()
    if token is None or token.revoked_at or token.expires_at <= now or not token.user.is_active:
        return None
    member = Member.objects.filter(workspace=token.workspace, user=token.user).first()
    if member is None:  # membership removed since the token was issued
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token, member


def set_language(*, user: User, language: str) -> User:
    """Set the interface language the user reads ("" follows their browser); one of settings.LANGUAGES."""
    language = (language or "").strip()
    if language and language not in dict(settings.LANGUAGES):
        raise FieldErrors({"language": f"choose one of {', '.join(code for code, _ in settings.LANGUAGES)}"})
    user.language = language
    user.save(update_fields=["language"])
    return user


def list_tokens(*, user: User) -> Any:
    """The user's live tokens (not revoked, not expired), newest first, in every workspace."""
    return (
        ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("workspace")
        .order_by("-id")
    )


def _audit_revocation(token: ApiToken, *, actor: Actor, reason: str, when) -> None:
    record_audit(
        workspace=token.workspace,
        actor=actor,
        action="api_token.revoked",
        object_type="api_token",
        object_id=token.pk,
        before={"revoked_at": None},
        after={"revoked_at": when.isoformat(), "prefix": token.prefix, "user": token.user.email, "reason": reason},
    )


@transaction.atomic
def revoke_token(*, user: User, token_id: int, actor: Actor, reason: str = "revoked") -> ApiToken | None:
    """Revoke one of the user's own tokens; None when the user holds no such token (revoking twice is a no-op)."""
    token = ApiToken.objects.select_related("workspace", "user").filter(pk=token_id, user=user).first()
    if token is None:
        return None
    if token.revoked_at is None:
        now = timezone.now()
        if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
            token.revoked_at = now
            _audit_revocation(token, actor=actor, reason=reason, when=now)
    return token


@transaction.atomic
def revoke_user_tokens(*, user: User, actor: Actor, reason: str) -> int:
    """Revoke every live token of the user (password changed, account deactivated); returns how many."""
    now = timezone.now()
    tokens = list(ApiToken.objects.select_related("workspace", "user").filter(user=user, revoked_at__isnull=True))
    ApiToken.objects.filter(pk__in=[t.pk for t in tokens]).update(revoked_at=now)
    for token in tokens:
        _audit_revocation(token, actor=actor, reason=reason, when=now)
    return len(tokens)


def record_audit(
    *,
    workspace: Workspace,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: Any,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Write one audit event."""
    return AuditEvent.objects.create(
        workspace=workspace,
        actor_kind=actor.kind,
        actor_user=actor.user,
        actor_label=actor.label[:200],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before,
        after=after,
    )


def record_audit_bulk(
    *, workspace: Workspace, actor: Actor, events: Iterable[tuple[str, str, Any, dict | None]]
) -> int:
    """Write many 'created' style audit events at once (imports, seeds): (action, object_type, object_id, after)."""
    from rapport.core import bulk

    # A lean insert (COPY on PostgreSQL): an import or a lifecycle pass can audit a million rows at once.
    now = timezone.now()
    user_id = actor.user.pk if actor.user is not None else None
    label = actor.label[:200]
    rows = [
        [workspace.pk, now, actor.kind, user_id, label, action, object_type, str(object_id), None, after]
        for action, object_type, object_id, after in events
    ]
    bulk.insert(
        AuditEvent,
        [
            "workspace",
            "created_at",
            "actor_kind",
            "actor_user",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "before",
            "after",
        ],
        rows,
    )
    return len(rows)


def audit_trail(
    *, workspace: Workspace, object_type: str, object_id: Any, limit: int = 50, exclude: Iterable[str] = ()
) -> list[AuditEvent]:
    """The newest audit events of one record (without the actions named in `exclude`)."""
    return list(
        AuditEvent.objects.filter(workspace=workspace, object_type=object_type, object_id=str(object_id))
        .exclude(action__in=list(exclude))
        .select_related("actor_user")
        .order_by("-created_at", "-id")[:limit]
    )

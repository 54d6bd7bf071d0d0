"""The settings hub and the users-and-roles section: invite by email (a signed link that sets the password and
expires after PASSWORD_RESET_TIMEOUT), change a role, deactivate or remove a member, send a password reset.

Every page is admin-only and scoped to the current workspace; every change is in the audit log."""

from __future__ import annotations

import logging
import smtplib

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from rapport.core.models import AuditEvent, Member, Role, User
from rapport.core.services import record_audit
from rapport.web.settings_kit import actor, admin_required, form_status, render_settings, scoped
from rapport.web.settings_registry import Section

log = logging.getLogger(__name__)

SECTIONS = (
    Section(
        key="users",
        title=gettext_lazy("Users and roles"),
        description=gettext_lazy(
            "Invite people by email, change their role, deactivate them or send a password reset."
        ),
        url_name="settings:users",
        order=10,
    ),
)


@admin_required
def hub(request: HttpRequest) -> HttpResponse:
    """Every settings section this role may open, and the workspace's latest configuration changes."""
    recent = AuditEvent.objects.filter(workspace=request.workspace, actor_kind="user").select_related("actor_user")[:10]
    return render_settings(request, "web/settings/hub.html", {"recent": recent}, section="hub")


# Users and roles ------------------------------------------------------------------------------------------------


def _admins(workspace_id: int) -> int:
    return Member.objects.filter(workspace_id=workspace_id, role=Role.ADMIN, user__is_active=True).count()


def set_password_link(request: HttpRequest, user: User) -> str:
    """An absolute link that lets the user choose a password; signed, single-use, expires (PASSWORD_RESET_TIMEOUT)."""
    path = reverse(
        "set-password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return request.build_absolute_uri(path)


def _expiry_text() -> str:
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    return f"{hours // 24} days" if hours >= 48 else f"{hours} hours"


def _mail_link(request: HttpRequest, user: User, *, invited: bool) -> tuple[str, bool]:
    """Mail the set-password link; (the link, whether the mail went out)."""
    link = set_password_link(request, user)
    ws = request.workspace.name
    if invited:
        subject = f"You are invited to {ws} on Rapport"
        body = f"{request.user.email} invited you to {ws} on Rapport.\n\nChoose your password here:\n{link}\n"
    else:
        subject = f"Reset your Rapport password ({ws})"
        body = f"An admin of {ws} sent you a link to choose a new password:\n{link}\n"
    body += f"\nThe link works once and expires in {_expiry_text()}.\n"
    try:
        send_mail(subject, body, None, [user.email], fail_silently=False)
    except (OSError, smtplib.SMTPException) as exc:  # the mail server is down or refuses: the admin passes it on
        log.warning("could not mail the set-password link to %s: %s", user.email, exc)
        return link, False
    return link, True


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.AGENT)

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if Member.objects.filter(workspace=self.workspace, user__email=email).exists():
            raise forms.ValidationError("is already a member of this workspace")
        return email


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)


@admin_required
def users(request: HttpRequest) -> HttpResponse:
    """The workspace's members with their role and state, and the invite form."""
    form = InviteForm(workspace=request.workspace)
    members = Member.objects.filter(workspace=request.workspace).select_related("user").order_by("user__email")
    return render_settings(
        request, "web/settings/users.html", {"members": members, "form": form, "me": request.user}, section="users"
    )


@admin_required
@require_POST
def invite(request: HttpRequest) -> HttpResponse:
    """Add a member: a new user gets an email with a link to choose a password; a known user joins at once."""
    form = InviteForm(request.POST, workspace=request.workspace)
    if not form.is_valid():
        members = Member.objects.filter(workspace=request.workspace).select_related("user").order_by("user__email")
        return render_settings(
            request,
            "web/settings/users.html",
            {"members": members, "form": form, "me": request.user},
            section="users",
            status=400,
        )
    data = form.cleaned_data
    with transaction.atomic():
        user = User.objects.filter(email=data["email"]).first()
        new = user is None
        if new:
            user = User.objects.create_user(
                data["email"], None, first_name=data["first_name"], last_name=data["last_name"]
            )
        if data["role"] == Role.ADMIN and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        member = Member.objects.create(workspace=request.workspace, user=user, role=data["role"])
        record_audit(
            workspace=request.workspace,
            actor=actor(request),
            action="member.invited",
            object_type="member",
            object_id=member.pk,
            after={"email": user.email, "role": member.role, "new_user": new},
        )
    if new:
        link, sent = _mail_link(request, user, invited=True)
        if sent:
            messages.success(
                request,
                f"{user.email} is invited as {member.get_role_display()}; the email with the link to choose a password "
                f"is sent (it expires in {_expiry_text()}). The link, to pass on yourself if needed: {link}",
            )
        else:
            messages.error(
                request,
                f"{user.email} is invited as {member.get_role_display()}, but the email could not be sent: pass on "
                f"this link yourself (it expires in {_expiry_text()}): {link}",
            )
    else:
        messages.success(request, f"{user.email} already has a Rapport account and is now a member here.")
    return redirect("settings:users")


@admin_required
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a member's role and name; the workspace keeps at least one active admin."""
    member = scoped(Member, request, pk)
    user = member.user
    form = RoleForm(
        request.POST or None,
        initial={"role": member.role, "first_name": user.first_name, "last_name": user.last_name},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if member.role == Role.ADMIN and data["role"] != Role.ADMIN and _admins(request.workspace.pk) <= 1:
            form.add_error("role", "this is the workspace's only admin: make someone else admin first")
        else:
            before = {"role": member.role, "first_name": user.first_name, "last_name": user.last_name}
            with transaction.atomic():
                member.role = data["role"]
                member.save(update_fields=["role"])
                user.first_name, user.last_name = data["first_name"], data["last_name"]
                if member.role == Role.ADMIN:
                    user.is_staff = True
                user.save(update_fields=["first_name", "last_name", "is_staff"])
                after = {"role": member.role, "first_name": user.first_name, "last_name": user.last_name}
                if before != after:
                    record_audit(
                        workspace=request.workspace,
                        actor=actor(request),
                        action="member.updated",
                        object_type="member",
                        object_id=member.pk,
                        before=before,
                        after=after,
                    )
            messages.success(request, f"{user.email}: {member.get_role_display()}.")
            return redirect("settings:users")
    return render_settings(
        request,
        "web/settings/member.html",
        {"member": member, "form": form, "me": request.user, "others": user.memberships.exclude(pk=member.pk).count()},
        section="users",
        status=form_status(request, form),
        history=("member", member.pk),
    )


def _member_action_refused(request: HttpRequest, member: Member, verb: str) -> bool:
    if member.user_id == request.user.pk:
        messages.error(request, f"You cannot {verb} yourself.")
        return True
    if member.role == Role.ADMIN and member.user.is_active and _admins(request.workspace.pk) <= 1:
        messages.error(request, f"{member.user.email} is the only admin: make someone else admin first.")
        return True
    return False


@admin_required
@require_POST
def member_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate (or reactivate) a member's account: no sign-in, every API token revoked. An account that belongs to
    other workspaces too is not this workspace's to switch off: remove it from the workspace instead."""
    member = scoped(Member, request, pk)
    user = member.user
    activate = request.POST.get("active") == "1"
    if not activate and _member_action_refused(request, member, "deactivate"):
        return redirect("settings:member", pk=member.pk)
    if user.memberships.exclude(workspace=request.workspace).exists():
        messages.error(request, f"{user.email} also works in other workspaces: remove them from this one instead.")
        return redirect("settings:member", pk=member.pk)
    if user.is_active != activate:
        with transaction.atomic():
            user.is_active = activate
            user.save(update_fields=["is_active"])  # deactivation revokes the API tokens (core.signals)
            record_audit(
                workspace=request.workspace,
                actor=actor(request),
                action="member.reactivated" if activate else "member.deactivated",
                object_type="member",
                object_id=member.pk,
                before={"active": not activate},
                after={"active": activate, "email": user.email},
            )
    messages.success(request, f"{user.email} is {'active again' if activate else 'deactivated'}.")
    return redirect("settings:users")


@admin_required
@require_POST
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a member out of this workspace (their account and other workspaces stay)."""
    member = scoped(Member, request, pk)
    if _member_action_refused(request, member, "remove"):
        return redirect("settings:member", pk=member.pk)
    with transaction.atomic():
        record_audit(
            workspace=request.workspace,
            actor=actor(request),
            action="member.removed",
            object_type="member",
            object_id=member.pk,
            before={"email": member.user.email, "role": member.role},
        )
        member.delete()
    messages.success(request, f"{member.user.email} is no longer a member of {request.workspace.name}.")
    return redirect("settings:users")


@admin_required
@require_POST
def member_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """Email the member a link to choose a new password (their current one works until they do)."""
    member = scoped(Member, request, pk)
    if not member.user.is_active:
        messages.error(request, f"{member.user.email} is deactivated: reactivate the account first.")
        return redirect("settings:member", pk=member.pk)
    link, sent = _mail_link(request, member.user, invited=False)
    record_audit(
        workspace=request.workspace,
        actor=actor(request),
        action="member.password_reset_sent",
        object_type="member",
        object_id=member.pk,
        after={"email": member.user.email},
    )
    if sent:
        messages.success(request, f"A link to choose a new password is sent to {member.user.email}.")
    else:
        messages.error(request, f"The email could not be sent: pass on this link yourself: {link}")
    return redirect("settings:member", pk=member.pk)


class SetPassword(auth_views.PasswordResetConfirmView):
    """Where an invitation or a reset link lands: choose a password, then sign in. A used or expired link says so."""

    template_name = "web/set_password.html"
    success_url = reverse_lazy("login")
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password is set: sign in with it.")
        return response

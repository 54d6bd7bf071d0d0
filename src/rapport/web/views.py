"""Web UI views shared by every area: home, workspace switching, the account page and the sign-in lockout."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.translation import get_language_from_request, gettext_lazy, gettext_noop
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.core import jobs as background_jobs
from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.core.middleware import MACHINE_PREFIXES, SESSION_KEY
from rapport.core.models import Member, Role
from rapport.core.services import has_permission, list_tokens, revoke_token, set_language

# What each permission lets a role do, in words for the "not allowed" page.
PERMISSION_WORDS = {
    "contacts.view": gettext_lazy("see contacts"),
    "contacts.change": gettext_lazy("change contacts"),
    "contacts.delete": gettext_lazy("delete contacts"),
    "contacts.import": gettext_lazy("import contacts"),
    "contacts.export": gettext_lazy("export contacts"),
    "audit.view": gettext_lazy("read the audit trail"),
    "identity.review": gettext_lazy("review possible duplicates"),
    "identity.merge": gettext_lazy("merge contacts"),
    "listening.view": gettext_lazy("see mentions"),
    "listening.ingest": gettext_lazy("load posts"),
    "listening.manage": gettext_lazy("manage tracking rules and alerts"),
    "channels.manage": gettext_lazy("manage channels"),
    "care.view": gettext_lazy("use the inbox"),
    "care.reply": gettext_lazy("answer conversations"),
    "care.assign": gettext_lazy("assign conversations"),
    "care.manage": gettext_lazy("see care reports and manage care settings"),
    "jobs.view": gettext_lazy("see background jobs"),
}


def not_allowed(request: HttpRequest, permission: str) -> str:
    """Why the user is refused, in words: the role and what it may not do."""
    if request.workspace is None:
        return _("You are not a member of any workspace yet. Ask an admin to invite you.")
    doing = PERMISSION_WORDS.get(permission, permission)
    label = _(ROLE_WORDS[request.role]) if request.role in ROLE_WORDS else request.role
    return _("The %(role)s role may not %(doing)s.") % {"role": label, "doing": doing}


# A role's name inside a sentence, as the 403 page words it ("The care agent role may not ...").
ROLE_WORDS = {
    Role.ADMIN: gettext_noop("admin"),
    Role.AGENT: gettext_noop("care agent"),
    Role.MARKETER: gettext_noop("marketer"),
    Role.COMMUNITY_MANAGER: gettext_noop("community manager"),
    Role.DPO: gettext_noop("data protection officer"),
}


def _backend_down(exc: BaseException | None) -> str | None:
    """Which backing service an exception says is unreachable for now ("database", "queue"), or None."""
    from django.db import InterfaceError, OperationalError

    if isinstance(exc, OperationalError | InterfaceError):
        return "database"
    try:
        import redis
    except ImportError:  # pragma: no cover - redis is a dependency; the queue is optional
        return None
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError | redis.BusyLoadingError):
        return "queue"
    return None


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page in the product's layout; without the request's context if that fails too (database down).

    A database or queue that is restarting is not a server error: the caller gets 503 with Retry-After (JSON on
    API, webhook, chat and health routes), so webhook senders and clients retry and nothing they sent is lost."""
    import sys

    from django.template import loader

    down = _backend_down(sys.exc_info()[1])
    if down is not None:
        detail = f"temporarily unavailable: the {down} is not answering; retry in a few seconds"
        if request.path.startswith((*MACHINE_PREFIXES, "/healthz")):  # callers that read JSON, and the probes
            response: HttpResponse = JsonResponse({"detail": detail}, status=503)
        else:
            title = _("Back in a moment")
            what = _("the database") if down == "database" else _("the queue")
            said = _("Temporarily unavailable: %(what)s is not answering; retry in a few seconds.") % {"what": what}
            lang = translation.get_language() or settings.LANGUAGE_CODE
            page = f'<!doctype html><html lang="{lang}"><title>{title}</title><h1>{title}</h1><p>{said}</p>'
            response = HttpResponse(page, status=503)
        response["Retry-After"] = "5"
        return response
    try:
        return HttpResponse(loader.render_to_string("500.html", request=request), status=500)
    except Exception:  # the error page must render even when what broke the request is still broken
        return HttpResponse(loader.render_to_string("500.html"), status=500)


def workspace_required(permission: str):
    """Decorator: signed in, a member of a workspace, and holding the permission there."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.workspace is None or not has_permission(role=request.role, permission=permission):
                raise PermissionDenied(not_allowed(request, permission))
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


# Where each role starts: the screen of the work it is for.
HOME_BY_ROLE = {
    "agent": "care:inbox",
    "community_manager": "care:inbox",
    "marketer": "listening:mentions",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Start where the role's work is: agents and community managers in the inbox, marketers on the mentions,
    admins and DPOs on the contacts."""
    return redirect(HOME_BY_ROLE.get(request.role or "", "contacts:list"))


@login_required
@require_POST
def switch_workspace(request: HttpRequest) -> HttpResponse:
    """Make another of the user's workspaces the current one."""
    member = Member.objects.filter(user=request.user, workspace__slug=request.POST.get("workspace", "")).first()
    if member is None:
        raise PermissionDenied("not a member of that workspace")
    request.session[SESSION_KEY] = member.workspace_id
    return redirect("home")


def locked_out(request: HttpRequest, response: HttpResponse | None = None, credentials: dict | None = None):
    """What a locked-out sign-in gets: a 429 JSON answer on the API, the lockout page in the product's layout."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    retry = {"Retry-After": str(int(settings.AXES_COOLOFF_TIME.total_seconds()))}
    if request.path.startswith("/api/"):
        detail = f"too many failed sign-ins: try again in {minutes} minutes"
        return JsonResponse({"detail": detail}, status=429, headers=retry)
    context = {"minutes": minutes, "limit": settings.AXES_FAILURE_LIMIT}
    page = render(request, "registration/locked_out.html", context, status=429)
    page["Retry-After"] = retry["Retry-After"]
    return page


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The signed-in user's account: their workspaces and roles, and their API tokens with a revoke button."""
    tokens = list(list_tokens(user=request.user))
    memberships = Member.objects.select_related("workspace").filter(user=request.user).order_by("workspace__name")
    context = {"tokens": tokens, "memberships": memberships, "nav": "account", "languages": settings.LANGUAGES}
    return render(request, "web/account.html", context)


@login_required
@require_POST
def language_view(request: HttpRequest) -> HttpResponse:
    """Save the language the user reads Rapport in; the next page is in it."""
    try:
        set_language(user=request.user, language=request.POST.get("language", ""))
    except FieldErrors as exc:
        messages.error(request, exc.errors["language"])
        return redirect("account")
    translation.activate(request.user.language or get_language_from_request(request))
    messages.success(request, _("Your language is saved."))
    return redirect("account")


@login_required
@require_POST
def revoke_token_view(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of the user's own API tokens."""
    token = revoke_token(user=request.user, token_id=token_id, actor=Actor.for_user(request.user))
    if token is None:
        raise Http404("no such token")
    messages.success(request, f"Token {token.prefix}… is revoked.")
    return redirect("account")


class PasswordChange(auth_views.PasswordChangeView):
    """Change your password; this session stays signed in, every API token of yours is revoked."""

    template_name = "web/password_change.html"
    success_url = reverse_lazy("account")
    extra_context = {"nav": "account"}

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password is changed; your API tokens are revoked.")
        return response


@workspace_required("jobs.view")
def jobs(request: HttpRequest) -> HttpResponse:
    """Scheduled background jobs (they serve every workspace): last and next run, failures and the last error."""
    return render(request, "web/jobs.html", {"nav": "jobs", "jobs": background_jobs.snapshot(), "now": timezone.now()})

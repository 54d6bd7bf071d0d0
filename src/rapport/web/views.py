"""Web UI views shared by every area: home and workspace switching."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from rapport.core import jobs as background_jobs
from rapport.core.middleware import SESSION_KEY
from rapport.core.models import Member
from rapport.core.services import has_permission


def workspace_required(permission: str):
    """Decorator: signed in, a member of a workspace, and holding the permission there."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.workspace is None or not has_permission(role=request.role, permission=permission):
                raise PermissionDenied(f"your role may not {permission}")
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Start on the contacts list."""
    return redirect("contacts:list")


@login_required
@require_POST
def switch_workspace(request: HttpRequest) -> HttpResponse:
    """Make another of the user's workspaces the current one."""
    member = Member.objects.filter(user=request.user, workspace__slug=request.POST.get("workspace", "")).first()
    if member is None:
        raise PermissionDenied("not a member of that workspace")
    request.session[SESSION_KEY] = member.workspace_id
    return redirect("home")


@workspace_required("jobs.view")
def jobs(request: HttpRequest) -> HttpResponse:
    """Scheduled background jobs (they serve every workspace): last and next run, failures and the last error."""
    return render(request, "web/jobs.html", {"nav": "jobs", "jobs": background_jobs.snapshot(), "now": timezone.now()})

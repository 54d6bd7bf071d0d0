"""Attach the signed-in user's current workspace and role to every request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from rapport.core.models import Member

SESSION_KEY = "rapport_workspace_id"


class WorkspaceMiddleware:
    """Sets request.member, request.workspace and request.role for the web UI (API tokens carry their own)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.member = request.workspace = request.role = None  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            members = Member.objects.select_related("workspace").filter(user=user)
            wanted = request.session.get(SESSION_KEY)
            member = (members.filter(workspace_id=wanted).first() if wanted else None) or members.order_by("id").first()
            if member is not None:
                request.member, request.workspace, request.role = member, member.workspace, member.role  # type: ignore[attr-defined]
        return self.get_response(request)

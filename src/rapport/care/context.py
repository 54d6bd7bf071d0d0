"""Template context: the signed-in agent's unread notifications, for the Inbox link of the nav."""

from __future__ import annotations

from django.http import HttpRequest

from rapport.core.services import has_permission


def unread_notifications(request: HttpRequest) -> dict:
    """{"unread_notifications": n} for people who use the inbox (one indexed count), nothing for others."""
    ws = getattr(request, "workspace", None)
    if ws is None or not has_permission(role=getattr(request, "role", None), permission="care.view"):
        return {}
    from rapport.care.notifications import unread_count

    return {"unread_notifications": unread_count(workspace_id=ws.pk, user=request.user)}

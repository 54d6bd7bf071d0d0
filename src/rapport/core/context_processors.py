"""Template context: the current workspace, role and the user's other workspaces."""

from django.http import HttpRequest

from rapport.core.models import Member


def workspace(request: HttpRequest) -> dict:
    """Expose the current workspace and the switcher's choices to every template."""
    ws = getattr(request, "workspace", None)
    if ws is None:
        return {}
    others = Member.objects.select_related("workspace").filter(user=request.user).order_by("workspace__name")
    return {"workspace": ws, "role": request.role, "my_workspaces": [m.workspace for m in others]}

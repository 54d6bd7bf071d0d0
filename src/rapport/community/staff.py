"""Staff pages of the community: the moderation queue and its rules. Signed in with a staff account, in the
workspace the address names, with the community.moderate permission."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rapport.community import moderation
from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.web.views import workspace_required


def _in_workspace(view):
    """The address's workspace must be the staff member's current one: no moderating another workspace's posts."""

    @wraps(view)
    def wrapper(request: HttpRequest, ws: str, *args, **kwargs) -> HttpResponse:
        if request.workspace.slug != ws:
            raise Http404
        return view(request, ws, *args, **kwargs)

    return wrapper


@workspace_required("community.moderate")
@_in_workspace
def queue_page(request: HttpRequest, ws: str) -> HttpResponse:
    errors: dict[str, str] = {}
    rules = moderation.settings_for(request.workspace)
    if request.method == "POST":
        try:
            rules = moderation.update_settings(
                workspace=request.workspace,
                actor=Actor.for_user(request.user),
                flags_to_hide=_int(request.POST.get("flags_to_hide"), "flags_to_hide"),
                moderate_first_posts=request.POST.get("moderate_first_posts") == "on",
                new_member_max_links=_int(request.POST.get("new_member_max_links"), "new_member_max_links"),
                return_after_hours=_int(
                    request.POST.get("return_after_hours", str(rules.return_after_hours)), "return_after_hours"
                ),
            )
            messages.success(request, "Moderation rules saved.")
            return redirect(f"/community/{ws}/moderation/")
        except FieldErrors as e:
            errors = e.errors
    return render(
        request,
        "community/moderation.html",
        {"nav": "community", "items": moderation.queue(request.workspace), "rules": rules, "errors": errors, "ws": ws},
        status=422 if errors else 200,
    )


def _int(value: str | None, name: str) -> int:
    try:
        return int((value or "").strip())
    except ValueError:
        raise FieldErrors({name: "a whole number"}) from None


@require_POST
@workspace_required("community.moderate")
@_in_workspace
def moderate_post(request: HttpRequest, ws: str, kind: str, pk: int) -> HttpResponse:
    post = moderation.find(request.workspace, kind, pk)
    if post is None:
        raise Http404
    try:
        moderation.moderate(
            post=post, action=request.POST.get("action", ""), user=request.user, note=request.POST.get("note", "")
        )
    except FieldErrors as e:
        field, error = next(iter(e.errors.items()))
        return HttpResponse(f"{field}: {error}", status=422, content_type="text/plain")
    except moderation.ModerationError as e:
        return HttpResponse(str(e), status=409, content_type="text/plain")
    done = {"approve": "approved", "hide": "hidden", "delete": "deleted"}[request.POST["action"]]
    messages.success(request, f"{kind.capitalize()} {pk} {done}.")
    return redirect(f"/community/{ws}/moderation/")

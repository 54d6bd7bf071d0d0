"""Staff pages of the community: the moderation queue and its rules. Signed in with a staff account, in the
workspace the address names, with the community.moderate permission."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from rapport.community import edits, moderation
from rapport.community.models import CommunityMember
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
        {
            "nav": "community",
            "items": moderation.queue(request.workspace),
            "rules": rules,
            "errors": errors,
            "ws": ws,
            "suspended": moderation.suspended_members(request.workspace),
        },
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


def parse_until(value: str | None) -> datetime | None:
    """A date typed by a moderator (YYYY-MM-DD): the member may act again from the start of that day. Empty: until
    lifted."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise FieldErrors({"until": "a date as YYYY-MM-DD, or empty for until lifted"}) from None
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


@require_POST
@workspace_required("community.moderate")
@_in_workspace
def suspend_member(request: HttpRequest, ws: str) -> HttpResponse:
    who = moderation.member_by_handle(request.workspace, request.POST.get("handle", "").strip())
    try:
        if who is None:
            raise FieldErrors({"handle": "no member of this community has this name"})
        until = parse_until(request.POST.get("until"))
        moderation.suspend(member=who, user=request.user, reason=request.POST.get("reason", ""), until=until)
    except FieldErrors as e:
        field, error = next(iter(e.errors.items()))
        return HttpResponse(f"{field}: {error}", status=422, content_type="text/plain")
    messages.success(request, f"{who.handle} is suspended{f' until {until:%Y-%m-%d}' if until else ''}.")
    return redirect(f"/community/{ws}/moderation/#suspended")


@require_POST
@workspace_required("community.moderate")
@_in_workspace
def lift_suspension(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    who = CommunityMember.objects.filter(workspace=request.workspace, pk=pk).first()
    if who is None:
        raise Http404
    try:
        moderation.lift(member=who, user=request.user, note=request.POST.get("note", ""))
    except FieldErrors as e:
        field, error = next(iter(e.errors.items()))
        return HttpResponse(f"{field}: {error}", status=422, content_type="text/plain")
    except moderation.ModerationError as e:
        return HttpResponse(str(e), status=409, content_type="text/plain")
    messages.success(request, f"{who.handle} may post again.")
    return redirect(f"/community/{ws}/moderation/#suspended")


@workspace_required("community.moderate")
@_in_workspace
def post_history(request: HttpRequest, ws: str, kind: str, pk: int) -> HttpResponse:
    """Every edit of a post, with the text before and after (moderators only)."""
    post = moderation.find(request.workspace, kind, pk)
    if post is None:
        raise Http404
    return render(
        request,
        "community/history.html",
        {"nav": "community", "ws": ws, "kind": kind, "post": post, "edits": edits.history(post)},
    )


def _days(request: HttpRequest) -> int | None:
    raw = request.GET.get("days", "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise FieldErrors({"days": "a whole number of days"}) from None


@workspace_required("community.moderate")
@_in_workspace
def analytics_page(request: HttpRequest, ws: str) -> HttpResponse:
    """Deflected cases, time to first answer, answer and acceptance rates, active members per week."""
    from rapport.community import analytics

    try:
        days = _days(request)
        report = analytics.report(request.workspace, days=days)
    except FieldErrors as e:
        field, error = next(iter(e.errors.items()))
        return HttpResponse(f"{field}: {error}", status=422, content_type="text/plain")
    return render(
        request,
        "community/analytics.html",
        {
            "nav": "community",
            "ws": ws,
            "r": report,
            "days": days or analytics.DEFAULT_DAYS,
            "chart": analytics.chart(report.weeks),
            "choices": (30, 90, 365),
        },
    )


@workspace_required("community.moderate")
@_in_workspace
def analytics_csv(request: HttpRequest, ws: str) -> HttpResponse:
    from rapport.community import analytics

    try:
        report = analytics.report(request.workspace, days=_days(request))
    except FieldErrors as e:
        field, error = next(iter(e.errors.items()))
        return HttpResponse(f"{field}: {error}", status=422, content_type="text/plain")
    response = HttpResponse(analytics.to_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="community-{ws}-weekly.csv"'
    return response

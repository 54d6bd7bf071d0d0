"""Pipeline pages: the dead-letter store, where admins see rejected payloads with their reasons and replay them."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rapport.core.ids import parse_id
from rapport.pipeline import deadletters
from rapport.pipeline.models import DeadLetter
from rapport.web.views import workspace_required


@workspace_required("channels.manage")
def dead_letters(request: HttpRequest) -> HttpResponse:
    """Rejected payloads with their reasons (admins)."""
    status = request.GET.get("status", "pending")
    qs = DeadLetter.objects.filter(workspace=request.workspace)
    if status in DeadLetter.Status.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "pipeline/dead_letters.html",
        {
            "rows": qs[:200],
            "count": qs.count(),
            "status": status,
            "statuses": DeadLetter.Status.values,
            "nav": "mentions",
        },
    )


@require_POST
@workspace_required("channels.manage")
def replay_dead_letters(request: HttpRequest) -> HttpResponse:
    """Replay one dead letter (id) or every pending one."""
    raw = request.POST.get("id", "").strip()
    letter = parse_id(raw)
    if raw and letter is None:
        messages.error(request, f"id: {raw[:40]!r} is not a dead letter's number; nothing was replayed.")
        return redirect("pipeline:dead-letters")
    ids = [letter] if letter is not None else None
    counts = deadletters.replay(workspace_id=request.workspace.pk, ids=ids)
    messages.info(
        request,
        f"Replayed {counts['replayed']}: {counts['stored']} stored, {counts['duplicates']} "
        f"already stored, {counts['failed']} still failing.",
    )
    return redirect("pipeline:dead-letters")

"""The agent's screen: the live priority queue (short polling with ETags), one conversation beside the person's
timeline and profile, replies with canned answers, notes, status, and the SLA / effort report."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rapport.care import live, queries, replies, routing, services
from rapport.care.charts import report_chart
from rapport.care.effort import effort_report
from rapport.care.live import QUEUE_SIZE
from rapport.care.models import AppliedSLA, CannedReply, Conversation, ConversationStatus
from rapport.care.sla import sla_report
from rapport.contacts.models import Person
from rapport.contacts.services import timeline
from rapport.core.actors import Actor
from rapport.core.models import User
from rapport.core.privacy import reader_for
from rapport.identity.models import SocialIdentity
from rapport.web.views import workspace_required


def _queue_rows(request: HttpRequest) -> list[Conversation]:
    mine = request.GET.get("mine") == "1"
    qs = queries.queue(
        workspace_id=request.workspace.pk,
        user=request.user,
        role=request.role,
        assignee=request.user.pk if mine else None,
    )
    rows, _ = queries.page(qs, order="priority", limit=QUEUE_SIZE)
    return rows


@workspace_required("care.view")
def inbox(request: HttpRequest) -> HttpResponse:
    """The queue, highest priority first, with SLA countdowns; updated live."""
    mine = request.GET.get("mine") == "1"
    version = live.queue_version(workspace_id=request.workspace.pk)  # read first: a change after it shows next poll
    fingerprint = live.queue_fingerprint(
        workspace_id=request.workspace.pk, user=request.user, role=request.role, mine=mine
    )
    return render(
        request,
        "care/inbox.html",
        {
            "nav": "inbox",
            "rows": _queue_rows(request),
            "mine": mine,
            "etag": live.etag(version, fingerprint),
            "poll_ms": int(settings.RAPPORT_CARE_POLL_SECONDS * 1000),
        },
    )


@workspace_required("care.view")
def queue_partial(request: HttpRequest) -> HttpResponse:
    """The queue rows only; the inbox polls it with If-None-Match and gets a bodiless 304 while nothing it shows
    changed (one index probe), so many open screens cost the server little and no request is ever held open."""
    mine = request.GET.get("mine") == "1"
    version = live.queue_version(workspace_id=request.workspace.pk)
    shown = live.parse_etag(request.headers.get("If-None-Match"))
    if shown is not None and shown[0] == version:
        return _not_modified(live.etag(*shown))
    fingerprint = live.queue_fingerprint(
        workspace_id=request.workspace.pk, user=request.user, role=request.role, mine=mine
    )
    if shown is not None and shown[1] == fingerprint:
        return _not_modified(live.etag(version, fingerprint))  # changes elsewhere in the workspace
    response = render(request, "care/_queue.html", {"rows": _queue_rows(request)})
    response["ETag"] = live.etag(version, fingerprint)
    response["Cache-Control"] = "private, no-cache"
    return response


def _not_modified(tag: str) -> HttpResponse:
    response = HttpResponseNotModified()
    response["ETag"] = tag
    response["Cache-Control"] = "private, no-cache"
    return response


def _conversation(request: HttpRequest, pk: int) -> Conversation:
    qs = routing.visible_conversations(workspace_id=request.workspace.pk, user=request.user, role=request.role)
    conv = qs.select_related("person", "identity", "assignee", "team", "workspace").filter(pk=pk).first()
    if conv is None:
        hidden = Conversation.objects.filter(workspace=request.workspace, pk=pk).select_related("team").first()
        if hidden is None:
            raise Http404("no such conversation")
        where = f"the {hidden.team.name} team's queue" if hidden.team else "another agent's queue"
        raise PermissionDenied(
            f"Conversation #{hidden.pk} is in {where}, and you are not in that team or assigned to it. "
            "An admin can add you to the team or assign the conversation to you; your own queue is in the inbox."
        )
    return conv


@workspace_required("care.view")
def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    """One conversation: messages, reply box with canned replies, notes; the person's timeline and profile beside."""
    conv = _conversation(request, pk)
    others = routing.record_view(conversation=conv, user=request.user)
    person: Person | None = conv.person
    touches = []
    identities = []
    if person is not None:
        touches, _ = timeline(workspace=request.workspace, person_ids=[person.pk], limit=30, reader=reader_for(request))
        identities = list(SocialIdentity.objects.filter(person=person))
    canned = [
        (c, replies.preview_canned(canned=c, conversation=conv, agent=request.user))
        for c in CannedReply.objects.filter(workspace=request.workspace)
    ]
    viewers = list(User.objects.filter(pk__in=others).values_list("email", flat=True))
    return render(
        request,
        "care/conversation.html",
        {
            "nav": "inbox",
            "c": conv,
            "msgs": conv.messages.select_related("author_user").order_by("created_at", "id"),
            "person": person,
            "touches": touches,
            "identities": identities,
            "canned": canned,
            "viewers": viewers,
            "statuses": ConversationStatus.choices,
            "sla": AppliedSLA.objects.filter(conversation=conv).first(),
        },
    )


@workspace_required("care.reply")
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a reply (or store a note) and come back to the conversation."""
    conv = _conversation(request, pk)
    text = request.POST.get("text", "").strip()[:5000]
    if not text:
        messages.error(request, "Write something first.")
    elif request.POST.get("note"):
        services.add_note(conversation=conv, agent=request.user, text=text)
        messages.success(request, "Note added.")
    else:
        msg = services.reply(conversation=conv, agent=request.user, text=text)
        if msg.delivery_status == "failed":
            messages.error(request, f"Not sent yet, will retry: {msg.last_error[:200]}")
        else:
            messages.success(request, "Reply sent." if msg.delivery_status == "sent" else "Reply recorded.")
    return redirect("care:conversation", pk=conv.pk)


@workspace_required("care.reply")
@require_POST
def set_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Change status (resolve, wait on customer...)."""
    conv = _conversation(request, pk)
    status = request.POST.get("status", "")
    if status in ConversationStatus.values:
        services.set_status(conversation=conv, actor=Actor.for_user(request.user), status=status)
        messages.success(request, f"Status: {conv.get_status_display()}.")
    return redirect("care:conversation", pk=conv.pk)


@workspace_required("care.manage")
def report(request: HttpRequest) -> HttpResponse:
    """SLA compliance and Customer Effort per channel (SVG), and CES / CSAT per team."""
    slas = sla_report(workspace_id=request.workspace.pk)
    effort = effort_report(workspace_id=request.workspace.pk)
    return render(
        request,
        "care/report.html",
        {"nav": "inbox", "sla": slas, "effort": effort, "chart": report_chart(slas, effort)},
    )


def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's one-click CSAT page (public: the signed token is the credential).

    A link with ?score=N records that rating as it is opened (a person's click, not a link preview's fetch);
    the page then thanks them and offers an optional comment, or a change of mind.
    """
    from rapport.care import surveys

    conversation = surveys.conversation_for(token)
    if conversation is None:
        return render(request, "care/survey.html", {"invalid": True}, status=404)
    done = surveys.answered(conversation)
    error = ""
    raw = request.POST.get("score", "") if request.method == "POST" else request.GET.get("score", "")
    if raw and (request.method == "POST" or surveys.by_a_person(request)):
        if not (raw.isascii() and raw.isdigit()):
            error = "Choose a rating from 1 to 5."
        else:
            comment = request.POST.get("comment") if request.method == "POST" else None
            try:
                done = surveys.rate(conversation=conversation, score=int(raw), comment=comment)
            except ValueError as exc:  # a rating outside 1-5, or the conversation was reopened since the link went out
                error = "Choose a rating from 1 to 5." if "score" in str(exc) else "This conversation is open again."
    elif request.method == "POST" and done is not None and "comment" in request.POST:
        done = surveys.rate(conversation=conversation, score=done.score, comment=request.POST["comment"])
    elif request.method == "POST":
        error = "Choose a rating from 1 to 5."
    return render(
        request,
        "care/survey.html",
        {
            "done": done,
            "error": error,
            "scores": list(zip(surveys.SCORES, surveys.LABELS, strict=True)),
            "commented": request.method == "POST" and done is not None and not error,
        },
        status=400 if error else 200,
    )

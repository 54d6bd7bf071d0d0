"""The agent's screen: the live priority queue (short polling with ETags), one conversation beside the person's
timeline and profile, replies with canned answers, notes, status, and the SLA / effort report."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from rapport.care import live, notifications, queries, replies, routing, services
from rapport.care.charts import report_chart
from rapport.care.effort import effort_report
from rapport.care.live import QUEUE_SIZE
from rapport.care.models import (
    AgentProfile,
    AppliedSLA,
    CallbackStatus,
    CallbackTask,
    CannedReply,
    Conversation,
    ConversationStatus,
    SavedView,
    Team,
)
from rapport.care.sla import sla_report
from rapport.contacts.models import Person
from rapport.contacts.services import record_view, timeline
from rapport.core.actors import Actor
from rapport.core.ids import parse_id
from rapport.core.models import User
from rapport.core.periods import day_range
from rapport.core.privacy import reader_for
from rapport.core.services import has_permission
from rapport.identity import services as identity_services
from rapport.identity.models import SocialIdentity
from rapport.web.views import workspace_required

CHANNELS = {"twitter", "facebook", "instagram", "mastodon", "bluesky", "email", "chat", "phone", "forum"}
TAG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
BREACHING_SOON = timedelta(hours=1)  # "breaching soon": an SLA target due within this time
FILTERS = ("view", "mine", "unassigned", "breaching", "channel", "team", "status", "language")
NETWORK = re.compile(r"^[a-z0-9_]{1,16}$")
LANGUAGE = re.compile(r"^(und|[a-z]{2,3}(-[a-z]{2})?)$")


class BadFilter(ValueError):
    """An inbox filter that is not one (names the field)."""


def _unstorable(data, *names: str) -> str:
    """The error for the first of these posted fields that holds a NUL (no PostgreSQL text column can store one,
    so saving it was a 500), naming the field; "" when they are all storable."""
    for name in names:
        if "\x00" in data.get(name, ""):
            return f"{name}: remove the NUL character (\\x00) from it."
    return ""


def _filters(request: HttpRequest) -> tuple[dict, dict]:
    """The inbox filters from the query string: (what the screen shows, queries.queue keywords)."""
    get = request.GET
    shown: dict = {k: get.get(k, "") for k in FILTERS if get.get(k, "")}
    kw: dict = {}
    if get.get("mine") == "1":
        kw["assignee"] = request.user.pk
    if get.get("unassigned") == "1":
        kw["unassigned"] = True
    if get.get("breaching") == "1":
        now = timezone.now()
        kw["due_between"] = (now, now + BREACHING_SOON)
    channel = get.get("channel", "").strip().lower()
    if channel:
        if not NETWORK.match(channel):
            raise BadFilter("channel: not a channel name")
        kw["channel"] = channel
    team = get.get("team", "").strip()
    if team:
        team_id = parse_id(team)
        if team_id is None or not Team.objects.filter(workspace=request.workspace, pk=team_id).exists():
            raise BadFilter("team: no such team in this workspace")
        kw["team"] = team_id
    status = get.get("status", "").strip()
    if status:
        if status not in ConversationStatus.values and status != "all":
            raise BadFilter(f"status: choose one of {', '.join([*ConversationStatus.values, 'all'])}")
        kw["status"] = status
    language = get.get("language", "").strip().lower()
    if language:
        if not LANGUAGE.match(language):
            raise BadFilter("language: a language code such as en, da or de")
        kw["language"] = language
    return shown, kw


def _queue_rows(request: HttpRequest, kw: dict) -> list[Conversation]:
    qs = queries.queue(workspace_id=request.workspace.pk, user=request.user, role=request.role, **kw)
    rows, _ = queries.page(qs, order="priority", limit=QUEUE_SIZE)
    return rows


def _fingerprint(request: HttpRequest, kw: dict) -> str:
    kw = dict(kw)
    assignee = kw.pop("assignee", None)
    return live.queue_fingerprint(
        workspace_id=request.workspace.pk, user=request.user, role=request.role, mine=assignee is not None, **kw
    )


def _saved_views(request: HttpRequest):
    return SavedView.objects.filter(workspace=request.workspace).filter(Q(user=request.user) | Q(shared=True))


@workspace_required("care.view")
def inbox(request: HttpRequest) -> HttpResponse:
    """The queue, highest priority first, with SLA countdowns; updated live. Filters and saved views narrow it,
    and checked rows can be assigned, closed or tagged at once."""
    error = ""
    try:
        shown, kw = _filters(request)
    except BadFilter as exc:
        error, shown, kw = str(exc), {}, {}
    version = live.queue_version(workspace_id=request.workspace.pk)  # read first: a change after it shows next poll
    fingerprint = _fingerprint(request, kw)
    query = urlencode({k: v for k, v in shown.items() if k != "view"})
    teams = list(Team.objects.filter(workspace=request.workspace))
    agents = AgentProfile.objects.filter(workspace=request.workspace).select_related("user").order_by("user__email")
    response = render(
        request,
        "care/inbox.html",
        {
            "nav": "inbox",
            "rows": _queue_rows(request, kw),
            "filters": shown,
            "query": query,
            "error": error,
            "teams": teams,
            "agents": [a.user for a in agents],
            "channels": sorted(CHANNELS),
            "statuses": ConversationStatus.choices,
            "views": _saved_views(request),
            "notifications": notifications.unread(workspace_id=request.workspace.pk, user=request.user),
            "callbacks": CallbackTask.objects.filter(
                workspace=request.workspace, assignee=request.user, status=CallbackStatus.OPEN
            ).select_related("conversation__person")[:20],
            "can_manage": has_permission(role=request.role, permission="care.manage"),
            "can_assign": has_permission(role=request.role, permission="care.assign"),
            "etag": live.etag(version, fingerprint),
            "poll_ms": int(settings.RAPPORT_CARE_POLL_SECONDS * 1000),
        },
        status=400 if error else 200,
    )
    return response


@workspace_required("care.view")
def queue_partial(request: HttpRequest) -> HttpResponse:
    """The queue rows only; the inbox polls it with If-None-Match and gets a bodiless 304 while nothing it shows
    changed (one index probe), so many open screens cost the server little and no request is ever held open."""
    try:
        _, kw = _filters(request)
    except BadFilter as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    version = live.queue_version(workspace_id=request.workspace.pk)
    shown = live.parse_etag(request.headers.get("If-None-Match"))
    if shown is not None and shown[0] == version:
        return _not_modified(live.etag(*shown))
    fingerprint = _fingerprint(request, kw)
    if shown is not None and shown[1] == fingerprint:
        return _not_modified(live.etag(version, fingerprint))  # changes elsewhere in the workspace
    response = render(
        request,
        "care/_queue.html",
        {"rows": _queue_rows(request, kw), "can_assign": has_permission(role=request.role, permission="care.assign")},
    )
    response["ETag"] = live.etag(version, fingerprint)
    response["Cache-Control"] = "private, no-cache"
    return response


@workspace_required("care.view")
@require_POST
def save_view(request: HttpRequest) -> HttpResponse:
    """Keep the current filters under a name (shared with the workspace if asked)."""
    name = request.POST.get("name", "").strip()[:60]
    query = request.POST.get("query", "")[:500]
    back = reverse("care:inbox") + (f"?{query}" if query else "")
    if error := _unstorable(request.POST, "name", "query"):
        messages.error(request, error)
        return redirect("care:inbox")
    if not name:
        messages.error(request, "name: give the view a name.")
        return redirect(back)
    view, created = SavedView.objects.update_or_create(
        workspace=request.workspace,
        user=request.user,
        name=name,
        defaults={"query": query, "shared": request.POST.get("shared") == "1"},
    )
    messages.success(request, f"View “{view.name}” {'saved' if created else 'updated'}.")
    return redirect(reverse("care:inbox") + f"?{query}&view={view.pk}" if query else back)


@workspace_required("care.view")
@require_POST
def delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete one of your own saved views."""
    view = SavedView.objects.filter(workspace=request.workspace, user=request.user, pk=pk).first()
    if view is None:
        raise Http404("no such view of yours")
    view.delete()
    messages.success(request, f"View “{view.name}” deleted.")
    return redirect("care:inbox")


@workspace_required("care.assign")
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Assign, close or tag the checked conversations at once (those the user may see; others are skipped)."""
    back = reverse("care:inbox") + (f"?{request.POST['query']}" if request.POST.get("query") else "")
    ids = [i for i in map(parse_id, request.POST.getlist("ids")) if i is not None][:200]
    action = request.POST.get("action", "")
    if not ids:
        messages.error(request, "Check one or more conversations first.")
        return redirect(back)
    visible = routing.visible_conversations(workspace_id=request.workspace.pk, user=request.user, role=request.role)
    convs = list(visible.filter(pk__in=ids).select_related("workspace"))
    actor = Actor.for_user(request.user)
    if action == "assign":
        raw = request.POST.get("assignee", "")
        if raw == "me":
            user = request.user
        else:
            user = User.objects.filter(
                pk=parse_id(raw) or 0,
                agent_profiles__workspace=request.workspace,
            ).first()
        if user is None:
            messages.error(request, "assignee: choose an agent of this workspace.")
            return redirect(back)
        for conv in convs:
            routing.reassign(conversation=conv, actor=actor, user=user)
        who = "you" if user.pk == request.user.pk else user.email
        messages.success(request, f"Assigned {len(convs)} conversation{'s' if len(convs) != 1 else ''} to {who}.")
    elif action == "team":
        raw = request.POST.get("team", "")
        team = Team.objects.filter(workspace=request.workspace, pk=parse_id(raw) or 0).first()
        if team is None:
            messages.error(request, "team: choose a team of this workspace.")
            return redirect(back)
        for conv in convs:
            routing.reassign(conversation=conv, actor=actor, team=team)
        messages.success(request, f"Moved {len(convs)} conversation{'s' if len(convs) != 1 else ''} to {team.name}.")
    elif action == "close":
        for conv in convs:
            services.resolve(conversation=conv, actor=actor)
        messages.success(request, f"Closed {len(convs)} conversation{'s' if len(convs) != 1 else ''}.")
    elif action == "tag":
        tag = request.POST.get("tag", "").strip().lower()[:40]
        if not TAG.match(tag):
            messages.error(request, "tag: letters, digits, - and _ only.")
            return redirect(back)
        for conv in convs:
            services.set_tags(conversation=conv, tags=[*conv.tags, tag])
        messages.success(request, f"Tagged {len(convs)} conversation{'s' if len(convs) != 1 else ''} “{tag}”.")
    else:
        messages.error(request, "action: choose assign, team, close or tag.")
    skipped = len(set(ids)) - len(convs)
    if skipped:
        messages.warning(request, f"{skipped} of them are not in your queues and were left alone.")
    return redirect(back)


@workspace_required("care.view")
@require_POST
def read_notifications(request: HttpRequest) -> HttpResponse:
    """Mark your notifications read (one, or all)."""
    raw = request.POST.get("id", "")
    if raw and parse_id(raw) is None:
        messages.error(request, "id: not a notification of yours.")
        return redirect("care:inbox")
    notifications.mark_read(workspace_id=request.workspace.pk, user=request.user, ids=[parse_id(raw)] if raw else None)
    return redirect(request.POST.get("next") if request.POST.get("next", "").startswith("/inbox/") else "care:inbox")


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
        record_view(person, actor=Actor.for_user(request.user), what="conversation")
        touches, _ = timeline(workspace=request.workspace, person_ids=[person.pk], limit=30, reader=reader_for(request))
        identities = list(SocialIdentity.objects.filter(person=person))
    canned = [
        (c, replies.preview_canned(canned=c, conversation=conv, agent=request.user))
        for c in CannedReply.objects.filter(workspace=request.workspace)
    ]
    viewers = list(User.objects.filter(pk__in=others).values_list("email", flat=True))
    claims = (
        []
        if person is not None
        else identity_services.pending_claims(workspace=request.workspace, identity_id=conv.identity_id)
    )
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
            "claims": claims,
            "may_decide_claims": has_permission(role=request.role, permission="identity.merge"),
            "canned": canned,
            "viewers": viewers,
            "statuses": ConversationStatus.choices,
            "sla": AppliedSLA.objects.filter(conversation=conv).first(),
            "callbacks": conv.callbacks.select_related("assignee").order_by("status", "due_at"),
        },
    )


@workspace_required("care.reply")
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a reply (or store a note) and come back to the conversation."""
    conv = _conversation(request, pk)
    text = request.POST.get("text", "").strip()[:5000]
    if error := _unstorable(request.POST, "text"):
        messages.error(request, error)
    elif not text:
        messages.error(request, "Write something first.")
    elif request.POST.get("note"):
        services.add_note(conversation=conv, agent=request.user, text=text)
        messages.success(request, "Note added.")
    else:
        msg = services.reply(conversation=conv, agent=request.user, text=text)
        if msg.delivery_status == "failed":
            messages.error(request, f"Not sent yet, will retry: {msg.last_error[:200]}")
        elif msg.delivery_status != "sent" and msg.last_error.startswith("recorded only, "):
            messages.warning(request, f"Reply recorded, not sent: {msg.last_error.removeprefix('recorded only, ')}")
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


def _report_rows(slas: dict, effort: dict) -> list[dict]:
    """The report as rows, one per channel and per team: what the page's tables and the CSV both show."""
    rows = []
    for channel in sorted(set(slas["channels"]) | set(effort["channels"])):
        s, e = slas["channels"].get(channel, {}), effort["channels"].get(channel, {})
        rows.append({"dimension": "channel", "name": channel, **_report_cells(s, e)})
    for team, e in effort["teams"].items():
        rows.append({"dimension": "team", "name": team, **_report_cells({}, e)})
    return rows


def _report_cells(s: dict, e: dict) -> dict:
    share = s.get("share_met")
    return {
        "targets_met": s.get("met", ""),
        "targets_missed": s.get("missed", ""),
        "sla_met_percent": "" if share is None else round(share * 100, 1),
        "resolved_with_effort_score": e.get("conversations", ""),
        "ces": "" if e.get("ces") is None else e["ces"],
        "csat": "" if e.get("csat") is None else e["csat"],
    }


REPORT_COLUMNS = [
    "dimension",
    "name",
    "targets_met",
    "targets_missed",
    "sla_met_percent",
    "resolved_with_effort_score",
    "ces",
    "csat",
]


@workspace_required("care.manage")
def report(request: HttpRequest) -> HttpResponse:
    """SLA compliance and Customer Effort per channel (SVG), and CES / CSAT per team, for a period; ?format=csv
    downloads the same rows."""
    from rapport.core import csvsafe

    days = day_range(request.GET)
    error = days.error(request.GET)
    since, until = days.window() if not error else (None, None)
    slas = sla_report(workspace_id=request.workspace.pk, since=since, until=until)
    effort = effort_report(workspace_id=request.workspace.pk, since=since, until=until)
    rows = _report_rows(slas, effort)
    if request.GET.get("format") == "csv" and not error:
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        return csvsafe.download(
            csvsafe.dict_lines(REPORT_COLUMNS, rows), f"care-report-{request.workspace.slug}-{stamp}.csv"
        )
    overall = slas["overall"]["share_met"]
    return render(
        request,
        "care/report.html",
        {
            "nav": "inbox",
            "sla": slas,
            "overall_percent": None if overall is None else round(overall * 100, 1),
            "channel_rows": [r for r in rows if r["dimension"] == "channel"],
            "team_rows": [r for r in rows if r["dimension"] == "team"],
            "chart": report_chart(slas, effort),
            "period": {"from": None if error else days.start, "to": None if error else days.end},
            "error": error,
            "csv_query": urlencode(
                {k: request.GET[k] for k in ("from", "to") if request.GET.get(k)} | {"format": "csv"}
            ),
        },
        status=422 if error else 200,
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
    comment = request.POST.get("comment") if request.method == "POST" else None
    score = None
    if request.method == "POST" and (error := _unstorable(request.POST, "comment")):
        pass
    elif raw and (request.method == "POST" or surveys.by_a_person(request)):
        if not (raw.isascii() and raw.isdigit()):
            error = gettext("Choose a rating from 1 to 5.")
        else:
            score = int(raw)
    elif request.method == "POST" and done is not None and comment is not None:
        score = done.score  # a comment on the rating already given
    elif request.method == "POST":
        error = gettext("Choose a rating from 1 to 5.")
    if score is not None:
        try:
            done = surveys.rate(conversation=conversation, score=score, comment=comment)
        except ValueError as exc:  # a rating outside 1-5, or the conversation was reopened since the link went out
            error = (
                gettext("Choose a rating from 1 to 5.")
                if "score" in str(exc)
                else gettext("This conversation is open again.")
            )
    return render(
        request,
        "care/survey.html",
        {
            "done": done,
            "error": error,
            "scores": [(s, gettext(label)) for s, label in zip(surveys.SCORES, surveys.LABELS, strict=True)],
            "commented": request.method == "POST" and done is not None and not error,
        },
        status=400 if error else 200,
    )


@workspace_required("identity.merge")
@require_POST
def decide_claim(request: HttpRequest, pk: int, claim: int, decision: str) -> HttpResponse:
    """The author of this conversation says they are a contact: confirm it, dismiss it, or mail the contact to ask."""
    conv = _conversation(request, pk)
    if conv.identity_id is None or not any(
        c.id == claim
        for c in identity_services.pending_claims(workspace=request.workspace, identity_id=conv.identity_id)
    ):
        raise Http404("no such open claim in this conversation")
    actor = Actor.for_user(request.user)
    try:
        if decision == "confirm":
            identity_services.confirm_claim(workspace=request.workspace, claim_id=claim, actor=actor)
            messages.success(request, "Confirmed: the account is linked and its messages joined the contact's history.")
        elif decision == "dismiss":
            identity_services.dismiss_claim(workspace=request.workspace, claim_id=claim, actor=actor)
            messages.success(request, "Dismissed: the account stays unlinked and this claim is not raised again.")
        elif decision == "verify":
            identity_services.send_verification(workspace=request.workspace, claim_id=claim, actor=actor)
            messages.success(request, "Verification email sent to the address on file; the link is valid for 2 days.")
        else:
            raise Http404("decision: choose confirm, dismiss or verify")
    except identity_services.ClaimError as exc:
        messages.error(request, str(exc))
    return redirect("care:conversation", pk=conv.pk)


@workspace_required("care.reply")
@require_POST
def schedule_callback(request: HttpRequest, pk: int) -> HttpResponse:
    """Promise the customer a call back (you, unless another agent is chosen)."""
    from rapport.care import callbacks

    conv = _conversation(request, pk)
    if error := _unstorable(request.POST, "phone", "note"):
        messages.error(request, error)
        return redirect("care:conversation", pk=conv.pk)
    raw = request.POST.get("due_at", "").strip()
    try:
        due = datetime.fromisoformat(raw)
    except ValueError:
        messages.error(request, "due_at: give a date and time, e.g. 2026-05-04 14:30.")
        return redirect("care:conversation", pk=conv.pk)
    if timezone.is_naive(due):
        due = timezone.make_aware(due)
    callbacks.schedule(
        conversation=conv,
        assignee=request.user,
        due_at=due,
        actor=Actor.for_user(request.user),
        phone=request.POST.get("phone", "").strip(),
        note=request.POST.get("note", "").strip(),
    )
    messages.success(request, f"Callback planned for {timezone.localtime(due):%Y-%m-%d %H:%M}.")
    return redirect("care:conversation", pk=conv.pk)


@workspace_required("care.reply")
@require_POST
def complete_callback(request: HttpRequest, pk: int, task: int) -> HttpResponse:
    """Log the call you made: it joins the conversation."""
    from rapport.care import callbacks

    conv = _conversation(request, pk)
    todo = CallbackTask.objects.filter(conversation=conv, pk=task, status=CallbackStatus.OPEN).first()
    if todo is None:
        raise Http404("no such open callback")
    outcome = request.POST.get("outcome", "").strip()
    if error := _unstorable(request.POST, "outcome"):
        messages.error(request, error)
        return redirect("care:conversation", pk=conv.pk)
    if not outcome:
        messages.error(request, "outcome: say what came of the call.")
        return redirect("care:conversation", pk=conv.pk)
    callbacks.complete(task=todo, agent=request.user, outcome=outcome)
    messages.success(request, "Call logged in the conversation.")
    return redirect("care:conversation", pk=conv.pk)

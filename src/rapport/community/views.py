"""The public community pages: server-rendered, no staff login, usable without JavaScript.

Only public community data reaches these pages: members' handles, questions, answers and reputation. Emails,
CRM fields and inbox notes never do; a question asked from the inbox shows only its anonymised text.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from rapport.community import levels, moderation, services
from rapport.community.models import Answer, Category, CommunityMember, FlagReason
from rapport.core.apitypes import CONTROL
from rapport.core.errors import FieldErrors
from rapport.core.models import Workspace
from rapport.core.ratelimit import hit

POSTS_PER_HOUR = 20
FLAGS_PER_HOUR = 20
SIGNINS_PER_MINUTE = 10
JOINS_PER_HOUR = 5


def _session_key(workspace: Workspace) -> str:
    return f"community_member:{workspace.pk}"


def _workspace(slug: str) -> Workspace:
    return get_object_or_404(Workspace, slug=slug)


def _member(request: HttpRequest, workspace: Workspace) -> CommunityMember | None:
    pk = request.session.get(_session_key(workspace))
    if not pk:
        return None
    # A suspended member stays signed in and may read; every action refuses them (services._active) and the pages
    # say why. A suspension whose end has passed is lifted here.
    return moderation.lift_if_ended(CommunityMember.objects.filter(pk=pk, workspace=workspace).first())


def _client(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def _page(request: HttpRequest, workspace: Workspace, template: str, context: dict, status: int = 200) -> HttpResponse:
    base = {
        "ws": workspace,
        "me": _member(request, workspace),
        "categories": Category.objects.filter(workspace=workspace),
    }
    return render(request, f"community/{template}", {**base, **context}, status=status)


def _too_many(request: HttpRequest, workspace: Workspace) -> HttpResponse:
    return _page(request, workspace, "message.html", {"message": _("Too many requests: please wait a little.")}, 429)


def index(request: HttpRequest, ws: str) -> HttpResponse:
    workspace = _workspace(ws)
    cats = Category.objects.filter(workspace=workspace).annotate(
        n=Count("questions", filter=Q(questions__hidden=False))
    )
    recent = services.visible_questions(workspace).select_related("category").order_by("-created_at")[:10]
    return _page(
        request,
        workspace,
        "index.html",
        {"category_counts": cats, "recent": recent, "hero": services.hero(workspace=workspace)},
    )


def category(request: HttpRequest, ws: str, slug: str) -> HttpResponse:
    workspace = _workspace(ws)
    cat = get_object_or_404(Category, workspace=workspace, slug=slug)
    # The page's 50 questions first, then their answer counts: never a GROUP BY over the whole topic.
    questions = list(services.visible_questions(workspace).filter(category=cat).order_by("-created_at", "-pk")[:50])
    counts = dict(
        Answer.objects.filter(question__in=[q.pk for q in questions], hidden=False)
        .values("question_id")
        .annotate(n=Count("pk"))
        .values_list("question_id", "n")
    )
    for q in questions:
        q.n = counts.get(q.pk, 0)
    experts = services.experts(workspace=workspace, topic=cat.slug, limit=5)
    return _page(request, workspace, "category.html", {"cat": cat, "questions": questions, "experts": experts})


def question(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    workspace = _workspace(ws)
    q = get_object_or_404(services.visible_questions(workspace).select_related("category", "author"), pk=pk)
    answers = (
        q.answers.filter(hidden=False)
        .select_related("author")
        .annotate(helpful=Count("votes"))
        .order_by("-accepted_at", "created_at")
    )
    me = _member(request, workspace)
    return _page(
        request,
        workspace,
        "question.html",
        {
            "q": q,
            "answers": answers,
            "can_accept": me is not None and not me.suspended and q.author_id == me.pk and not q.accepted_answer_id,
            "can_flag": me is not None and not me.suspended and moderation.may_flag(me),
            "flag_reasons": FlagReason.choices,
        },
    )


def search(request: HttpRequest, ws: str) -> HttpResponse:
    workspace = _workspace(ws)
    text = request.GET.get("q", "")[:200]
    return _page(request, workspace, "search.html", {"text": text, "results": services.search(workspace, text)})


@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest, ws: str) -> HttpResponse:
    workspace = _workspace(ws)
    me = _member(request, workspace)
    if me is None:
        return redirect(f"/community/{workspace.slug}/signin")
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not hit(f"community:post:{me.pk}", limit=POSTS_PER_HOUR, window=3600):
            return _too_many(request, workspace)
        slug = request.POST.get("category", "")
        cat = None if CONTROL.search(slug) else Category.objects.filter(workspace=workspace, slug=slug).first()
        try:
            if cat is None:
                raise FieldErrors({"category": _("choose a category")})
            tags = request.POST.get("tags", "").split(",")
            q = services.ask(
                author=me,
                category=cat,
                title=request.POST.get("title", ""),
                body=request.POST.get("body", ""),
                tags=tags,
            )
            if q.hidden:
                return _held(request, workspace, "question", q.moderation_reason)
            return redirect(f"/community/{workspace.slug}/q/{q.pk}/")
        except FieldErrors as e:
            errors = e.errors
        except services.CommunityError as e:
            return _page(request, workspace, "message.html", {"message": str(e)}, 403)
    return _page(request, workspace, "ask.html", {"errors": errors, "form": request.POST}, 422 if errors else 200)


@require_POST
def answer(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    workspace = _workspace(ws)
    me = _member(request, workspace)
    if me is None:
        return redirect(f"/community/{workspace.slug}/signin")
    q = get_object_or_404(services.visible_questions(workspace), pk=pk)
    if not hit(f"community:post:{me.pk}", limit=POSTS_PER_HOUR, window=3600):
        return _too_many(request, workspace)
    try:
        a = services.answer(question=q, author=me, body=request.POST.get("body", ""))
    except FieldErrors as e:
        return _page(
            request,
            workspace,
            "message.html",
            {"message": _("Your answer: %(error)s.") % {"error": e.errors["body"]}},
            422,
        )
    except services.CommunityError as e:
        return _page(request, workspace, "message.html", {"message": str(e)}, 403)
    if a.hidden:
        return _held(request, workspace, "answer", a.moderation_reason)
    return redirect(f"/community/{workspace.slug}/q/{q.pk}/")


def _held(request: HttpRequest, workspace: Workspace, what: str, reason: str) -> HttpResponse:
    """The post is saved but waits for a moderator (202: accepted, not yet public)."""
    if what == "question":
        message = _("Thank you: your question waits for a moderator before it appears (%(reason)s).")
    else:
        message = _("Thank you: your answer waits for a moderator before it appears (%(reason)s).")
    message %= {"reason": _(reason)}
    return _page(request, workspace, "message.html", {"message": message}, 202)


@require_POST
def flag(request: HttpRequest, ws: str, kind: str, pk: int) -> HttpResponse:
    """A member reports a question or an answer; enough reports hide it until a moderator looks."""
    workspace = _workspace(ws)
    me = _member(request, workspace)
    if me is None:
        return redirect(f"/community/{workspace.slug}/signin")
    if kind == "q":
        post = get_object_or_404(services.visible_questions(workspace), pk=pk)
        target = {"question": post}
        back = post.pk
    else:
        visible = Answer.objects.filter(workspace=workspace, hidden=False, question__hidden=False)
        post = get_object_or_404(visible, pk=pk)
        target = {"answer": post}
        back = post.question_id
    if not hit(f"community:flag:{me.pk}", limit=FLAGS_PER_HOUR, window=3600):
        return _too_many(request, workspace)
    try:
        moderation.flag(member=me, reason=request.POST.get("reason", ""), note=request.POST.get("note", ""), **target)
    except FieldErrors as e:
        field, error = next(iter(e.errors.items()))
        return _page(
            request,
            workspace,
            "message.html",
            {"message": _("Your report (%(field)s): %(error)s.") % {"field": field, "error": error}},
            422,
        )
    except services.CommunityError as e:
        return _page(request, workspace, "message.html", {"message": str(e)}, 403)
    message = _("Thank you: the moderators will look at it.")
    return _page(request, workspace, "message.html", {"message": message, "back": f"q/{back}/"}, 200)


def _answer_action(request: HttpRequest, ws: str, pk: int, action) -> HttpResponse:
    workspace = _workspace(ws)
    me = _member(request, workspace)
    if me is None:
        return redirect(f"/community/{workspace.slug}/signin")
    a = get_object_or_404(Answer.objects.filter(workspace=workspace, hidden=False, question__hidden=False), pk=pk)
    try:
        action(a, me)
    except services.CommunityError as e:
        return _page(request, workspace, "message.html", {"message": str(e)}, 403)
    return redirect(f"/community/{workspace.slug}/q/{a.question_id}/")


@require_POST
def helpful(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    return _answer_action(request, ws, pk, lambda a, me: services.vote_helpful(answer=a, voter=me))


@require_POST
def accept(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    return _answer_action(request, ws, pk, lambda a, me: services.accept(answer=a, by_member=me))


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, ws: str) -> HttpResponse:
    workspace = _workspace(ws)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not hit(f"community:join:{_client(request)}", limit=JOINS_PER_HOUR, window=3600):
            return _too_many(request, workspace)
        try:
            member = services.join(
                workspace=workspace,
                handle=request.POST.get("handle", ""),
                email=request.POST.get("email", ""),
                password=request.POST.get("password", ""),
                confirm_email=True,
            )
            request.session.cycle_key()
            request.session[_session_key(workspace)] = member.pk
            message = _("Welcome! We sent you an email: use its link to confirm your address, then ask and answer.")
            return _page(request, workspace, "message.html", {"message": message}, 201)
        except FieldErrors as e:
            errors = e.errors
    form = {"handle": request.POST.get("handle", ""), "email": request.POST.get("email", "")}
    return _page(request, workspace, "join.html", {"errors": errors, "form": form}, 422 if errors else 200)


@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest, ws: str) -> HttpResponse:
    workspace = _workspace(ws)
    error = ""
    if request.method == "POST":
        email = request.POST.get("email", "")[:254]
        if not hit(f"community:signin:{_client(request)}", limit=SIGNINS_PER_MINUTE, window=60) or not hit(
            f"community:signin:{workspace.pk}:{email.strip().lower()}", limit=SIGNINS_PER_MINUTE, window=60
        ):
            return _too_many(request, workspace)
        member = services.authenticate(workspace=workspace, email=email, password=request.POST.get("password", ""))
        if member is not None:
            request.session.cycle_key()
            request.session[_session_key(workspace)] = member.pk
            return redirect(f"/community/{workspace.slug}/")
        error = _("Wrong email or password.")
    return _page(request, workspace, "signin.html", {"error": error}, 401 if error else 200)


@require_POST
def signout(request: HttpRequest, ws: str) -> HttpResponse:
    workspace = _workspace(ws)
    request.session.pop(_session_key(workspace), None)
    return redirect(f"/community/{workspace.slug}/")


def profile(request: HttpRequest, ws: str, handle: str) -> HttpResponse:
    """A member's public profile: their level and what it unlocks, badges, reputation and public answers."""
    workspace = _workspace(ws)
    if CONTROL.search(handle) or len(handle) > 40:
        raise Http404
    who = get_object_or_404(CommunityMember, workspace=workspace, handle=handle, suspended=False)
    table = levels.table(workspace.pk)
    levels.refresh(who, levels=table)  # membership age alone can move the level
    s = levels.stats(who)
    reached = [lv for lv in table if lv.number <= who.trust_level]
    answers = (
        Answer.objects.filter(author=who, hidden=False, question__hidden=False)
        .select_related("question")
        .order_by("-created_at")[:10]
    )
    badges = [(levels.BADGE_BY_SLUG.get(b.badge), b) for b in who.badges.all()]
    following = levels.next_level(who, s, table)
    if following is not None:  # the level's words are kept in English and shown in the visitor's language
        level, missing = following
        following = (gettext(level.name), "; ".join(gettext(u) for u in level.unlocks), ", ".join(missing))
    return _page(
        request,
        workspace,
        "profile.html",
        {
            "who": who,
            "stats": s,
            "score": services.score(who),
            "unlocks": [u for lv in reached for u in lv.unlocks],
            "next": following,
            "badges": [(d, b) for d, b in badges if d is not None],
            "answers": answers,
            "levels": table,
        },
    )


@require_http_methods(["GET", "POST"])
def edit_post(request: HttpRequest, ws: str, kind: str, pk: int) -> HttpResponse:
    """A member edits their own question or answer; the old text is kept in the history moderators read."""
    from rapport.community import edits
    from rapport.community.models import Question

    workspace = _workspace(ws)
    me = _member(request, workspace)
    if me is None:
        return redirect(f"/community/{workspace.slug}/signin")
    model = Question if kind == "q" else Answer
    post = get_object_or_404(model.objects.filter(workspace=workspace, author=me), pk=pk)
    back = post.pk if kind == "q" else post.question_id
    errors: dict[str, str] = {}
    form = {"title": getattr(post, "title", ""), "body": post.body}
    if request.method == "POST":
        if not hit(f"community:post:{me.pk}", limit=POSTS_PER_HOUR, window=3600):
            return _too_many(request, workspace)
        form = {"title": request.POST.get("title", ""), "body": request.POST.get("body", "")}
        try:
            edits.edit(post=post, member=me, body=form["body"], title=form["title"] if kind == "q" else None)
            return redirect(f"/community/{workspace.slug}/q/{back}/")
        except FieldErrors as e:
            errors = e.errors
        except edits.EditError as e:
            return _page(request, workspace, "message.html", {"message": str(e)}, 403)
    return _page(
        request,
        workspace,
        "edit.html",
        {"kind": kind, "post": post, "form": form, "errors": errors, "back": back},
        422 if errors else 200,
    )


def verify(request: HttpRequest, ws: str, token: str) -> HttpResponse:
    """The link from the confirmation email (works once, expires)."""
    from rapport.community import verification

    workspace = _workspace(ws)
    try:
        verification.confirm(workspace.pk, token)
    except verification.BadLink as e:
        return _page(request, workspace, "message.html", {"message": str(e)}, 400)
    message = _("Thank you: your email address is confirmed. You can ask, answer and vote now.")
    return _page(request, workspace, "message.html", {"message": message})


@require_POST
def resend_verification(request: HttpRequest, ws: str) -> HttpResponse:
    from rapport.community import verification

    workspace = _workspace(ws)
    me = _member(request, workspace)
    if me is None:
        return redirect(f"/community/{workspace.slug}/signin")
    if me.email_verified_at is not None:
        return _page(request, workspace, "message.html", {"message": _("Your address is already confirmed.")})
    if not hit(f"community:verify:{me.pk}", limit=3, window=3600):
        return _too_many(request, workspace)
    verification.send(me)
    return _page(
        request, workspace, "message.html", {"message": _("We sent you a new link; the old one no longer works.")}
    )

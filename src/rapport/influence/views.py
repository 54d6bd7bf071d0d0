"""The Influencers page: who matters, overall or on one tracking rule, with trend, sentiment, customer and value."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from rapport.core import csvsafe
from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.core.ids import parse_id
from rapport.core.pagination import BadCursor
from rapport.core.services import has_permission
from rapport.influence import services
from rapport.web.views import workspace_required

PAGE = 50
EXPORT_LIMIT = 5000


def rows_for(workspace, scores, topic: int) -> list[dict]:
    """Display rows for scored subjects: who, score, components, trend, sentiment on the topic, customer, value."""
    from rapport.commerce.services import standing
    from rapport.contacts.models import Person
    from rapport.identity.models import SocialIdentity
    from rapport.listening.models import Post

    people = {
        p.pk: p for p in Person.objects.filter(workspace=workspace, pk__in=[s.person_id for s in scores if s.person_id])
    }
    idents = list(
        SocialIdentity.objects.filter(workspace=workspace)
        .filter(Q(pk__in=[s.identity_id for s in scores if s.identity_id]) | Q(person_id__in=list(people)))
        .order_by("-followers")
    )
    accounts: dict[str, list] = {}
    for i in idents:  # a linked account shows under its person, an unlinked one under itself
        accounts.setdefault(f"p{i.person_id}" if i.person_id else f"i{i.pk}", []).append(i)
    posts = Post.objects.filter(workspace=workspace, private=False, author_id__in=[i.pk for i in idents])
    if topic:
        posts = posts.filter(rule_matches__rule_id=topic)
    tone = {
        a: (pos, neg, total)
        for a, pos, neg, total in posts.values("author_id")
        .annotate(
            pos=Count("id", filter=Q(sentiment_label="positive")),
            neg=Count("id", filter=Q(sentiment_label="negative")),
            total=Count("id"),
        )
        .values_list("author_id", "pos", "neg", "total")
    }
    value = {pid: spend for pid, (_, spend) in standing(people).items()}  # people: this workspace's only
    cal = services.calibration(workspace.pk)
    change = services.change_since([s for s in scores if s.topic == 0]) if not topic else {}
    if topic:  # the trend of the overall score, also on a topic's list
        overall = list(
            services.Score.objects.filter(workspace=workspace, topic=0, subject__in=[s.subject for s in scores])
        )
        change = services.change_since(overall)
    out = []
    for s in scores:
        mine = accounts.get(s.subject, [])
        pos = sum(tone.get(i.pk, (0, 0, 0))[0] for i in mine)
        neg = sum(tone.get(i.pk, (0, 0, 0))[1] for i in mine)
        total = sum(tone.get(i.pk, (0, 0, 0))[2] for i in mine)
        person = people.get(s.person_id)
        first = mine[0] if mine else None
        out.append(
            {
                "subject": s.subject,
                "page": f"/influencers/{'person' if s.person_id and not s.identity_id else 'account'}/"
                f"{s.person_id if s.person_id and not s.identity_id else s.identity_id}/",
                "score": s.score,
                "components": services.components_out(s, cal),
                "change": change.get(s.subject),
                "name": person.name if person else (first.display_name or first.handle if first else s.subject),
                "person": person,
                "handle": f"{first.network}:@{first.handle}" if first and first.handle else "",
                "posts": total,
                "positive": pos,
                "negative": neg,
                "sentiment": round((pos - neg) / total, 2) if total else None,
                "customer": bool(person),
                "stage": person.lifecycle_stage if person else "",
                "lifetime_value": value.get(s.person_id),
                "why": services.explanation(s),
            }
        )
    return out


@workspace_required("listening.view")
def influencers(request: HttpRequest) -> HttpResponse:
    """Ranked list; ?topic=<rule id> for one rule, ?format=csv for the export (up to 5,000 rows)."""
    from rapport.listening.models import TrackingRule

    rules = list(TrackingRule.objects.filter(workspace=request.workspace))
    topic = parse_id(request.GET.get("topic", "")) or 0
    if topic and topic not in {r.pk for r in rules}:
        topic = 0
    sort = request.GET.get("sort", "score")
    if request.GET.get("format") == "csv":
        scores, _ = services.ranked(request.workspace.pk, topic=topic, limit=EXPORT_LIMIT)
        return _csv(rows_for(request.workspace, scores, topic))
    try:
        scores, next_cursor = services.ranked(
            request.workspace.pk, topic=topic, limit=PAGE, cursor=request.GET.get("cursor") or None
        )
    except BadCursor:
        scores, next_cursor = services.ranked(request.workspace.pk, topic=topic, limit=PAGE)
    rows = rows_for(request.workspace, scores, topic)
    if sort == "positive":  # within the page: the most positive about the brand first (BMW's test drives)
        rows.sort(key=lambda r: (-(r["sentiment"] if r["sentiment"] is not None else -2), -r["score"]))
    return render(
        request,
        "influence/influencers.html",
        {
            "nav": "influencers",
            "rows": rows,
            "rules": rules,
            "topic": topic,
            "next_cursor": next_cursor,
            "sort": sort,
            "can_list": has_permission(role=request.role, permission="segments.manage"),
        },
    )


@require_POST
@workspace_required("segments.manage")
def add_to_list(request: HttpRequest) -> HttpResponse:
    """Tag the people picked on the Influencers page with a list, whose segment campaigns can take as audience."""
    from rapport.influence.lists import add_to_list as add

    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) or not back.startswith("/"):
        back = "/influencers/"
    try:
        done = add(
            workspace=request.workspace,
            actor=Actor.for_user(request.user),
            person_ids=request.POST.getlist("person"),
            name=request.POST.get("list", ""),
        )
    except FieldErrors as exc:
        messages.error(request, "; ".join(f"{k}: {v}" for k, v in exc.errors.items()))
        return redirect(back)
    text = f"{done['added']} added to the list '{done['tag']}'"
    if done["already"]:
        text += f", {done['already']} already on it"
    if done["skipped"]:
        text += f", {done['skipped']} left out (not a contact of this workspace, or objected to profiling)"
    audience = done["audience"]
    if audience:
        text += f". Audience: segment '{audience['name']}'" + (" (new)" if audience["created"] else "")
    messages.success(request, text + ".")
    return redirect(back)


def _csv(rows: list[dict]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="influencers.csv"'
    w = csvsafe.writer(response)
    names = [c["name"] for c in rows[0]["components"]] if rows else []
    w.writerow(
        [
            "name",
            "account",
            "score",
            "change_7d",
            *names,
            "posts",
            "positive",
            "negative",
            "sentiment",
            "customer",
            "lifecycle_stage",
            "lifetime_value",
            "contact_id",
            "why",
        ]
    )
    for r in rows:
        w.writerow(
            [
                r["name"],
                r["handle"],
                r["score"],
                "" if r["change"] is None else r["change"],
                *[c["value"] for c in r["components"]],
                r["posts"],
                r["positive"],
                r["negative"],
                "" if r["sentiment"] is None else r["sentiment"],
                "yes" if r["customer"] else "no",
                r["stage"],
                "" if r["lifetime_value"] is None else r["lifetime_value"],
                r["person"].pk if r["person"] else "",
                r["why"],
            ]
        )
    return response


@workspace_required("listening.view")
def influencer(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """One person's (or unlinked account's) score: its components with their reasons, the change since last week
    and the score history as a chart. A person who objected to profiling has no page."""
    from rapport.consent.models import Purpose
    from rapport.consent.services import may_process
    from rapport.contacts.models import Person
    from rapport.identity.models import SocialIdentity
    from rapport.influence.charts import history_chart

    person = account = None
    if kind == "p":
        person = get_object_or_404(Person, workspace=request.workspace, pk=pk)
    else:
        account = get_object_or_404(SocialIdentity, workspace=request.workspace, pk=pk)
        if account.person_id:
            person = Person.objects.filter(workspace=request.workspace, pk=account.person_id).first()
    if person is not None and not may_process(person, Purpose.PROFILING):
        raise Http404("no score: this person objected to profiling")
    subject = f"{kind}{pk}"
    score = services.Score.objects.filter(workspace=request.workspace, subject=subject, topic=0).first()
    if score is None:
        raise Http404("no score yet")
    points = services.subject_history(request.workspace.pk, subject)
    row = rows_for(request.workspace, [score], 0)[0]
    return render(
        request,
        "influence/influencer.html",
        {
            "nav": "influencers",
            "row": row,
            "person": person,
            "account": account,
            "chart": history_chart(points),
            "points": points,
        },
    )


@workspace_required("contacts.view")
def person_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The contact page's influence panel: the score, its largest components, the change since last week and the
    last 90 days as a small chart, linking to the full explanation. Objectors and unscored people say so."""
    from rapport.consent.models import Purpose
    from rapport.consent.services import may_process
    from rapport.contacts.models import Person
    from rapport.influence.charts import history_chart

    person = get_object_or_404(Person, workspace=request.workspace, pk=pk)
    ctx: dict = {"person": person, "objected": not may_process(person, Purpose.PROFILING), "row": None}
    if not ctx["objected"]:
        score = services.Score.objects.filter(workspace=request.workspace, subject=f"p{pk}", topic=0).first()
        if score is not None:
            row = rows_for(request.workspace, [score], 0)[0]
            row["components"] = sorted(row["components"], key=lambda c: -c["value"])[:3]
            ctx["row"] = row
            points = services.subject_history(request.workspace.pk, f"p{pk}", days=90)
            ctx["chart"] = history_chart(points, width=320, height=90)
    return render(request, "influence/_person_panel.html", ctx)

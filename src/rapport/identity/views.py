"""Identity web pages: the review queue, and the merge / un-merge panel of a contact page (htmx)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods, require_POST

from rapport.contacts import services as contacts
from rapport.contacts.models import Person
from rapport.core.actors import Actor
from rapport.core.pagination import BadCursor
from rapport.core.services import has_permission
from rapport.identity import services
from rapport.identity.models import Merge, ReviewItem
from rapport.identity.records import match_settings
from rapport.web.views import workspace_required

SHOWN_FIELDS = [
    ("Name", ("first_name", "last_name")),
    ("Email", ("email",)),
    ("Phone", ("phone",)),
    ("Born", ("date_of_birth",)),
    ("Address", ("street", "postcode", "city", "country")),
    ("Customer no.", ("customer_number",)),
    ("External id", ("external_id",)),
]


def _value(person: Person, names: tuple[str, ...]) -> str:
    return " ".join(str(getattr(person, n)) for n in names if getattr(person, n) not in ("", None))


# Comparison levels that say the two records differ, or share nothing; every other level (exact, nickname,
# fuzzy...) is an agreement, whatever weight the fitted model gives it (a common surname agreeing is weak
# evidence, sometimes below zero, but it is not a disagreement).
DIFFERS = {"disagree", "one_disagrees"}
NOTHING_SHARED = {"none", "name_only"}
FIELD_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "full_name": "Full name",
    "alias_name": "Nickname or alias",
    "email": "Email",
    "phone": "Phone",
    "date_of_birth": "Date of birth",
    "street": "Street",
    "city": "City",
    "postcode": "Postcode",
    "country": "Country",
    "organisation": "Organisation",
    "customer_number": "Customer no.",
    "social": "Social accounts",
    "corroboration": "Name backed by other facts",
}


def _explained(field: dict) -> dict:
    level = str(field.get("level", ""))
    weight = float(field.get("weight", 0) or 0)
    if level in DIFFERS:
        verdict, label = "disagree", "differs"
    elif level in NOTHING_SHARED:
        verdict, label = "neutral", "nothing shared"
    else:
        verdict, label = "agree", "agrees" if level == "exact" else f"agrees ({level.replace('_', ' ')})"
    strength = "strong" if abs(weight) >= 2 else "some" if abs(weight) >= 0.75 else "weak"
    if verdict == "agree" and weight <= 0:
        strength = "weak"  # a value many different people share: it agrees, but says little
    return {
        "field": str(field.get("field", "")),
        "label": FIELD_LABELS.get(str(field.get("field", "")), str(field.get("field", "")).replace("_", " ")),
        "level": level,
        "weight": weight,
        "verdict": verdict,
        "says": label,
        "strength": strength,
    }


def _band(score: float, review: float, link: float) -> tuple[str, str]:
    if score >= link:
        return "likely", f"Likely the same person: {score:.2f} is at or above the link threshold ({link:.2f})"
    if score >= review:
        return (
            "possible",
            f"Possibly the same person: {score:.2f} is between the review ({review:.2f}) "
            f"and link ({link:.2f}) thresholds",
        )
    return "unlikely", f"Unlikely: {score:.2f} is below the review threshold ({review:.2f})"


def _review_ctx(item: ReviewItem, thresholds: tuple[float, float] | None = None) -> dict:
    fields = item.explanation.get("fields", []) if isinstance(item.explanation, dict) else item.explanation
    rows = [(label, _value(item.left, names), _value(item.right, names)) for label, names in SHOWN_FIELDS]
    if thresholds is None:
        ms = match_settings(item.workspace)
        thresholds = (ms.review_threshold, ms.link_threshold)
    band, band_text = _band(item.score, *thresholds)
    explained = [_explained(f) for f in fields]
    order = {"agree": 0, "disagree": 1, "neutral": 2}
    explained.sort(key=lambda f: (order[f["verdict"]], -abs(f["weight"])))
    return {"item": item, "rows": rows, "explanation": explained, "band": band, "band_text": band_text}


@workspace_required("identity.review")
def review_queue(request: HttpRequest) -> HttpResponse:
    """Pending pairs, both records side by side with the per-field explanation and accept / reject."""
    try:
        items, next_cursor = services.review_page(
            workspace=request.workspace, limit=20, cursor=request.GET.get("cursor") or None
        )
    except BadCursor:
        items, next_cursor = [], None
    ms = match_settings(request.workspace)
    thresholds = (ms.review_threshold, ms.link_threshold)
    ctx = {
        "cards": [_review_ctx(i, thresholds) for i in items],
        "review_threshold": ms.review_threshold,
        "link_threshold": ms.link_threshold,
        "next_cursor": next_cursor,
        "nav": "review",
        "can_merge": has_permission(role=request.role, permission="identity.merge"),
    }
    return render(request, "identity/review.html", ctx)


@require_POST
@workspace_required("identity.review")
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept or reject one pair; htmx swaps the card for its outcome."""
    item = get_object_or_404(ReviewItem, workspace=request.workspace, pk=pk)
    decision = request.POST.get("decision", "")
    error = ""
    if decision == "accept" and not has_permission(role=request.role, permission="identity.merge"):
        error = "your role may not merge contacts"
    else:
        try:
            item = services.decide_review(
                workspace=request.workspace, item=item, decision=decision, actor=Actor.for_user(request.user)
            )
        except services.MergeError as exc:
            error = str(exc)
    item = ReviewItem.objects.select_related("left", "right").get(pk=item.pk)
    return render(request, "identity/_review_card.html", {**_review_ctx(item), "error": error})


def _panel(request: HttpRequest, person: Person, **extra) -> HttpResponse:
    merges = (
        Merge.objects.filter(workspace=request.workspace, kept=person)
        .select_related("absorbed")
        .order_by("-created_at", "-id")[:50]
    )
    ctx = {
        "person": person,
        "merges": merges,
        "can_merge": has_permission(role=request.role, permission="identity.merge"),
        **extra,
    }
    return render(request, "identity/_merge_panel.html", ctx)


@workspace_required("contacts.view")
def merge_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The contact page's merge area: merge history with un-merge, and a search to pick a contact to merge in."""
    person = get_object_or_404(Person, workspace=request.workspace, pk=pk)
    return _panel(request, person)


@workspace_required("identity.merge")
def merge_candidates(request: HttpRequest, pk: int) -> HttpResponse:
    """Search results for the merge box: live contacts other than this one."""
    person = get_object_or_404(Person, workspace=request.workspace, pk=pk)
    query = request.GET.get("q", "")[:200].strip()
    rows = []
    if query:
        rows, _ = contacts.search_people(workspace=request.workspace, query=query, limit=10)
    rows = [r for r in rows if r.pk != person.pk]
    return render(request, "identity/_candidates.html", {"person": person, "rows": rows, "q": query})


@require_POST
@workspace_required("identity.merge")
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge the chosen contact into this one, then show the refreshed panel."""
    person = get_object_or_404(Person, workspace=request.workspace, pk=pk)
    try:
        absorb_id = int(request.POST.get("absorb_id", ""))
    except ValueError:
        return _panel(request, person, error="choose a contact to merge in")
    try:
        done = services.merge_contacts(
            workspace=request.workspace, keep=person, absorb=absorb_id, actor=Actor.for_user(request.user)
        )
    except services.MergeError as exc:
        return _panel(request, person, error=str(exc))
    response = _panel(request, person, notice=f"{done.absorbed.name} was merged into this contact.")
    response["HX-Refresh"] = "true"  # timeline, identities and fields changed: reload the whole page
    return response


@require_POST
@workspace_required("identity.merge")
def unmerge(request: HttpRequest, pk: int) -> HttpResponse:
    """Undo a merge: what it moved goes back to the absorbed contact."""
    merge_row = get_object_or_404(Merge, workspace=request.workspace, pk=pk)
    try:
        services.undo_merge(merge=merge_row, actor=Actor.for_user(request.user), workspace=request.workspace)
    except services.MergeError as exc:
        return _panel(request, merge_row.kept, error=str(exc))
    response = _panel(request, merge_row.kept, notice=f"{merge_row.absorbed.name} is a separate contact again.")
    response["HX-Refresh"] = "true"
    return response


@require_http_methods(["GET", "POST"])
def claim_verify(request: HttpRequest, token: str) -> HttpResponse:
    """The link mailed to a contact whose details someone gave: GET asks for the click (mail scanners open links),
    POST confirms that the account is theirs. Public: it shows nothing of the contact or the account."""
    from rapport.identity.claims import ClaimError, check_token, verify

    try:
        check_token(token)
        if request.method == "GET":
            return render(request, "identity/claim_verify.html", {"done": False})
        verify(token)
    except ClaimError as exc:
        return render(request, "identity/claim_verify.html", {"error": str(exc)}, status=400)
    return render(request, "identity/claim_verify.html", {"done": True})

"""Commerce pages: the value panel of the contact page, and the orders waiting for review."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from rapport.commerce import loyalty, services
from rapport.commerce.models import Order
from rapport.contacts.models import Person
from rapport.contacts.services import search_people
from rapport.core.pagination import keyset_page
from rapport.web.views import workspace_required


@workspace_required("contacts.view")
def value_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The contact page's value panel: what the purchases say, the loyalty state, and the latest orders."""
    person = get_object_or_404(Person, workspace=request.workspace, pk=pk)
    cv = services.value_of(workspace=request.workspace, person=person)
    orders = list(
        Order.objects.filter(workspace=request.workspace, person=person)
        .select_related("store")
        .prefetch_related("lines")
        .order_by("-ordered_at", "-id")[:5]
    )
    programme = loyalty.active_programme(request.workspace)
    ctx = {
        "person": person,
        "value": services.value_out(cv),
        "orders": orders,
        "loyalty": loyalty.ledger_out(programme, person, limit=5) if programme else None,
    }
    return render(request, "commerce/_value_panel.html", ctx)


@workspace_required("contacts.view")
def review(request: HttpRequest) -> HttpResponse:
    """Orders that named nobody known, newest first, each with a search to link it to a contact."""
    qs = services.unmatched_orders(workspace=request.workspace).select_related("store").prefetch_related("lines")
    rows, next_cursor = keyset_page(
        qs, fields=["ordered_at", "id"], descending=True, limit=25, cursor=request.GET.get("cursor") or None
    )
    query = request.GET.get("q", "")[:200].strip()
    candidates = search_people(workspace=request.workspace, query=query, limit=10)[0] if query else []
    ctx = {"orders": rows, "next_cursor": next_cursor, "nav": "orders", "q": query, "candidates": candidates}
    return render(request, "commerce/review.html", ctx)


@require_POST
@workspace_required("contacts.change")
def review_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link a waiting order to the chosen contact."""
    order = get_object_or_404(Order, workspace=request.workspace, pk=pk)
    try:
        contact_id = int(request.POST.get("contact_id", ""))
    except ValueError:
        return HttpResponse("contact_id: choose a contact", status=422)
    person = Person.objects.filter(workspace=request.workspace, pk=contact_id, merged_into__isnull=True).first()
    if person is None:
        return HttpResponse("contact_id: no such contact", status=422)
    services.link_order(workspace=request.workspace, order=order, person=person)
    return redirect("commerce:review")

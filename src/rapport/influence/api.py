"""Influence API: the ranking (overall or per tracking rule), a contact's score history, an identity's score."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema

from rapport.core.apiauth import require
from rapport.core.apitypes import Cursor, Id, Limit, Text
from rapport.core.errors import FieldErrors
from rapport.influence import services
from rapport.influence.schemas import HistoryOut, InfluenceOut, RankedPage

router = Router(tags=["influence"])
contact_router = Router(tags=["influence"])


class RankFilters(Schema):
    topic: Text(100) = ""
    limit: Limit = 25
    cursor: Cursor | None = None


def topic_id(workspace, topic: str) -> int:
    """A tracking rule named by id or name ("" is overall); FieldErrors naming `topic` otherwise."""
    from rapport.listening.models import TrackingRule

    topic = topic.strip()
    if not topic:
        return 0
    rules = TrackingRule.objects.filter(workspace=workspace)
    rule = rules.filter(pk=int(topic)).first() if topic.isdigit() else rules.filter(name__iexact=topic).first()
    if rule is None:
        raise FieldErrors({"topic": f"no tracking rule {topic!r} in this workspace"})
    return rule.pk


def ranked_out(workspace, rows) -> list[dict]:
    """Ranked rows with who they are (one query per kind) and their change over the last week."""
    from rapport.contacts.models import Person
    from rapport.identity.models import SocialIdentity

    people = {p.pk: p for p in Person.objects.filter(pk__in=[r.person_id for r in rows if r.person_id])}
    idents = {
        i.pk: i
        for i in SocialIdentity.objects.filter(
            workspace=workspace, pk__in=[r.identity_id for r in rows if r.identity_id]
        )
        | SocialIdentity.objects.filter(workspace=workspace, person_id__in=list(people))
    }
    by_person: dict[int, SocialIdentity] = {}
    for i in sorted(idents.values(), key=lambda i: -(i.followers or 0)):
        if i.person_id:
            by_person.setdefault(i.person_id, i)
    cal = services.calibration(workspace.pk)
    change = services.change_since([r for r in rows if r.topic == 0])
    out = []
    for r in rows:
        ident = idents.get(r.identity_id) if r.identity_id else by_person.get(r.person_id)
        person = people.get(r.person_id)
        out.append(
            {
                **services.influence_out(r, cal, change.get(r.subject)),
                "rank_key": r.subject,
                "person_id": r.person_id,
                "identity_id": r.identity_id,
                "name": person.name if person else (ident.display_name or ident.handle if ident else ""),
                "network": ident.network if ident else "",
                "handle": ident.handle if ident else "",
            }
        )
    return out


@router.get("", response=RankedPage)
def ranking(request: HttpRequest, filters: Query[RankFilters]):
    """People and unlinked accounts by influence, highest first, overall or on one tracking rule (`topic`: its id
    or name); each with its components. People who objected to profiling are never listed."""
    require(request, "listening.view")
    topic = topic_id(request.workspace, filters.topic)
    rows, next_cursor = services.ranked(request.workspace.pk, topic=topic, limit=filters.limit, cursor=filters.cursor)
    return {"items": ranked_out(request.workspace, rows), "next_cursor": next_cursor}


@router.get("/identities/{identity_id}", response={200: InfluenceOut, 404: dict})
def identity_influence(request: HttpRequest, identity_id: Id):
    """One social identity's own score (per network, before it is combined into its person's)."""
    from rapport.identity.models import SocialIdentity

    require(request, "listening.view")
    ident = get_object_or_404(SocialIdentity, workspace=request.workspace, pk=identity_id)
    row = services.scores_for(request.workspace.pk, identity_ids=[ident.pk]).get(f"i{ident.pk}")
    if row is None:
        return 404, {"detail": "no score: the account has not been scored, or its person objected to profiling"}
    return services.influence_out(
        row, services.calibration(request.workspace.pk), services.change_since([row]).get(row.subject)
    )


class RisingAlertOut(Schema):
    id: int
    spike_id: int
    identity_id: int
    person_id: int | None
    score: int
    rise: int
    negative_posts: int
    reason: str
    created_at: datetime


class RisingAlertPage(Schema):
    items: list[RisingAlertOut]
    next_cursor: str | None


@router.get("/alerts", response=RisingAlertPage)
def rising_alerts(request: HttpRequest, limit: Limit = 25, cursor: Cursor | None = None):
    """Rising influencers in negative spikes, newest first (United Breaks Guitars while it is still small)."""
    from rapport.core.pagination import keyset_page
    from rapport.influence.models import RisingAlert

    require(request, "listening.view")
    objecting = services._objectors(request.workspace.pk)
    qs = RisingAlert.objects.filter(workspace=request.workspace)
    if objecting:  # linked since, or objected since: never named
        qs = qs.exclude(person_id__in=objecting).exclude(identity__person_id__in=objecting)
    rows, next_cursor = keyset_page(qs, fields=["created_at", "id"], descending=True, limit=limit, cursor=cursor)
    return {
        "items": [{f: getattr(a, f) for f in RisingAlertOut.model_fields} for a in rows],
        "next_cursor": next_cursor,
    }


@contact_router.get("/{contact_id}/influence/history", response=HistoryOut)
def contact_history(request: HttpRequest, contact_id: Id):
    """A contact's daily overall score over the last year (empty when they objected to profiling)."""
    from rapport.contacts.models import Person

    require(request, "contacts.view")
    person = get_object_or_404(Person, workspace=request.workspace, pk=contact_id)
    return {"contact_id": person.pk, "items": services.history(person)}

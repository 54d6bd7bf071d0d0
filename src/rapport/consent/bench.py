"""Consent at scale: the access export of a busy person (goal < 2 s), and the may-we answers per person and per
audience, each beside the naive ledger scan it replaces. Everything is written in a transaction rolled back at the
end."""

from __future__ import annotations

import json
import statistics
import time
from datetime import timedelta

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.test import Client
from django.utils import timezone

from rapport.consent import services
from rapport.consent.models import ConsentEvent, ConsentState, Purpose
from rapport.consent.subject import export_subject
from rapport.contacts.models import Person, Touchpoint
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.core.models import AuditEvent, Role
from rapport.core.services import create_member, get_or_create_workspace, issue_token

EXPORT_GOAL_S = 2.0
MAX_POSTS = 1000  # what one `POST /api/v1/posts` takes
BENCH_PASSWORD = "bench-consent-Passw0rd!"


class _Rollback(Exception):
    pass


def add_arguments(parser) -> None:
    """Options of `rapport bench consent`."""
    parser.add_argument("--posts", type=int, default=3000, help="posts by the exported person")
    parser.add_argument("--touchpoints", type=int, default=2000)
    parser.add_argument("--audience", type=int, default=50_000, help="people in the audience check")
    parser.add_argument("--repeats", type=int, default=5)


def _median(fn, repeats: int) -> float:
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def _naive_permitted(workspace_id: int, ids: list[int], purpose: str, channel: str) -> set[int]:
    """The scaffold's way: the newest ledger event per person by a correlated subquery over the whole ledger."""
    newest = ConsentEvent.objects.filter(
        workspace_id=workspace_id, purpose=purpose, channel=channel, person_id=OuterRef("person_id")
    ).order_by("-occurred_at", "-id")
    rows = (
        ConsentEvent.objects.filter(workspace_id=workspace_id, purpose=purpose, channel=channel)
        .filter(id=Subquery(newest.values("id")[:1]))
        .values_list("person_id", "granted")
    )
    wanted = set(ids)
    return {pid for pid, granted in rows if granted and pid in wanted}


def _post_items(n: int) -> list[dict]:
    now = timezone.now().replace(microsecond=0)
    return [
        {
            "network": "twitter",
            "external_id": f"b{i}",
            "created_at": (now - timedelta(minutes=i)).isoformat(),
            "text": f"post number {i} about cameras and lenses",
            "author": {"external_id": "busy-1", "handle": "busy"},
            "kind": "mention",
        }
        for i in range(n)
    ]


def _seed(ws, options: dict) -> Person:
    # The apps above consent hold the busiest parts of an export. Consent may not import them, so the bench makes
    # the person and their account through contacts' service and sends the posts in through the product's own door
    # (`POST /api/v1/posts`, the pipeline that resolves the author to the person), as a client would.
    actor = Actor.system("bench")
    person = create_person(
        workspace=ws,
        actor=actor,
        data={"first_name": "Busy", "last_name": "Person", "email": "busy@example.com"},
        identities=[{"network": "twitter", "handle": "busy", "external_id": "busy-1"}],
    )
    email = f"bench-admin@{ws.slug}.bench"
    create_member(email=email, password=BENCH_PASSWORD, workspace=ws, role=Role.ADMIN)
    token, _ = issue_token(email=email, password=BENCH_PASSWORD, workspace_slug=ws.slug)
    client, items = Client(), _post_items(options["posts"])
    for start in range(0, len(items), MAX_POSTS):
        r = client.post(
            "/api/v1/posts",
            data=json.dumps(items[start : start + MAX_POSTS]),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_HOST="localhost",
        )
        assert r.status_code == 200 and r.json()["rejected"] == 0, (r.status_code, r.content[:500])
    now = timezone.now()
    Touchpoint.objects.bulk_create(
        Touchpoint(workspace=ws, person=person, kind="call", channel="phone", occurred_at=now, title=f"call {i}")
        for i in range(options["touchpoints"])
    )
    AuditEvent.objects.bulk_create(
        AuditEvent(
            workspace=ws,
            actor_kind="user",
            actor_label="agent@x.test",
            action="contact.viewed",
            object_type="person",
            object_id=str(person.pk),
        )
        for _ in range(1000)
    )
    return person


def _analyze() -> None:
    """Fresh planner statistics for the seeded tables (PostgreSQL plans blindly on rows of this transaction)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Person, ConsentEvent, ConsentState, Touchpoint, AuditEvent):
                cursor.execute(f"ANALYZE {model._meta.db_table}")


def run(options: dict, write) -> None:
    """Measure and print beside the goal and the baselines."""
    repeats = options["repeats"]
    try:
        with transaction.atomic():
            ws = get_or_create_workspace(slug="bench-consent")[0]
            person = _seed(ws, options)
            _analyze()
            export_s = _median(lambda: export_subject(person), repeats)
            held = len(export_subject(person).get("posts", []))
            assert held == options["posts"], f"the export holds {held} of the {options['posts']} posts sent in"

            n = options["audience"]
            people = Person.objects.bulk_create(Person(workspace=ws, first_name=f"P{i}") for i in range(n))
            now = timezone.now()
            events = ConsentEvent.objects.bulk_create(
                ConsentEvent(
                    workspace=ws,
                    person=p,
                    purpose=Purpose.NEWSLETTER,
                    channel="email",
                    granted=(k % 3 != 0),
                    source="import",
                    occurred_at=now - timedelta(days=k),
                )
                for p in people[: n // 2]
                for k in range(4)
            )
            newest: dict[int, ConsentEvent] = {}
            for e in events:
                if e.person_id not in newest or e.occurred_at > newest[e.person_id].occurred_at:
                    newest[e.person_id] = e
            ConsentState.objects.bulk_create(
                ConsentState(
                    workspace=ws,
                    person_id=e.person_id,
                    purpose=e.purpose,
                    channel=e.channel,
                    granted=e.granted,
                    event=e,
                    occurred_at=e.occurred_at,
                )
                for e in newest.values()
            )
            ids = [p.pk for p in people]
            _analyze()
            fast = services.permitted(ws.pk, ids, Purpose.NEWSLETTER, "email")
            slow = _naive_permitted(ws.pk, ids, Purpose.NEWSLETTER, "email")
            assert fast == slow, "the derived state and the ledger disagree"
            audience_s = _median(lambda: services.permitted(ws.pk, ids, Purpose.NEWSLETTER, "email"), repeats)
            naive_audience_s = _median(lambda: _naive_permitted(ws.pk, ids, Purpose.NEWSLETTER, "email"), 1)
            sample = people[:500]
            per_call_us = _median(lambda: [services.may_contact(p, Purpose.NEWSLETTER, "email") for p in sample], 3)
            per_call_us = per_call_us / len(sample) * 1e6
            round_trip_us = _median(lambda: [Person.objects.filter(pk=p.pk).exists() for p in sample], 3)
            round_trip_us = round_trip_us / len(sample) * 1e6
            raise _Rollback
    except _Rollback:
        pass
    write(
        f"consent bench ({options['posts']} posts, {options['touchpoints']} touchpoints, 1000 audit rows; "
        f"audience {n} people, {len(events)} ledger events)"
    )
    write(
        f"  access export of one person     {export_s:8.3f} s    goal < {EXPORT_GOAL_S:.0f} s  "
        f"{'ok' if export_s < EXPORT_GOAL_S else 'MISSED'}"
    )
    write(f"  permitted() over the audience   {audience_s:8.3f} s")
    write(f"  baseline: newest-event subquery {naive_audience_s:8.3f} s    (the scaffold's ledger scan)")
    write(f"  may_contact() per person        {per_call_us:8.0f} us")
    write(f"  baseline: one primary-key query {round_trip_us:8.0f} us    (the database round trip on this machine)")

"""Contact search, timeline paging and CSV import at scale, each beside the straightforward way of doing it."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Q
from faker import Faker

from rapport.contacts import services
from rapport.contacts.csvfile import CANONICAL_HEADERS
from rapport.contacts.importer import import_contacts
from rapport.contacts.models import Person, Touchpoint
from rapport.core import csvsafe
from rapport.core.actors import Actor
from rapport.core.models import Workspace
from rapport.core.services import get_or_create_workspace

LOCALES = ["en_GB", "da_DK", "sv_SE", "no_NO", "de_DE", "nl_NL", "fr_FR", "es_ES", "en_US"]


def add_arguments(parser) -> None:
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--touchpoints", type=int, default=5_000_000)
    parser.add_argument("--queries", type=int, default=200, help="timed queries per measurement")
    parser.add_argument("--import-rows", type=int, default=50_000)
    parser.add_argument("--workspace", default="bench")
    parser.add_argument("--regenerate", action="store_true", help="drop and regenerate the bench workspace")


def _names(seed: int = 11) -> tuple[list[str], list[str], list[str]]:
    firsts, lasts, cities = set(), set(), set()
    for i, loc in enumerate(LOCALES):
        f = Faker(loc)
        f.seed_instance(seed + i)
        for _ in range(400):
            firsts.add(f.first_name())
            lasts.add(f.last_name())
            cities.add(f.city())
    return sorted(firsts), sorted(lasts), sorted(cities)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def generate(*, workspace: Workspace, people: int, touchpoints: int, write) -> None:
    """Fill the bench workspace with people and touchpoints (PostgreSQL: set-based SQL; SQLite: bulk inserts)."""
    firsts, lasts, cities = _names()
    start = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                """
                INSERT INTO contacts_person (workspace_id, external_id, first_name, last_name, email, phone, job_title,
                    street, city, postcode, region, country, customer_number, lifecycle_stage, tags, search_text,
                    sort_name, created_at, updated_at)
                SELECT %(ws)s, 'b-' || g, f, l, e, p, '', '', c, '', '', 'DK', 'C-' || g, 'customer', '[]'::jsonb,
                       ' ' || lower(f) || ' ' || lower(l) || ' ' || e || ' ' || p || ' ' || substr(p, 2) || ' c-' || g
                           || ' ' || lower(c) || ' ',
                       lower(l || ' ' || f), now(), now()
                FROM (SELECT g, (%(f)s::text[])[1 + (g * 7919) %% %(nf)s] AS f,
                             (%(l)s::text[])[1 + (g * 104729) %% %(nl)s] AS l,
                             (%(c)s::text[])[1 + (g * 31) %% %(nc)s] AS c,
                             '+4520' || lpad((g %% 1000000)::text, 6, '0') AS p,
                             'user' || g || '@mail.example' AS e
                      FROM generate_series(1::bigint, %(n)s) AS g) AS s
            """,
                {
                    "ws": workspace.pk,
                    "f": [services.fold(x) for x in firsts],
                    "l": [services.fold(x) for x in lasts],
                    "c": cities,
                    "nf": len(firsts),
                    "nl": len(lasts),
                    "nc": len(cities),
                    "n": people,
                },
            )
            write(f"  {people:,} people in {time.perf_counter() - start:.1f} s")
            cur.execute("SELECT min(id), max(id) FROM contacts_person WHERE workspace_id = %s", [workspace.pk])
            lo, hi = cur.fetchone()
            start = time.perf_counter()
            # One heavy account (a B2B customer with a long history) shows what deep pages cost.
            cur.execute(
                """
                INSERT INTO contacts_touchpoint (workspace_id, person_id, kind, channel, direction, occurred_at, title,
                    body, currency, source, source_id, data, created_at)
                SELECT %(ws)s,
                       CASE WHEN g %% 50 = 0 THEN %(lo)s ELSE %(lo)s + (g * 2654435761) %% (%(hi)s - %(lo)s + 1) END,
                       (ARRAY['email','call','purchase','post','message','chat','meeting',
                              'voucher_redeemed'])[1 + g %% 8],
                       (ARRAY['email','phone','store','twitter','facebook','chat','web','loyalty'])[1 + g %% 8],
                       'inbound', now() - (g || ' minutes')::interval, 'Touchpoint ' || g, '', '', 'bench', '',
                       '{}'::jsonb, now()
                FROM generate_series(1::bigint, %(n)s) AS g
            """,
                {"ws": workspace.pk, "lo": lo, "hi": hi, "n": touchpoints},
            )
            write(f"  {touchpoints:,} touchpoints in {time.perf_counter() - start:.1f} s")
            cur.execute("ANALYZE contacts_person; ANALYZE contacts_touchpoint;")
        return
    rng = random.Random(5)
    for base in range(0, people, 20_000):
        with transaction.atomic():
            rows = []
            for g in range(base, min(people, base + 20_000)):
                f, lname, c = rng.choice(firsts), rng.choice(lasts), rng.choice(cities)
                p = Person(
                    workspace=workspace,
                    external_id=f"b-{g}",
                    first_name=f,
                    last_name=lname,
                    email=f"user{g}@mail.example",
                    phone=f"+4520{g % 1000000:06d}",
                    city=c,
                    country="DK",
                    customer_number=f"C-{g}",
                    lifecycle_stage="customer",
                )
                p.search_text, p.sort_name = services.person_search_text(p)
                rows.append(p)
            Person.objects.bulk_create(rows, batch_size=5000)
    ids = list(Person.objects.filter(workspace=workspace).values_list("id", flat=True))
    from django.utils import timezone

    now = timezone.now()
    for base in range(0, touchpoints, 50_000):
        with transaction.atomic():
            Touchpoint.objects.bulk_create(
                [
                    Touchpoint(
                        workspace=workspace,
                        person_id=ids[0] if g % 50 == 0 else rng.choice(ids),
                        kind="email",
                        channel="email",
                        occurred_at=now - __import__("datetime").timedelta(minutes=g),
                        title=f"Touchpoint {g}",
                        source="bench",
                    )
                    for g in range(base, min(touchpoints, base + 50_000))
                ],
                batch_size=5000,
            )
    write(f"  generated in {time.perf_counter() - start:.1f} s")


def _queries(workspace: Workspace, n: int) -> list[str]:
    rng = random.Random(3)
    sample = list(
        Person.objects.filter(workspace=workspace)
        .order_by("?" if connection.vendor == "sqlite" else "id")
        .values_list("first_name", "last_name", "email", "phone", "customer_number")[:5000]
    )
    out = []
    for i in range(n):
        f, lname, email, phone, cno = rng.choice(sample)
        out.append([lname, f"{f} {lname}", email.split("@")[0], phone[-8:], cno, lname[:4]][i % 6])
    return out


def run(options: dict, write) -> None:
    """Generate (once) and measure; prints Rapport's figures beside the baseline's."""
    ws, created = get_or_create_workspace(slug=options["workspace"], name="Benchmark")
    have = Person.objects.filter(workspace=ws).count()
    if options["regenerate"] or have < options["people"]:
        if have:
            write("dropping the previous bench data")
            Touchpoint.objects.filter(workspace=ws).delete()
            Person.objects.filter(workspace=ws).delete()
        write(
            f"generating {options['people']:,} people and {options['touchpoints']:,} touchpoints on {connection.vendor}"
        )
        generate(workspace=ws, people=options["people"], touchpoints=options["touchpoints"], write=write)
    n = options["queries"]
    queries = _queries(ws, n)

    def rapport_search(q):
        return lambda: services.search_people(workspace=ws, query=q, limit=25)

    def naive_search(q):
        cond = Q(first_name__icontains=q) | Q(last_name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q)
        return lambda: list(Person.objects.filter(cond, workspace=ws).order_by("last_name", "first_name")[:25])

    write(f"\ncontact search ({n} queries: names, full names, email, phone digits, customer numbers, prefixes)")
    ours = [t for q in queries for t in _timed(rapport_search(q), 1)]
    base = [t for q in queries[: max(20, n // 5)] for t in _timed(naive_search(q), 1)]
    _report(write, "search", ours, base, goal=100)

    heavy = Person.objects.filter(workspace=ws).order_by("id").first()
    people = list(Person.objects.filter(workspace=ws).order_by("id").values_list("id", flat=True)[1:5000])
    rng = random.Random(9)
    write(
        f"\ntimeline page of 50 ({n} random people; and deep pages of an account with "
        f"{Touchpoint.objects.filter(person=heavy).count():,} touchpoints)"
    )
    ours = [
        t
        for pid in rng.sample(people, min(n, len(people)))
        for t in _timed(lambda pid=pid: services.timeline(workspace=ws, person_ids=[pid], limit=50), 1)
    ]
    _report(write, "timeline first page", ours, None, goal=50)
    cursor, deep_ours = None, []
    for _ in range(min(n, 400)):
        start = time.perf_counter()
        _, cursor = services.timeline(workspace=ws, person_ids=[heavy.pk], limit=50, cursor=cursor)
        deep_ours.append((time.perf_counter() - start) * 1000)
        if not cursor:
            break
    deep_base = []
    for page in range(0, len(deep_ours), max(1, len(deep_ours) // 40)):
        qs = Touchpoint.objects.filter(workspace=ws, person=heavy).order_by("-occurred_at", "-id")
        deep_base += _timed(lambda page=page, qs=qs: list(qs[page * 50 : (page + 1) * 50]), 1)
    _report(write, f"timeline pages 1..{len(deep_ours)} (keyset vs OFFSET)", deep_ours, deep_base, goal=50)

    write(f"\nCSV import ({options['import_rows']:,} rows with handles and organisations)")
    rows = options["import_rows"]
    firsts, lasts, cities = _names(23)
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "import.csv"
        with path.open("w", newline="") as fh:
            w = csvsafe.DictWriter(fh, fieldnames=CANONICAL_HEADERS)
            w.writeheader()
            for i in range(rows):
                w.writerow(
                    {
                        "external_id": f"imp-{i}",
                        "first_name": rng.choice(firsts),
                        "last_name": rng.choice(lasts),
                        "email": f"imp{i}@mail.example",
                        "phone": f"+447911{i % 1000000:06d}",
                        "organisation": f"Company {i % 2000}",
                        "city": rng.choice(cities),
                        "country": "DK",
                        "twitter": f"imp_{i}",
                        "tags": "b2b",
                        "lifecycle_stage": "lead",
                    }
                )
        target = _empty_workspace(f"{options['workspace']}-import")  # each run imports into an empty workspace
        start = time.perf_counter()
        with path.open("rb") as fh:
            result = import_contacts(workspace=target, actor=Actor.importer("bench"), stream=fh, parallel=True)
        elapsed = time.perf_counter() - start
        if result.rejected:
            raise RuntimeError(f"bench import rejected rows: {result.rejected[:3]}")
        # The same file again: every row is known and nothing is new, as in a nightly sync from another system.
        start = time.perf_counter()
        with path.open("rb") as fh:
            again = import_contacts(workspace=target, actor=Actor.importer("bench"), stream=fh, parallel=True)
        reimport_elapsed = time.perf_counter() - start
        if again.unchanged != rows:
            raise RuntimeError(f"bench re-import changed rows: {again.summary()}")
        # The organisations stay for the baseline, as they would for an agent; the imported accounts stay too,
        # unlinked, under other handles than the baseline's (the workspace and all it holds go at the end).
        Person.objects.filter(workspace=target).delete()
        base_rows = min(2000, rows)
        start = time.perf_counter()
        for i in range(base_rows):
            services.create_person(
                workspace=target,
                actor=Actor.importer("bench"),
                data={
                    "external_id": f"one-{i}",
                    "first_name": "Per",
                    "last_name": f"Row{i}",
                    "email": f"one{i}@mail.example",
                },
                identities=[{"network": "twitter", "handle": f"one_{i}"}],
                organisations=[{"name": f"Company {i % 2000}"}],
            )
        base_elapsed = time.perf_counter() - start
        Workspace.objects.filter(pk=target.pk).delete()
    ours_rate, base_rate = rows / elapsed, base_rows / base_elapsed
    write(
        f"  {'import':<40} {ours_rate:>10,.0f} rows/s   baseline (one service call per row) {base_rate:>8,.0f} rows/s"
        f"   ratio {ours_rate / base_rate:>5.1f}x   goal >= 5,000 rows/s {'MET' if ours_rate >= 5000 else 'NOT MET'}"
    )
    write(f"  {'re-import of the same file (all unchanged)':<40} {rows / reimport_elapsed:>10,.0f} rows/s")


def _empty_workspace(slug: str) -> Workspace:
    """The workspace `slug` with nothing in it: an earlier run's is deleted with everything it held."""
    Workspace.objects.filter(slug=slug).delete()
    workspace, _ = get_or_create_workspace(slug=slug)
    return workspace


def _report(write, label: str, ours: list[float], base: list[float] | None, goal: float) -> None:
    line = (
        f"  {label:<40} median {statistics.median(ours):7.2f} ms  p95 {_pct(ours, 0.95):7.2f} ms"
        f"   goal p95 < {goal:.0f} ms {'MET' if _pct(ours, 0.95) < goal else 'NOT MET'}"
    )
    write(line)
    if base:
        write(
            f"  {'baseline':<40} median {statistics.median(base):7.2f} ms  p95 {_pct(base, 0.95):7.2f} ms"
            f"   ratio (baseline/ours, p95) {_pct(base, 0.95) / max(_pct(ours, 0.95), 1e-6):.1f}x"
        )

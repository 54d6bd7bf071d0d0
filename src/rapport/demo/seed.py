"""Seed the demo workspace: story people first, then a realistic bulk of contacts, organisations and touchpoints."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import phonenumbers
from django.db import transaction
from django.utils import timezone
from faker import Faker
from unidecode import unidecode

from rapport.contacts.models import Affiliation, Organization, Person, Touchpoint
from rapport.contacts.services import fold, person_search_text
from rapport.core.actors import Actor
from rapport.core.models import Workspace
from rapport.core.services import record_audit_bulk
from rapport.demo.stories import STORIES, when
from rapport.identity.accounts import attach_identities, create_identities
from rapport.identity.models import normalise_handle

LOCALES = {
    "en_GB": "GB",
    "da_DK": "DK",
    "sv_SE": "SE",
    "no_NO": "NO",
    "de_DE": "DE",
    "nl_NL": "NL",
    "fr_FR": "FR",
    "es_ES": "ES",
    "en_US": "US",
}
INDUSTRIES = [
    "Retail",
    "Manufacturing",
    "Software",
    "Hospitality",
    "Logistics",
    "Healthcare",
    "Finance",
    "Construction",
    "Education",
    "Media",
    "Energy",
    "Telecom",
]
SIZES = ["1-9", "10-49", "50-249", "250-999", "1000+"]
ASSOCIATIONS = [
    ("Rotary Club Aarhus", "association"),
    ("Rotary Club Göteborg", "association"),
    ("BNI Copenhagen Harbour", "network"),
    ("BNI Amsterdam Zuid", "network"),
    ("Lions Club Bergen", "association"),
    ("Chamber of Commerce Hamburg", "association"),
    ("Photographers' Guild", "association"),
]
TOUCH_TEMPLATES = [
    ("purchase", "store", "none", ["In-store purchase", "Weekly shop", "Accessories"]),
    ("purchase", "web", "none", ["Online order", "Subscription renewal", "Gift card"]),
    ("email", "email", "inbound", ["Question about my order", "Invoice query", "Change of address"]),
    ("email", "email", "outbound", ["Order confirmation", "Newsletter", "Service reminder"]),
    ("post", "twitter", "inbound", ["Mention of the brand", "Product question", "Delivery complaint"]),
    ("post", "facebook", "inbound", ["Comment on our post", "Review"]),
    ("post", "instagram", "inbound", ["Tagged photo", "Story mention"]),
    ("message", "twitter", "inbound", ["Direct message: order status", "Direct message: refund"]),
    ("message", "facebook", "inbound", ["Messenger: booking help", "Messenger: opening hours"]),
    ("call", "phone", "inbound", ["Support call", "Billing call", "Cancellation call"]),
    ("meeting", "web", "none", ["Account review", "Product demo"]),
    ("chat", "chat", "inbound", ["Web chat: delivery", "Web chat: returns"]),
    ("voucher_issued", "loyalty", "outbound", ["Birthday voucher", "10% welcome voucher"]),
    ("voucher_redeemed", "loyalty", "none", ["Voucher redeemed in store", "Voucher redeemed online"]),
]
TOUCH_WEIGHTS = [18, 12, 9, 10, 8, 5, 3, 4, 3, 8, 2, 6, 5, 3]

Advance = Callable[[int], None]


def _phone(raw: str, region: str) -> str:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@transaction.atomic
def seed_stories(*, workspace: Workspace) -> int:
    """Create the story people (idempotent by external_id); returns how many were created."""
    if Person.objects.filter(workspace=workspace, external_id=STORIES[0].external_id).exists():
        return 0
    now = timezone.now()
    actor = Actor.system("demo seed")
    created = []
    for s in STORIES:
        person = Person.objects.create(
            workspace=workspace,
            external_id=s.external_id,
            first_name=s.first_name,
            last_name=s.last_name,
            email=s.email,
            phone=s.phone,
            city=s.city,
            country=s.country,
            lifecycle_stage=s.lifecycle_stage,
            job_title=s.job_title,
            customer_number=s.customer_number,
            tags=s.tags,
        )
        if s.identities:
            attach_identities(workspace=workspace, person=person, identities=list(s.identities))
        orgs = []
        if s.organisation:
            orgs.append((s.organisation[0], "company", s.organisation[1]))
        orgs.extend(s.memberships)
        for name, kind, role in orgs:
            org, _ = Organization.objects.get_or_create(workspace=workspace, name=name, defaults={"kind": kind})
            org.search_text = f" {fold(name)} "
            org.save(update_fields=["search_text"])
            Affiliation.objects.create(workspace=workspace, person=person, organization=org, role=role, is_primary=True)
        Touchpoint.objects.bulk_create(
            [
                Touchpoint(
                    workspace=workspace,
                    person=person,
                    kind=t.kind,
                    channel=t.channel,
                    direction=t.direction,
                    occurred_at=when(now, t.days_ago),
                    title=t.title,
                    body=t.body,
                    amount=t.amount,
                    currency="EUR" if t.amount is not None else "",
                    source="demo",
                    data={"story": s.story, **t.data},
                )
                for t in s.touches
            ]
        )
        handles = [normalise_handle(i["handle"]) for i in s.identities]
        person.search_text, person.sort_name = person_search_text(
            person, handles=handles, organisations=[o[0] for o in orgs]
        )
        person.save(update_fields=["search_text", "sort_name"])
        created.append(person)
    record_audit_bulk(
        workspace=workspace,
        actor=actor,
        events=[
            ("contact.created", "person", p.pk, {"name": p.name, "story": s.story})
            for p, s in zip(created, STORIES, strict=True)
        ],
    )
    return len(created)


def seed_bulk(
    *,
    workspace: Workspace,
    people: int = 10_000,
    organisations: int = 1_000,
    touchpoints: int = 200_000,
    advance: Advance | None = None,
    seed: int = 7,
) -> dict[str, int]:
    """Create a realistic bulk (idempotent: tops up to the requested sizes)."""
    rng = random.Random(seed)
    fakers = {loc: Faker(loc) for loc in LOCALES}
    for i, f in enumerate(fakers.values()):
        f.seed_instance(seed + i)
    advance = advance or (lambda n: None)
    now = timezone.now()
    actor = Actor.system("demo seed")

    existing_orgs = Organization.objects.filter(workspace=workspace, external_id__startswith="demo-org-").count()
    with transaction.atomic():
        new_orgs = []
        for i in range(existing_orgs, organisations):
            loc = rng.choice(list(LOCALES))
            f = fakers[loc]
            name = f.company()
            new_orgs.append(
                Organization(
                    workspace=workspace,
                    name=name,
                    external_id=f"demo-org-{i}",
                    kind="company",
                    domain=unidecode(name).lower().replace(" ", "").replace(",", "").replace("&", "")[:40] + ".example",
                    industry=rng.choice(INDUSTRIES),
                    size=rng.choice(SIZES),
                    city=f.city(),
                    country=LOCALES[loc],
                    search_text=f" {fold(name)} ",
                )
            )
        for name, kind in ASSOCIATIONS:
            if not Organization.objects.filter(workspace=workspace, name=name).exists():
                new_orgs.append(
                    Organization(
                        workspace=workspace,
                        name=name,
                        kind=kind,
                        external_id="demo-assoc",
                        search_text=f" {fold(name)} ",
                    )
                )
        Organization.objects.bulk_create(new_orgs, batch_size=2000)
    advance(len(new_orgs))
    org_rows = list(Organization.objects.filter(workspace=workspace).values_list("id", "name", "kind"))
    companies = [o for o in org_rows if o[2] == "company"]
    clubs = [o for o in org_rows if o[2] != "company"]

    have = Person.objects.filter(workspace=workspace, external_id__startswith="demo-").count()
    stages = ["lead", "prospect", "customer", "customer", "customer", "advocate", "lapsed"]
    titles = ["Buyer", "CEO", "Head of Marketing", "Office manager", "Engineer", "Teacher", "Nurse", "Designer", ""]
    for start in range(have, people, 2000):
        with transaction.atomic():
            batch: list[tuple[Person, list[tuple[str, str, int]], list[tuple[int, str, str]]]] = []
            for i in range(start, min(start + 2000, people)):
                loc = rng.choice(list(LOCALES))
                f = fakers[loc]
                first, last = f.first_name(), f.last_name()
                local = unidecode(f"{first}.{last}").lower().replace(" ", "").replace("'", "")
                p = Person(
                    workspace=workspace,
                    external_id=f"demo-{i}",
                    first_name=first,
                    last_name=last,
                    email=f"{local}{rng.randint(1, 99)}@{rng.choice(['mail', 'post', 'inbox'])}.example",
                    phone=_phone(f.phone_number(), LOCALES[loc]),
                    job_title=rng.choice(titles),
                    street=f.street_address(),
                    city=f.city(),
                    postcode=f.postcode(),
                    country=LOCALES[loc],
                    date_of_birth=f.date_of_birth(minimum_age=18, maximum_age=85),
                    lifecycle_stage=rng.choice(stages),
                    customer_number=f"C-{100000 + i}" if rng.random() < 0.6 else "",
                    tags=rng.sample(
                        ["vip", "newsletter", "b2b", "student", "family", "gold", "silver"], k=rng.randint(0, 2)
                    ),
                )
                handles = []
                base = unidecode(f"{first}{last}").lower().replace(" ", "").replace("'", "")[:12]
                for network, share, followers in (
                    ("twitter", 0.35, 800),
                    ("facebook", 0.3, 300),
                    ("instagram", 0.2, 1200),
                ):
                    if rng.random() < share:
                        handles.append((network, f"{base}{i}", int(rng.paretovariate(1.2) * followers)))
                affs = []
                if companies and rng.random() < 0.55:
                    oid, oname, _ = rng.choice(companies)
                    affs.append((oid, oname, p.job_title or "Contact"))
                if clubs and rng.random() < 0.05:
                    oid, oname, _ = rng.choice(clubs)
                    affs.append((oid, oname, "Member"))
                p.search_text, p.sort_name = person_search_text(
                    p, handles=[h for _, h, _ in handles], organisations=[a[1] for a in affs]
                )
                batch.append((p, handles, affs))
            Person.objects.bulk_create([b[0] for b in batch], batch_size=2000)
            create_identities(
                workspace_id=workspace.pk,
                rows=[
                    {
                        "person": p,
                        "network": n,
                        "handle": h,
                        "external_id": f"{n}-{p.pk}",
                        "followers": fol,
                        "profile_url": f"https://{n}.example/{h}",
                    }
                    for p, handles, _ in batch
                    for n, h, fol in handles
                ],
            )
            Affiliation.objects.bulk_create(
                [
                    Affiliation(workspace=workspace, person=p, organization_id=oid, role=role[:100], is_primary=True)
                    for p, _, affs in batch
                    for oid, _, role in affs
                ],
                batch_size=2000,
                ignore_conflicts=True,
            )
            record_audit_bulk(
                workspace=workspace,
                actor=actor,
                events=[("contact.created", "person", p.pk, {"name": p.name}) for p, _, _ in batch],
            )
        advance(len(batch))

    person_ids = list(
        Person.objects.filter(workspace=workspace, external_id__startswith="demo-").values_list("id", flat=True)
    )
    have_tp = Touchpoint.objects.filter(workspace=workspace, source="demo-bulk").count()
    total = max(0, touchpoints - have_tp)
    for start in range(0, total, 5000):
        rows = []
        for _ in range(min(5000, total - start)):
            kind, channel, direction, titles_ = rng.choices(TOUCH_TEMPLATES, weights=TOUCH_WEIGHTS)[0]
            amount = None
            if kind == "purchase":
                amount = Decimal(str(round(rng.lognormvariate(3.8, 0.9), 2)))
            rows.append(
                Touchpoint(
                    workspace=workspace,
                    person_id=rng.choice(person_ids),
                    kind=kind,
                    channel=channel,
                    direction=direction,
                    occurred_at=now - timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60)),
                    title=rng.choice(titles_),
                    amount=amount,
                    currency="EUR" if amount is not None else "",
                    source="demo-bulk",
                )
            )
        Touchpoint.objects.bulk_create(rows, batch_size=5000)
        advance(len(rows))
    return {"organisations": len(new_orgs), "people": max(0, people - have), "touchpoints": total}

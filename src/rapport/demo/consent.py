"""Demo consent and privacy: two sign-up forms, consents with their evidence for the story people (including the
customer who allows offers by email but not by post), an objection, and two data-subject requests in the log."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from rapport.consent import collection, requests, services
from rapport.consent.models import Purpose, SignupForm
from rapport.contacts.models import Person
from rapport.core.actors import Actor
from rapport.core.models import Workspace


def seed_consent(workspace: Workspace) -> dict[str, int]:
    """Idempotent: does nothing once the tester form exists."""
    if SignupForm.objects.filter(workspace=workspace, slug="testers").exists():
        return {"forms": 0, "consents": 0, "requests": 0}
    actor = Actor.system("demo seed")
    collection.create_form(
        workspace=workspace,
        actor=actor,
        slug="testers",
        name="Join our tester community",
        wording="Yes, email me about tester programmes and let community managers contact me. Withdraw at any time.",
        consents=[{"purpose": "community", "channel": "email"}, {"purpose": "surveys", "channel": "email"}],
        fields=[
            {
                "name": "industry",
                "label": "Industry",
                "required": True,
                "choices": ["Construction", "Carpentry", "Metalwork", "Plumbing", "Other"],
            },
            {
                "name": "company_size",
                "label": "Company size",
                "required": False,
                "choices": ["1-9", "10-49", "50-249", "250+"],
            },
        ],
    )
    collection.create_form(
        workspace=workspace,
        actor=actor,
        slug="newsletter",
        name="Newsletter",
        wording="Yes, send me the monthly newsletter by email.",
        consents=[{"purpose": "newsletter", "channel": "email"}],
    )
    people = list(
        Person.objects.filter(workspace=workspace, merged_into__isnull=True).exclude(email="").order_by("id")[:12]
    )
    now = timezone.now()
    n = 0
    for i, person in enumerate(people):
        when = now - timedelta(days=30 + i * 7)
        evidence = {"ip": f"198.51.100.{10 + i}", "user_agent": "Mozilla/5.0 (demo)"}
        services.record(
            person,
            Purpose.NEWSLETTER,
            granted=True,
            channel="email",
            source="double_opt_in",
            wording="Yes, send me the monthly newsletter by email.",
            wording_version="1",
            evidence=evidence,
            occurred_at=when,
        )
        n += 1
        if i % 3 == 0:  # the offers customer: email yes, post no
            services.record(
                person,
                Purpose.OFFERS,
                granted=True,
                channel="email",
                source="form",
                wording="Personal offers by email",
                wording_version="2",
                evidence=evidence,
                occurred_at=when,
            )
            services.record(
                person,
                Purpose.OFFERS,
                granted=False,
                channel="post",
                source="form",
                wording="Personal offers by post",
                wording_version="2",
                evidence=evidence,
                occurred_at=when,
            )
            n += 2
        if i % 4 == 1:
            services.record(
                person,
                Purpose.ENRICHMENT,
                granted=True,
                source="preference_centre",
                wording="Use what I share publicly to serve me better",
                evidence=evidence,
                occurred_at=when,
            )
            n += 1
    made = 0
    if len(people) > 2:
        services.object_to(people[2], Purpose.PROFILING, source="agent", evidence={"agent": "demo seed"})
        requests.open_request(
            people[1], "access", actor=actor, notes="Asked by email", received_at=now - timedelta(days=26)
        )
        requests.open_request(people[2], "objection", actor=actor, received_at=now - timedelta(days=3))
        made = 2
    return {"forms": 2, "consents": n, "requests": made}

"""The demo's journeys, with a month of history so the maps have counts to show:

- "Moving house: our service at the new address" — a consented moving-house life event (Hanne of the four agents is
  one of them) enrols the person; two weeks before the move, those who allow offers by email get the offer of the
  service at the new address, the others are handed to an agent as a task; an order within 30 days is the goal.
- "After the camera purchase" — buying a camera enrols the buyer; a week later a care-and-use guide (a service
  message), then a check-in before the warranty ends and an invitation to the photography community — not
  "we recommend".

History is made by the journey engine itself on a simulated clock (events a month ago, ticks day by day up to now);
messages go to an in-memory mailbox, nothing leaves the machine. Idempotent by name."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.core import mail
from django.test.utils import override_settings
from django.utils import timezone

from rapport.campaigns import journeys, journeys_engine, policy
from rapport.campaigns.models import Journey, StepRun, StepStatus
from rapport.commerce.services import LineIn, OrderIn, record_order
from rapport.consent import services as consent
from rapport.contacts.models import Person
from rapport.core.actors import Actor
from rapport.core.events import emit
from rapport.core.models import Workspace

MOVING = "Moving house: our service at the new address"
CAMERA = "After the camera purchase"
HISTORY_DAYS = 30

MOVING_STEPS = [
    {"id": "before", "type": "wait", "until": "event_date", "offset_days": -14, "label": "Two weeks before the move"},
    {
        "id": "may-offer",
        "type": "branch",
        "condition": {"kind": "consent", "purpose": "offers", "channel": "email"},
        "then": "offer",
        "else": "agent",
    },
    {
        "id": "offer",
        "type": "email",
        "subject": "{{ first_name }}, your service at your new address",
        "body": (
            "Dear {{ name }},\n\nYou are moving on {{ event_date }}. We can have everything working at your new "
            "address on the day you arrive, and end it at the old one without a single phone call:\n"
            "https://shop.example/moving\n\nOne form, one date, done."
        ),
    },
    {"id": "done", "type": "exit"},
    {
        "id": "agent",
        "type": "task",
        "text": "{{ first_name }} is moving on {{ event_date }}: offer the service at the new address when you talk.",
    },
]
CAMERA_STEPS = [
    {"id": "week", "type": "wait", "days": 7},
    {
        "id": "guide",
        "type": "email",
        "subject": "Getting the most from your camera, {{ first_name }}",
        "body": (
            "Hello {{ first_name }},\n\nA week in: how to clean the sensor, care for the battery and keep the lens "
            "dry, step by step: https://shop.example/guides/camera-care"
        ),
    },
    {"id": "warranty", "type": "wait", "days": 330, "label": "A month before the warranty ends"},
    {
        "id": "check-in",
        "type": "email",
        "subject": "Your warranty ends next month",
        "body": "Hello {{ first_name }},\n\nIs everything working? A free check before the warranty ends: "
        "https://shop.example/check",
    },
    {"id": "community", "type": "invite"},
]


def _people(workspace: Workspace, n: int, seed: int) -> list[Person]:
    ids = list(
        Person.objects.filter(workspace=workspace, merged_into__isnull=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("pk", flat=True)[:2000]
    )
    rng = random.Random(seed)
    chosen = rng.sample(ids, min(n, len(ids)))
    return list(Person.objects.filter(pk__in=chosen).order_by("pk"))


def seed_journeys(workspace: Workspace) -> str:
    if Journey.objects.filter(workspace=workspace, name__in=[MOVING, CAMERA]).exists():
        return "journeys: the demo journeys are already there"
    actor = Actor.system("demo")
    moving = journeys.create_journey(
        workspace=workspace,
        actor=actor,
        data={
            "name": MOVING,
            "trigger": "life_event",
            "trigger_config": {"value": "moving_house"},
            "purpose": "offers",
            "status": "active",
            "goal_days": 30,
            "steps": MOVING_STEPS,
        },
    )
    camera = journeys.create_journey(
        workspace=workspace,
        actor=actor,
        data={
            "name": CAMERA,
            "trigger": "purchase",
            "trigger_config": {"category": "Cameras"},
            "purpose": "service",
            "status": "active",
            "reentry_days": 365,
            "steps": CAMERA_STEPS,
        },
    )
    now = timezone.now()
    start = now - timedelta(days=HISTORY_DAYS)
    rng = random.Random(5)
    candidates = _people(workspace, 200, seed=1)
    allowed = consent.permitted(workspace.pk, [p.pk for p in candidates], "offers", "email")
    movers = [p for p in candidates if p.pk in allowed][:16]
    # Some said yes to offers on the preference centre as they told us of the move; the others get an agent's call.
    never_asked = [p for p in candidates if p.pk not in allowed and consent.current_word(p, "offers", "email") is None]
    for p in never_asked[: 16 - len(movers)]:  # nobody who said no is asked again here
        consent.record(p, "offers", granted=True, channel="email", source="preference_centre")
        movers.append(p)
    movers += [p for p in candidates if p.pk not in allowed and p not in movers][:8]
    hanne = Person.objects.filter(workspace=workspace, external_id="story-fouragents").first()
    if hanne is not None and hanne not in movers:
        movers.append(hanne)
    buyers = [p for p in _people(workspace, 60, seed=2) if p not in movers][:16]
    saved = policy.clock
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            for i, p in enumerate(movers):
                policy.clock = lambda t=start + timedelta(hours=6 * i): t
                move = (start + timedelta(days=rng.randint(16, 40))).date()
                emit(
                    "consent.life_event_detected",
                    {
                        "workspace_id": workspace.pk,
                        "person_id": p.pk,
                        "value": "moving_house",
                        "event_date": move.isoformat(),
                        "source_post": None,
                    },
                )
            for i, p in enumerate(buyers):
                policy.clock = lambda t=start + timedelta(hours=8 * i): t
                record_order(
                    workspace=workspace,
                    order=OrderIn(
                        order_id=f"journey-camera-{p.pk}",
                        source="webshop",
                        ordered_at=policy.now(),
                        email=p.email,
                        lines=[LineIn(sku="CAM-X100", name="X100 camera", category="Cameras", amount=Decimal("899"))],
                    ),
                )
            t = start
            while t < now:
                t = min(t + timedelta(hours=12), now)
                policy.clock = lambda t=t: t
                journeys_engine.tick(now=t, workspace_id=workspace.pk)
                # Some of those offered the move service order it a few days later: the goal.
                offered = set(
                    StepRun.objects.filter(journey=moving, step="offer", status=StepStatus.SENT).values_list(
                        "person_id", flat=True
                    )
                )
                for p in movers:
                    if p.pk in offered and rng.random() < 0.01:
                        record_order(
                            workspace=workspace,
                            order=OrderIn(
                                order_id=f"journey-move-{p.pk}",
                                source="webshop",
                                ordered_at=t,
                                email=p.email,
                                lines=[
                                    LineIn(
                                        sku="MOVE-SVC",
                                        name="Moving service",
                                        category="Services",
                                        amount=Decimal("149"),
                                    )
                                ],
                            ),
                        )
        mail.outbox = []
    finally:
        policy.clock = saved
    m, c = journeys.counts(moving), journeys.counts(camera)
    return (
        f"journeys: {MOVING!r} {m['entered']} entered, {m['steps'][2]['sent']} offered, {m['converted']} converted; "
        f"{CAMERA!r} {c['entered']} entered, {c['steps'][1]['sent']} guides sent"
    )

"""Demo segments: buyers, people at risk, unhappy voices and a consented VIP audience, kept live from then on."""

from __future__ import annotations

from rapport.core.actors import Actor
from rapport.core.models import Workspace
from rapport.segments import lifecycle, services
from rapport.segments.models import Segment

SEGMENTS = [
    ("Repeat buyers", "Bought twice or more", {"all": [{"field": "purchases.count", "op": "gte", "value": 2}]}),
    (
        "At risk of leaving",
        "Customers whose purchase rhythm says they may have gone",
        {
            "all": [
                {"field": "purchases.count", "op": "gte", "value": 1},
                {"field": "value.p_alive", "op": "lt", "value": 0.3},
            ]
        },
    ),
    (
        "Unhappy voices",
        "Heard on social media lately, mostly negative",
        {
            "all": [
                {"field": "social.mentions", "op": "gte", "value": 1, "days": 365},
                {"field": "social.sentiment", "op": "lt", "value": -0.2, "days": 365},
            ]
        },
    ),
    (
        "VIP newsletter audience",
        "VIPs who said yes to the newsletter by email",
        {
            "all": [
                {"field": "tags", "op": "contains", "value": "vip"},
                {"field": "consent.newsletter.email", "op": "eq", "value": True},
            ]
        },
    ),
]


def seed_segments(workspace: Workspace) -> dict[str, int]:
    """Save the demo segments (idempotent by name) and infer lifecycle stages from the seeded signals."""
    actor = Actor.system("demo")
    sizes = {}
    for name, description, definition in SEGMENTS:
        segment = Segment.objects.filter(workspace=workspace, name=name).first()
        if segment is None:
            segment = services.create_segment(
                workspace=workspace,
                actor=actor,
                data={"name": name, "description": description, "definition": definition},
            )
        else:
            services.reconcile(segment)
        sizes[name] = services.member_count(segment)
    sizes["lifecycle moves"] = len(lifecycle.infer(workspace_id=workspace.pk, limit=5000))
    return sizes

"""Builders shared by the care tests and scenarios: brand channels, people with handles, posts through the pipeline."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from rapport.care.models import AgentProfile, SLAPolicy, Team
from rapport.channels.services import upsert_channel
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.core.models import Workspace
from rapport.pipeline.ingest import process_batch

ACTOR = Actor.system("test")
_ids = itertools.count(1)


def brand(workspace: Workspace, network: str = "twitter", handle: str = "acmeair", **credentials: Any):
    """A brand channel the inbox answers on."""
    return upsert_channel(
        workspace=workspace,
        actor=ACTOR,
        network=network,
        handle=handle,
        name=handle,
        external_id=f"{network}-brand",
        credentials=credentials or {"access_token": "x"},
    )


def person(
    workspace: Workspace,
    first: str,
    last: str,
    *,
    network: str = "twitter",
    handle: str = "",
    followers: int | None = None,
    tags: list[str] | None = None,
    external_id: str = "",
):
    """A person with one social identity."""
    identities = [
        {
            "network": network,
            "handle": handle or f"{first}{last}".lower(),
            "external_id": external_id or f"{network}-{handle or f'{first}{last}'.lower()}",
            "followers": followers,
        }
    ]
    return create_person(
        workspace=workspace,
        actor=ACTOR,
        data={"first_name": first, "last_name": last, "tags": tags or []},
        identities=identities,
    )


def post(
    text: str,
    *,
    handle: str,
    network: str = "twitter",
    kind: str = "post",
    in_reply_to: str | None = None,
    external_id: str | None = None,
    author_id: str | None = None,
    followers: int | None = None,
    created_at: datetime | None = None,
    metrics: dict | None = None,
) -> dict:
    """A normalised post in the pipeline's JSON-line shape."""
    n = next(_ids)
    at = (created_at or datetime.now(tz=UTC)).astimezone(UTC)
    return {
        "network": network,
        "external_id": external_id or f"p{n}",
        "created_at": at.isoformat(),
        "text": text,
        "author": {
            "external_id": author_id or f"{network}-{handle}",
            "handle": handle,
            "name": None,
            "followers": followers,
        },
        "in_reply_to": in_reply_to,
        "url": None,
        "kind": kind,
        "metrics": metrics or {},
        "raw": None,
    }


def ingest(workspace: Workspace, posts: list[dict], capture) -> Any:
    """Run posts through the real pipeline and deliver its after-commit events (capture: the pytest-django fixture)."""
    with capture(execute=True):
        return process_batch(workspace_id=workspace.pk, posts=posts, detect_spikes=False)


def social_policy(
    workspace: Workspace,
    *,
    first: int = 60,
    nxt: int | None = 120,
    resolution: int | None = 1440,
    warn: int = 15,
    calendar: dict | None = None,
    **filters: Any,
) -> SLAPolicy:
    """An SLA policy for social channels."""
    return SLAPolicy.objects.create(
        workspace=workspace,
        name=f"policy {next(_ids)}",
        first_response_minutes=first,
        next_response_minutes=nxt,
        resolution_minutes=resolution,
        warn_before_minutes=warn,
        calendar=calendar or {},
        **filters,
    )


def team_with_agents(
    workspace: Workspace,
    member_factory,
    *,
    name: str = "Social",
    n: int = 2,
    strategy: str = "least_loaded",
    capacity: int = 5,
    languages: list[str] | None = None,
):
    """A team and n agent members with profiles."""
    team = Team.objects.create(workspace=workspace, name=name, strategy=strategy)
    users = []
    for i in range(n):
        member = member_factory(workspace, "agent", email=f"{name.lower()}{i}@{workspace.slug}.example")
        profile = AgentProfile.objects.create(
            workspace=workspace, user=member.user, capacity=capacity, languages=languages or []
        )
        profile.teams.add(team)
        users.append(member.user)
    return team, users

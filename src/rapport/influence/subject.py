"""Influence's part of access exports and erasures: the person's scores with the inputs and evidence they were
computed from, their history, rising alerts, and the graph's edges that point at the person's accounts."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from rapport.consent.subject import Subject, register_subject_data
from rapport.identity.models import SocialIdentity
from rapport.influence.models import Interaction, RisingAlert, Score, ScoreSnapshot


def _accounts(subject: Subject) -> list[tuple[int, str, str, str]]:
    return list(
        SocialIdentity.objects.filter(person_id__in=subject.person_ids).values_list(
            "pk", "network", "handle_key", "external_id"
        )
    )


def _mine(subject: Subject) -> Q:
    identity_ids = [pk for pk, *_ in _accounts(subject)]
    return Q(person_id__in=subject.person_ids) | Q(identity_id__in=identity_ids)


def _export(subject: Subject) -> dict[str, Any]:
    mine = _mine(subject)
    ws = subject.workspace_id
    return {
        "scores": list(
            Score.objects.filter(mine, workspace_id=ws)
            .order_by("subject", "topic")
            .values("subject", "topic", "score", "components", "features", "evidence", "updated_at")
        ),
        "history": list(
            ScoreSnapshot.objects.filter(mine, workspace_id=ws)
            .order_by("-day")
            .values("subject", "day", "score")[:2000]
        ),
        "rising_alerts": list(
            RisingAlert.objects.filter(mine, workspace_id=ws).values("score", "rise", "negative_posts", "reason")
        ),
    }


def _erase(subject: Subject) -> dict[str, int]:
    ws = subject.workspace_id
    mine = _mine(subject)
    accounts = _accounts(subject)
    identity_ids = [pk for pk, *_ in accounts]
    scores, _ = Score.objects.filter(mine, workspace_id=ws).delete()
    history, _ = ScoreSnapshot.objects.filter(mine, workspace_id=ws).delete()
    alerts, _ = RisingAlert.objects.filter(mine, workspace_id=ws).delete()
    # Edges other people's posts drew to the person's accounts name them (by id or by the handle as written).
    keys = [f"{net}:@{handle}" for _, net, handle, _ in accounts if handle]
    keys += [f"{net}:#{ext}" for _, net, _, ext in accounts if ext]
    edges, _ = Interaction.objects.filter(
        Q(target_id__in=identity_ids) | Q(target_key__in=keys), workspace_id=ws
    ).delete()
    return {"influence_scores": scores + history + alerts, "graph_edges": edges}


def register() -> None:
    register_subject_data("influence", _export, _erase)

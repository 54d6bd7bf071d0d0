"""The pipeline's part of access exports, erasures and retention: dead letters.

A rejected record is raw text nobody has parsed, so it belongs to no person by a key; it is the person's when it
names one of their identifiers (email, handle, account id, customer number). Those are exported and, on erasure,
deleted. Dead letters of any kind go after the workspace's retention policy for them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rapport.consent.retention import register_retention
from rapport.consent.subject import Subject, register_subject_data
from rapport.pipeline.models import DeadLetter


def _naming(subject: Subject):
    names = subject.named_in("payload")
    if names is None:
        return DeadLetter.objects.none()
    return DeadLetter.objects.filter(names, workspace_id=subject.workspace_id)


def _export(subject: Subject) -> list[dict[str, Any]]:
    return list(
        _naming(subject).order_by("-created_at").values("source", "reason", "payload", "status", "created_at")[:2000]
    )


def _erase(subject: Subject) -> dict[str, int]:
    n, _ = _naming(subject).delete()
    return {"dead_letters": n}


def _purge(workspace_id: int, cutoff: datetime) -> int:
    # Replayed or not: a record still unrecovered after the policy's days is not going to be.
    n, _ = DeadLetter.objects.filter(workspace_id=workspace_id, created_at__lt=cutoff).delete()
    return n


def register() -> None:
    register_subject_data("dead_letters", _export, _erase)
    register_retention("dead_letters", "Dead letters (rejected stream records)", 30, _purge)

"""Listening's part of access exports, erasures and retention: the person's posts, and those of their identities."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q

from rapport.consent.retention import register_retention
from rapport.consent.subject import Subject, register_subject_data
from rapport.identity.models import SocialIdentity
from rapport.listening.models import HourlyCount, Post, SpikeAlert


def _posts_of(subject: Subject):
    identity_ids = SocialIdentity.objects.filter(person_id__in=subject.person_ids).values_list("pk", flat=True)
    return Post.objects.filter(workspace_id=subject.workspace_id).filter(
        Q(person_id__in=subject.person_ids) | Q(author_id__in=list(identity_ids))
    )


def _export(subject: Subject) -> list[dict[str, Any]]:
    fields = ("id", "network", "kind", "text", "url", "language", "sentiment_label", "created_at")
    return list(_posts_of(subject).order_by("-created_at").values(*fields)[:10000])


def _erase(subject: Subject) -> dict[str, int]:
    identities = list(
        SocialIdentity.objects.filter(person_id__in=subject.person_ids).values_list("pk", "handle_key", "handle")
    )
    keys = (
        {str(pk) for pk, _, _ in identities} | {k for _, k, h in identities if k} | {h for _, _, h in identities if h}
    )
    _, deleted = _posts_of(subject).delete()  # the total would count cascaded rows (rule matches, graph edges) too
    posts = deleted.get("listening.Post", 0)
    series, _ = HourlyCount.objects.filter(workspace_id=subject.workspace_id, dimension="author", key__in=keys).delete()
    alerts, _ = SpikeAlert.objects.filter(workspace_id=subject.workspace_id, dimension="author", key__in=keys).delete()
    return {"posts": posts, "author_series": series + alerts}


def _purge_non_customer_posts(workspace_id: int, cutoff: datetime) -> int:
    # Posts of people who are not customers (or of no known person) go after the policy's days.
    qs = Post.objects.filter(workspace_id=workspace_id, created_at__lt=cutoff).exclude(
        person__lifecycle_stage__in=["customer", "advocate"]
    )
    n, _ = qs.delete()
    return n


def register() -> None:
    register_subject_data("posts", _export, _erase)
    register_retention("posts_non_customers", "Posts of non-customers", 365, _purge_non_customer_posts)

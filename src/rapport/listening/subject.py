"""Listening's part of access exports, erasures and retention: the person's posts, and those of their identities."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from django.db.models import Q

from rapport.consent.retention import register_retention
from rapport.consent.subject import MIN_IDENTIFIER, Subject, register_subject_data
from rapport.contacts.models import Touchpoint
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
    keys |= {f"@{k.lstrip('@').lower()}" for k in list(keys) if not k.isdigit()}  # mentions are counted as @handle
    _, deleted = _posts_of(subject).delete()  # the total would count cascaded rows (rule matches, graph edges) too
    posts = deleted.get("listening.Post", 0)
    mentions = _scrub_mentions(subject.workspace_id, [h for _, _, h in identities if h])
    series, _ = HourlyCount.objects.filter(workspace_id=subject.workspace_id, dimension="author", key__in=keys).delete()
    alerts, _ = SpikeAlert.objects.filter(workspace_id=subject.workspace_id, dimension="author", key__in=keys).delete()
    return {"posts": posts, "author_series": series + alerts, "mentions_scrubbed": mentions}


MENTIONED_AS = "@[erased]"


def _scrub_mentions(workspace_id: int, handles: list[str]) -> int:
    """Other people's posts stay theirs, but the erased person's handles in them go (text and raw payload), so no
    search for the person finds them through someone else's mention."""
    handles = [h.lstrip("@") for h in handles if len(h.lstrip("@")) >= 2]
    if not handles:
        return 0
    # A handle is a whole word: @ann must not eat into @anna.
    pattern = re.compile(r"@(?:" + "|".join(re.escape(h) for h in handles) + r")(?![\w.-]*\w)", re.IGNORECASE)
    # In the payload, a bare screen name too, when it is long enough not to be an ordinary word or key.
    long_ones = [h for h in handles if len(h) >= MIN_IDENTIFIER]
    bare = (
        re.compile(r"(?<![\w@])(?:" + "|".join(re.escape(h) for h in long_ones) + r")(?!\w)", re.I)
        if long_ones
        else None
    )
    found = Q()
    for h in handles:
        found |= Q(text__icontains=f"@{h}")
    changed = []
    for post in Post.objects.filter(found, workspace_id=workspace_id).only("id", "text", "raw"):
        post.text = pattern.sub(MENTIONED_AS, post.text)
        # The network's own payload names the account too (mention entities, screen names).
        raw = pattern.sub(MENTIONED_AS, json.dumps(post.raw))
        post.raw = json.loads(bare.sub("[erased]", raw) if bare else raw)
        changed.append(post)
    Post.objects.bulk_update(changed, ["text", "raw"], batch_size=500)
    # The posts' entries on their own authors' timelines quote them.
    touches = list(
        Touchpoint.objects.filter(
            workspace_id=workspace_id, source="post", source_id__in=[str(p.pk) for p in changed]
        ).only("id", "title", "body")
    )
    for t in touches:
        t.title, t.body = pattern.sub(MENTIONED_AS, t.title or ""), pattern.sub(MENTIONED_AS, t.body or "")
    Touchpoint.objects.bulk_update(touches, ["title", "body"], batch_size=500)
    return len(changed)


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

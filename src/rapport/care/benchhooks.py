"""The inbox's part of `rapport bench pipeline` (registered in CareConfig.ready through rapport.pipeline.benchhooks):
a brand channel for the bench's posts to address, and the per-post baseline's inbox step, built from the inbox's
own one-message functions (open_or_join, add_inbound) as a straightforward implementation would call them."""

from __future__ import annotations

from typing import Any

from rapport.care.classify import classify
from rapport.care.conversations import _open_conversation, add_inbound, create_or_join
from rapport.care.models import Message, MessageDirection
from rapport.channels.models import Channel
from rapport.channels.services import upsert_channel
from rapport.core.actors import Actor
from rapport.core.models import Workspace


def add_channel(workspace_id: int, network: str, handle: str) -> None:
    """An active brand channel for handle on network."""
    ws = Workspace.objects.get(pk=workspace_id)
    upsert_channel(workspace=ws, actor=Actor.system("bench"), network=network, handle=handle)


def route_one(workspace_id: int, post: Any, identity: Any) -> bool:
    """One addressed post into the author's open conversation (opened if none), one message, its SLA and routing."""
    ws = Workspace(pk=workspace_id)
    c = classify(post.text, sentiment_label=post.sentiment_label, sentiment_score=post.sentiment_score)
    person_id = identity.person_id if identity is not None else None
    identity_id = identity.pk if identity is not None else None
    # As intake does: an open conversation takes any message; only one that needs an answer opens a new one.
    conv = _open_conversation(workspace=ws, person_id=person_id, identity_id=identity_id)
    if conv is None:
        if not c.needs_response:
            return False
        conv, _ = create_or_join(
            workspace=ws,
            person_id=person_id,
            identity_id=identity_id,
            network=post.network,
            language=post.language,
            subject=post.text[:200],
        )
    channel = Channel.objects.filter(workspace_id=workspace_id, network=post.network, active=True).first()
    msg = add_inbound(
        conversation=conv,
        network=post.network,
        text=post.text,
        created_at=post.created_at,
        external_id=post.external_id,
        kind=post.kind,
        post=post,
        author_label=f"@{identity.handle}" if identity is not None and identity.handle else "",
        sentiment_label=post.sentiment_label,
        sentiment_score=post.sentiment_score,
        category=c.category,
        brand_channel=channel,
    )
    return msg is not None


def messages(workspace_id: int) -> int:
    """Inbound messages in the workspace: the posts routed into conversations."""
    return Message.objects.filter(workspace_id=workspace_id, direction=MessageDirection.INBOUND).count()

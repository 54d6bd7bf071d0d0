"""Care's part of access exports, erasures and retention: conversations, their messages and survey answers.

An erasure anonymises rather than deletes: the conversation stays (its SLA figures and the reports still count
it), without the person, their account, their words or their name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q

from rapport.care.models import Conversation, CsatResponse, Message
from rapport.consent.retention import register_retention
from rapport.consent.subject import ERASED, Subject, register_subject_data
from rapport.identity.models import SocialIdentity


def _conversations(subject: Subject):
    identity_ids = list(SocialIdentity.objects.filter(person_id__in=subject.person_ids).values_list("pk", flat=True))
    return Conversation.objects.filter(workspace_id=subject.workspace_id).filter(
        Q(person_id__in=subject.person_ids) | Q(identity_id__in=identity_ids)
    )


def _export(subject: Subject) -> list[dict[str, Any]]:
    out = []
    for c in _conversations(subject).prefetch_related("messages", "csat"):
        out.append(
            {
                "id": c.pk,
                "status": c.status,
                "channel": c.channel,
                "subject": c.subject,
                "opened_at": c.created_at.isoformat() if getattr(c, "created_at", None) else None,
                "messages": [
                    {"direction": m.direction, "network": m.network, "text": m.text, "at": m.created_at.isoformat()}
                    for m in c.messages.all()
                ],
                "csat": [{"score": r.score, "comment": r.comment} for r in c.csat.all()],
            }
        )
    return out


def _erase(subject: Subject) -> dict[str, int]:
    ids = list(_conversations(subject).values_list("pk", flat=True))
    messages = Message.objects.filter(conversation_id__in=ids).update(
        text=ERASED, author_label="", external_id="", in_reply_to="", last_error="", post=None
    )
    CsatResponse.objects.filter(conversation_id__in=ids).update(comment="")
    n = Conversation.objects.filter(pk__in=ids).update(person=None, identity=None, subject="", tags=[])
    return {"conversations_anonymised": n, "messages_anonymised": messages}


def _purge_messages(workspace_id: int, cutoff: datetime) -> int:
    # The conversation and its figures stay; the words of messages older than the policy go.
    return (
        Message.objects.filter(workspace_id=workspace_id, created_at__lt=cutoff)
        .exclude(text=ERASED)
        .update(text=ERASED, author_label="")
    )


def register() -> None:
    register_subject_data("conversations", _export, _erase)
    register_retention("messages", "Message texts", 730, _purge_messages)

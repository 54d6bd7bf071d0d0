"""CSAT surveys: after a conversation is resolved, the customer gets a signed link on the channel it came in on."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from rapport.care.models import Conversation, CsatResponse, Delivery, Message, MessageDirection
from rapport.consent.models import Purpose
from rapport.consent.services import channel_for_network, may_contact

log = logging.getLogger(__name__)
SALT = "rapport.care.csat"
SURVEY_KIND = "survey"


def survey_token(conversation: Conversation) -> str:
    """A signed, tamper-proof token naming the conversation (no secret is stored, nothing is guessable)."""
    return signing.dumps({"c": conversation.pk, "w": conversation.workspace_id}, salt=SALT, compress=True)


def conversation_for(token: str) -> Conversation | None:
    """The conversation a survey token names, or None when the token is forged or older than the survey lifetime."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.RAPPORT_CSAT_DAYS * 86400)
    except signing.BadSignature:
        return None
    return Conversation.objects.filter(pk=data.get("c"), workspace_id=data.get("w")).first()


def survey_url(conversation: Conversation) -> str:
    """The public address of the conversation's survey page."""
    path = reverse("care:survey", kwargs={"token": survey_token(conversation)})
    return settings.RAPPORT_PUBLIC_URL.rstrip("/") + path


def send_survey(event: str, payload: dict[str, Any]) -> Message | None:
    """Handler of conversation.csat_requested: one survey message per conversation, sent like a reply."""
    from rapport.care.replies import deliver

    conversation = Conversation.objects.filter(pk=payload.get("conversation_id")).first()
    if conversation is None or conversation.person_id is None and conversation.identity_id is None:
        return None
    # Asked at the moment of sending: a withdrawal or objection since the resolution stops the survey.
    if conversation.person_id and not may_contact(
        conversation.person, Purpose.SURVEYS, channel_for_network(conversation.channel)
    ):
        return None
    with transaction.atomic():
        if Message.objects.filter(conversation=conversation, kind=SURVEY_KIND).exists():
            return None  # re-resolving after a reopen does not ask twice
        message = Message.objects.create(
            workspace_id=conversation.workspace_id,
            conversation=conversation,
            network=conversation.channel or "other",
            kind=SURVEY_KIND,
            direction=MessageDirection.OUTBOUND,
            text=f"Thanks for talking to us. How did we do? Tell us in one click: {survey_url(conversation)}",
            created_at=timezone.now(),
            author_label="Rapport survey",
            brand_channel=conversation.brand_channel,
            delivery_status=Delivery.QUEUED,
        )
    return deliver(message)


def answered(conversation: Conversation) -> CsatResponse | None:
    """The customer's answer, if they gave one."""
    return CsatResponse.objects.filter(conversation=conversation).order_by("id").first()

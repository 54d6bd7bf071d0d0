"""CSAT surveys: after a conversation is resolved, the customer gets a signed link on the channel it came in on."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from rapport.care.models import Conversation, CsatResponse, Delivery, Message, MessageDirection
from rapport.consent.models import Purpose
from rapport.consent.services import channel_for_network, may_contact
from rapport.core.links import public_url

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


# Link checkers, unfurlers and prefetchers open links nobody clicked: they must not record a rating.
_NOT_A_PERSON = re.compile(r"bot|crawl|spider|preview|scanner|facebookexternalhit|slurp|safelinks|proofpoint", re.I)
SCORES = range(1, 6)
# Networks whose messages are short: one link to the page of one-click ratings; elsewhere five links.
SHORT_NETWORKS = {"twitter", "x", "mastodon", "bluesky", "instagram", "facebook", "sms", "whatsapp"}


def survey_url(conversation: Conversation, score: int | None = None) -> str:
    """The public address of the conversation's survey page; with a score, the link that records that rating."""
    path = reverse("care:survey", kwargs={"token": survey_token(conversation)})
    return public_url() + path + (f"?score={score}" if score is not None else "")


def survey_text(conversation: Conversation) -> str:
    """The survey message: one click on a rating records it (a comment is optional, on the page it opens)."""
    if (conversation.channel or "") in SHORT_NETWORKS:
        return f"Thanks for talking to us. How did we do? Rate us in one click: {survey_url(conversation)}"
    lines = [f"{s} - {label}: {survey_url(conversation, s)}" for s, label in zip(SCORES, LABELS, strict=True)]
    return "Thanks for talking to us. How did we do? Click a rating, that is all:\n" + "\n".join(lines)


# English in the survey message (sent by a job, in no reader's language); the survey page shows them translated.
LABELS = (
    gettext_noop("very unhappy"),
    gettext_noop("unhappy"),
    gettext_noop("neutral"),
    gettext_noop("happy"),
    gettext_noop("very happy"),
)


def by_a_person(request) -> bool:
    """Whether a GET looks like a person's click rather than a prefetch, link preview or security scanner."""
    purpose = (request.headers.get("Sec-Purpose") or request.headers.get("Purpose") or "").lower()
    if "prefetch" in purpose or "preview" in purpose:
        return False
    return not _NOT_A_PERSON.search(request.headers.get("User-Agent", ""))


def rate(*, conversation: Conversation, score: int, comment: str | None = None) -> CsatResponse:
    """Record the customer's rating; a later click changes it (the customer's last word counts), and a comment
    given on the page is kept with it. Only a resolved conversation takes a rating."""
    from rapport.care.conversations import record_csat

    with transaction.atomic():
        existing = (
            CsatResponse.objects.select_for_update().filter(conversation=conversation).order_by("id").first()
        )
        if existing is None:
            return record_csat(conversation=conversation, score=score, comment=comment or "")
        if conversation.status != "resolved":
            raise ValueError("CSAT is asked after resolution")
        if not 1 <= int(score) <= 5:
            raise ValueError("score must be 1 to 5")
        existing.score = int(score)
        if comment is not None:
            existing.comment = comment[:2000]
        existing.save(update_fields=["score", "comment"])
        return existing


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
            text=survey_text(conversation),
            created_at=timezone.now(),
            author_label="Rapport survey",
            brand_channel=conversation.brand_channel,
            delivery_status=Delivery.QUEUED,
        )
    return deliver(message)


def answered(conversation: Conversation) -> CsatResponse | None:
    """The customer's answer, if they gave one."""
    return CsatResponse.objects.filter(conversation=conversation).order_by("id").first()

"""Replies: canned answers with variables, and sending through the channel the last message came in on.

A reply is stored before it is sent, so it is never lost: a failed send stays visible as failed, with the
network's error, and retry_failed() tries again with backoff.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from django.db import transaction
from django.utils import timezone

from rapport.care import sla
from rapport.care.models import CannedReply, Conversation, Delivery, Message, MessageDirection
from rapport.care.triage import score_conversation
from rapport.channels.models import Channel
from rapport.channels.services import connector_facts
from rapport.contacts.models import Person
from rapport.core import events
from rapport.core.actors import Actor
from rapport.core.models import User
from rapport.core.redact import redact_text
from rapport.core.services import record_audit
from rapport.identity.models import SocialIdentity
from rapport.pipeline.connectors.base import ConnectorError
from rapport.pipeline.connectors.base_channel import ReplyTarget
from rapport.pipeline.connectors.registry import read_only_reason, reply_args, reply_client

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
# {{first_name}}, or {{first_name|there}} with the words to use when the value is unknown.
_VARIABLE = re.compile(r"\{\{\s*(\w+)\s*(?:\|\s*([^}]*?)\s*)?\}\}")
# What a missing value becomes when the reply gives no fallback of its own: never "Hi , ...".
# After a greeting a missing name becomes "there" ("Hi there,"); elsewhere it is left out ("Thank you, ...").
FALLBACKS = {"first_name": "", "name": "", "last_name": "", "agent_name": "the team", "brand": "us"}
GREETED = {"first_name", "name"}
_GREETING = re.compile(r"\b(hi|hello|hey|dear|hej|hallo|moin)\s*$", re.I)
VARIABLES = ("first_name", "last_name", "name", "agent_name", "brand")


def _values(conversation: Conversation, agent: User | None) -> dict[str, str]:
    person = Person.objects.filter(pk=conversation.person_id).first() if conversation.person_id else None
    first, last = (person.first_name, person.last_name) if person else ("", "")
    if person is None and conversation.identity_id:
        # Before the author is linked to a contact, the social profile's display name is what we know.
        identity = SocialIdentity.objects.filter(pk=conversation.identity_id).first()
        shown = (identity.display_name or "").split() if identity else []
        first, last = (shown[0], " ".join(shown[1:])) if shown else ("", "")
    return {
        "first_name": first.strip(),
        "last_name": last.strip(),
        "name": f"{first} {last}".strip(),
        "agent_name": (agent.first_name or agent.email.split("@")[0]) if agent else "",
        "brand": conversation.workspace.name,
    }


@dataclass
class RenderedCanned:
    """A canned reply filled for one conversation: the text, and which variables fell back or are unknown."""

    text: str
    fell_back: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def preview_canned(*, canned: CannedReply, conversation: Conversation, agent: User | None = None) -> RenderedCanned:
    """Fill the variables; an empty value takes the reply's own fallback ({{first_name|there}}) or the default
    one, so a reply never reads "Hi , ..."; unknown variables stay visible for the agent to fix."""
    values = _values(conversation, agent)
    out = RenderedCanned(text="")

    def fill(m: re.Match) -> str:
        name, fallback = m.group(1), m.group(2)
        if name not in values:
            out.unknown.append(name)
            return m.group(0)
        if values[name]:
            return values[name]
        out.fell_back.append(name)
        if fallback is not None:
            return fallback
        if name in GREETED and _GREETING.search(m.string[: m.start()]):
            return "there"
        return FALLBACKS.get(name, "")

    text = _VARIABLE.sub(fill, canned.text)
    # An empty value must not leave its punctuation behind ("Hi  ,", "Thanks ,").
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r" +([,.!?;:])", r"\1", text)
    out.text = text.strip()
    return out


def render_canned(*, canned: CannedReply, conversation: Conversation, agent: User | None = None) -> str:
    """Fill {{first_name}}, {{last_name}}, {{name}}, {{agent_name}} and {{brand}} into a canned reply."""
    return preview_canned(canned=canned, conversation=conversation, agent=agent).text


def _client(channel: Channel | None, network: str):
    """The outbound client for a brand channel, from its connector; None without the channel's credentials, so the
    reply is recorded, never attempted against the network's public API (which also keeps demo and tests local)."""
    return reply_client(connector_facts(channel, network))


def _send(message: Message) -> str | None:
    """Send one outbound message on its network; return the new external id (None: no connector for it)."""
    conv = message.conversation
    last = (
        Message.objects.filter(conversation=conv, direction=MessageDirection.INBOUND, network=message.network)
        .exclude(external_id="")
        .order_by("-created_at", "-id")
        .first()
    )
    channel = (
        message.brand_channel
        or Channel.objects.filter(workspace_id=conv.workspace_id, network=message.network, active=True).first()
    )
    client = _client(channel, message.network)
    if client is None:
        return None
    if last is None:
        raise ConnectorError(f"{message.network}: nothing to reply to", retryable=False, network=message.network)
    ident = SocialIdentity.objects.filter(pk=conv.identity_id).only("external_id").first()
    target = ReplyTarget(
        text=message.text,
        network=message.network,
        last_external_id=last.external_id,
        last_kind=last.kind,
        last_in_reply_to=last.in_reply_to,
        last_text=last.text,
        account_id=ident.external_id if ident else "",
        email=conv.person.email if conv.person_id else "",
    )
    try:
        return client.send_reply(**reply_args(target))
    finally:
        client.close()


def _not_sent_reason(message: Message) -> str:
    """Why a reply was recorded but not sent: the channel's own reason (a read-only forum) or no connector."""
    channel = (
        message.brand_channel
        or Channel.objects.filter(workspace_id=message.workspace_id, network=message.network, active=True).first()
    )
    reason = read_only_reason(connector_facts(channel, message.network)) if channel is not None else None
    return f"recorded only, {reason}" if reason else "recorded only: no outbound connector for this channel"


def deliver(message: Message, *, now: datetime | None = None) -> Message:
    """Try to send a queued or failed reply; a failure is kept with its error and a next attempt time."""
    now = now or timezone.now()
    message.attempts += 1
    try:
        external_id = _send(message)
    except (ConnectorError, httpx.HTTPError, OSError) as exc:
        message.delivery_status = Delivery.FAILED
        message.last_error = redact_text(str(exc))[:2000]  # shown to agents: no credentials
        message.next_attempt_at = now + timedelta(minutes=min(60, 2 ** min(message.attempts, 6)))
        log.warning("reply %s failed (attempt %s): %s", message.pk, message.attempts, message.last_error)
    else:
        message.delivery_status = Delivery.SENT if external_id else Delivery.NONE
        message.external_id = external_id or message.external_id
        message.last_error = "" if external_id else _not_sent_reason(message)
        message.next_attempt_at = None
    message.save(update_fields=["delivery_status", "external_id", "last_error", "next_attempt_at", "attempts"])
    events.emit(
        "conversation.updated", {"workspace_id": message.workspace_id, "conversation_id": message.conversation_id}
    )
    return message


def reply(
    *, conversation: Conversation, agent: User, text: str, now: datetime | None = None, send: bool = True
) -> Message:
    """Store an agent's reply (never lost) and send it through the channel the last inbound message came in on."""
    now = now or timezone.now()
    text = text.strip()
    if not text:
        raise ValueError("a reply needs text")
    with transaction.atomic():
        msg = Message.objects.create(
            workspace_id=conversation.workspace_id,
            conversation=conversation,
            network=conversation.channel or "other",
            kind="reply",
            direction=MessageDirection.OUTBOUND,
            text=text,
            created_at=now,
            author_user=agent,
            author_label=agent.email,
            brand_channel=conversation.brand_channel,
            delivery_status=Delivery.QUEUED,
        )
        conversation.first_response_at = conversation.first_response_at or now
        conversation.last_outbound_at = now
        if conversation.assignee_id is None:
            conversation.assignee = agent
        conversation.save()
        sla.on_outbound(conversation=conversation, at=now)
        score_conversation(conversation, now=now)
        record_audit(
            workspace=conversation.workspace,
            actor=Actor.for_user(agent),
            action="conversation.replied",
            object_type="conversation",
            object_id=conversation.pk,
            after={"message": msg.pk},
        )
    if send:
        msg.conversation = conversation
        deliver(msg, now=now)
    return msg


def retry_failed(*, now: datetime | None = None, workspace_id: int | None = None) -> dict[str, int]:
    """Resend failed replies whose next attempt is due; after MAX_ATTEMPTS they stay failed for a human."""
    now = now or timezone.now()
    qs = Message.objects.filter(
        delivery_status__in=[Delivery.FAILED, Delivery.QUEUED],
        direction=MessageDirection.OUTBOUND,
        attempts__lt=MAX_ATTEMPTS,
    ).filter(next_attempt_at__lte=now)
    if workspace_id is not None:
        qs = qs.filter(workspace_id=workspace_id)
    counts = {"sent": 0, "failed": 0}
    for msg in qs.select_related("conversation", "brand_channel"):
        deliver(msg, now=now)
        counts["sent" if msg.delivery_status != Delivery.FAILED else "failed"] += 1
    return counts

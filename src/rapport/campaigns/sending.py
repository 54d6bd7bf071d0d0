"""Sending a campaign, resumably. Each person's row is claimed (pending -> sending) by a conditional update before
the message is handed to the mail server and marked sent after: a job that dies and runs again only ever picks
pending rows, so nobody is sent a campaign twice. A row found still "sending" by a later run was interrupted while
being handed over; it is marked uncertain and never sent again (at most once, by design).

Consent is checked for each chunk with one set-based `permitted` call at the moment the chunk is sent, and again
per person, cheaply, just before each message: only when the person's consent, privacy flags or the suppression
list changed since the chunk's check is the full `may_contact` asked again."""

from __future__ import annotations

import hashlib
import smtplib
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from rapport.campaigns import services
from rapport.campaigns.models import Campaign, CampaignSend, CampaignStatus, SendStatus
from rapport.campaigns.rendering import compile_template, context_for, message_hash, render
from rapport.consent import services as consent
from rapport.consent.collection import unsubscribe_headers
from rapport.contacts.models import Person, TouchpointChannel, TouchpointDirection, TouchpointKind
from rapport.contacts.services import log_touchpoint
from rapport.core.actors import Actor

SEND_CHUNK = 200


def _permanent(exc: smtplib.SMTPException) -> bool:
    """A 5xx refusal of this message (that message failed, the others go on); a 4xx or a lost connection is
    transient (the campaign stops and a new send resumes it)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


class Variant:
    def __init__(self, name: str, subject: str, body: str) -> None:
        self.name = name
        self.subject = compile_template(subject)
        self.body = compile_template(body)


def variants_of(campaign: Campaign) -> list[Variant]:
    out = [Variant("A", campaign.subject, campaign.body)]
    out += [Variant(v["name"], v["subject"], v["body"]) for v in campaign.variants or []]
    return out


def pick(variants: list[Variant], campaign_id: int, person_id: int) -> Variant:
    """A stable, evenly spread choice of variant per person."""
    if len(variants) == 1:
        return variants[0]
    digest = hashlib.sha256(f"{campaign_id}:{person_id}".encode()).digest()
    return variants[int.from_bytes(digest[:4], "big") % len(variants)]


def _record_sent(campaign: Campaign, row_id: int, person: Person, variant: str, digest: str, subject: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        CampaignSend.objects.filter(pk=row_id).update(
            status=SendStatus.SENT, sent_at=now, variant=variant, message_hash=digest
        )
        log_touchpoint(
            workspace=campaign.workspace,
            actor=Actor.system(f"campaign {campaign.name}"[:200]),
            person=person,
            kind=TouchpointKind.EMAIL,
            channel=TouchpointChannel.EMAIL,
            direction=TouchpointDirection.OUTBOUND,
            occurred_at=now,
            title=subject,
            source="campaign",
            source_id=str(campaign.pk),
            data={"campaign_id": campaign.pk, "send_id": row_id, "variant": variant},
        )


def _message(campaign: Campaign, person: Person, variant: Variant, connection) -> tuple[EmailMessage, str, str]:
    ctx = context_for(person)
    subject = " ".join(render(variant.subject, ctx).split())[:300]
    body = render(variant.body, ctx)
    headers = unsubscribe_headers(person, campaign.purpose, campaign.channel)
    footer = f"\n\n--\nTo stop receiving these messages: {headers['List-Unsubscribe'].strip('<>')}\n"
    msg = EmailMessage(
        subject, body + footer, settings.DEFAULT_FROM_EMAIL, [person.email], headers=headers, connection=connection
    )
    return msg, subject, message_hash(subject, body)


def run(campaign_id: int) -> dict[str, Any]:
    """Send (or resume sending) a queued campaign; returns its stats."""
    campaign = Campaign.objects.select_related("workspace").get(pk=campaign_id)
    if campaign.status not in (CampaignStatus.QUEUED, CampaignStatus.SENDING):
        return services.stats(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    if campaign.resolved_at is None:
        services.resolve(campaign)
    # Rows a dead run left mid-hand-over: they may have gone out, so they never go again.
    CampaignSend.objects.filter(campaign=campaign, status=SendStatus.SENDING).update(status=SendStatus.UNCERTAIN)
    variants = variants_of(campaign)
    connection = get_connection()
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as exc:
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.FAILED, error=f"mail server: {exc}"[:300])
        return services.stats(campaign)
    try:
        while True:
            ids = list(
                CampaignSend.objects.filter(campaign=campaign, status=SendStatus.PENDING)
                .order_by("id")
                .values_list("id", "person_id")[:SEND_CHUNK]
            )
            if not ids:
                break
            if not _send_chunk(campaign, ids, variants, connection):
                return services.stats(campaign)
    finally:
        connection.close()
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENT, finished_at=timezone.now())
    campaign.refresh_from_db()
    return services.stats(campaign)


def _send_chunk(campaign: Campaign, ids: list[tuple[int, int]], variants: list[Variant], connection) -> bool:
    """Send one chunk; False when the mail server could not be reached (the campaign is marked failed)."""
    checked_at = timezone.now()
    allowed = consent.permitted(campaign.workspace_id, [pid for _, pid in ids], campaign.purpose, campaign.channel)
    refused = [row for row, pid in ids if pid not in allowed]
    if refused:
        CampaignSend.objects.filter(pk__in=refused, status=SendStatus.PENDING).update(status=SendStatus.WITHDRAWN)
    people = Person.objects.in_bulk([pid for _, pid in ids if pid in allowed])
    for row, pid in ids:
        person = people.get(pid)
        if person is None:
            continue
        if consent.changed_since(person, campaign.channel, checked_at) and not consent.may_contact(
            person, campaign.purpose, campaign.channel
        ):
            CampaignSend.objects.filter(pk=row, status=SendStatus.PENDING).update(status=SendStatus.WITHDRAWN)
            continue
        variant = pick(variants, campaign.pk, pid)
        msg, subject, digest = _message(campaign, person, variant, connection)
        claimed = CampaignSend.objects.filter(pk=row, status=SendStatus.PENDING).update(
            status=SendStatus.SENDING, claimed_at=timezone.now()
        )
        if not claimed:  # another run took it
            continue
        try:
            msg.send()
        except smtplib.SMTPException as exc:
            if not _permanent(exc):
                _stop(campaign, row, exc)
                return False
            CampaignSend.objects.filter(pk=row).update(status=SendStatus.FAILED, error=str(exc)[:300])
            continue
        except OSError as exc:
            _stop(campaign, row, exc)
            return False
        _record_sent(campaign, row, person, variant.name, digest, subject)
    return True


def _stop(campaign: Campaign, row: int, exc: Exception) -> None:
    """Not sent: the row goes back to pending and a later send resumes with it."""
    CampaignSend.objects.filter(pk=row).update(status=SendStatus.PENDING, claimed_at=None)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.FAILED, error=f"mail server: {exc}"[:300])

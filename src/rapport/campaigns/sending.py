"""Sending a campaign, resumably. Each person's row is claimed (pending -> sending, one plain UPDATE) just before the
message is handed to the mail server; what a chunk sent is written once at the chunk's end (the rows marked sent,
their timeline entries in one bulk insert through contacts, audited in bulk). A job that dies and runs again only
ever picks pending rows, so nobody is sent a campaign twice. A row found still "sending" by a later run was handed
over (or being handed over) when the job died; it is marked uncertain and never sent again (at most once, by
design). An error other than a kill writes what went out before it goes up.

Consent is checked for each chunk with one set-based `permitted` call at the moment the chunk is sent, and again
per person, cheaply, just before each message: only when the person's consent, privacy flags or the suppression
list changed since the chunk's check is the full `may_contact` asked again. One SMTP connection serves the run."""

from __future__ import annotations

import hashlib
import smtplib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection as db
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from rapport.campaigns import mail, policy, services, tracking
from rapport.campaigns.models import Campaign, CampaignSend, CampaignStatus, SendStatus
from rapport.campaigns.rendering import compile_template, context_for, message_hash, render
from rapport.consent import services as consent
from rapport.consent.collection import unsubscribe_headers
from rapport.contacts.models import Person, TouchpointChannel, TouchpointDirection, TouchpointKind
from rapport.contacts.services import log_touchpoints_bulk
from rapport.core.actors import Actor

SEND_CHUNK = 200


def _permanent(exc: smtplib.SMTPException) -> bool:
    """A 5xx refusal of this message (that message failed, the others go on); a 4xx or a lost connection is
    transient (the campaign stops and a new send resumes it)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


class Variant:
    def __init__(self, name: str, subject: str, body: str, *, track: bool = False) -> None:
        self.name = name
        self.subject = compile_template(subject)
        self.body = compile_template(body)
        self.links = tracking.links_of(body) if track else []  # the fixed URLs a click may be redirected to


def variants_of(campaign: Campaign) -> list[Variant]:
    track = campaign.track_clicks
    out = [Variant("A", campaign.subject, campaign.body, track=track)]
    out += [Variant(v["name"], v["subject"], v["body"], track=track) for v in campaign.variants or []]
    return out


def variant_body(campaign: Campaign, name: str) -> str:
    """The body template of a variant by name (the campaign's own for "A" or a name no longer known)."""
    for v in campaign.variants or []:
        if v.get("name") == name:
            return v.get("body") or campaign.body
    return campaign.body


def pick(variants: list[Variant], campaign_id: int, person_id: int) -> Variant:
    """A stable, evenly spread choice of variant per person."""
    if len(variants) == 1:
        return variants[0]
    digest = hashlib.sha256(f"{campaign_id}:{person_id}".encode()).digest()
    return variants[int.from_bytes(digest[:4], "big") % len(variants)]


@dataclass
class Handed:
    """A message the mail server accepted, waiting to be recorded with the rest of its chunk."""

    row: int
    person_id: int
    variant: str
    subject: str
    at: datetime


def _claim(row: int, variant: str, digest: str) -> bool:
    """pending -> sending for one row just before its hand-over, with the variant and message it is being sent: the
    durable mark that lets a later run tell an interrupted hand-over (never sent again) from a row nobody tried yet.
    One plain statement on the campaigns' own table (the ORM's per-query overhead is most of a message's budget)."""
    now = db.ops.adapt_datetimefield_value(policy.now())
    with db.cursor() as cur:
        cur.execute(
            f"UPDATE {CampaignSend._meta.db_table} SET status = %s, claimed_at = %s, variant = %s, message_hash = %s "  # noqa: S608
            "WHERE id = %s AND status = %s",
            [SendStatus.SENDING, now, variant, digest, row, SendStatus.PENDING],
        )
        return cur.rowcount == 1


def _record(campaign: Campaign, handed: list[Handed], withdrawn: list[int], capped: list[int] | None = None) -> None:
    """Write a chunk's outcome at once: its sent rows, their timeline entries (one bulk insert through contacts,
    audited in bulk) and the withdrawals seen just before a message. A crash before this leaves the handed-over
    rows "sending" (so uncertain, never resent) and the withdrawn ones pending (checked again on resume)."""
    if not handed and not withdrawn and not capped:
        return
    with transaction.atomic():
        if capped:
            CampaignSend.objects.filter(pk__in=capped, status=SendStatus.PENDING).update(status=SendStatus.CAPPED)
        if withdrawn:
            CampaignSend.objects.filter(pk__in=withdrawn, status=SendStatus.PENDING).update(status=SendStatus.WITHDRAWN)
        if not handed:
            return
        CampaignSend.objects.filter(pk__in=[h.row for h in handed], status=SendStatus.SENDING).update(
            status=SendStatus.SENT, sent_at=F("claimed_at")
        )
        log_touchpoints_bulk(
            workspace=campaign.workspace,
            actor=Actor.system(f"campaign {campaign.name}"[:200]),
            kind=TouchpointKind.EMAIL,
            channel=TouchpointChannel.EMAIL,
            direction=TouchpointDirection.OUTBOUND,
            source="campaign",
            entries=[
                {
                    "person_id": h.person_id,
                    "occurred_at": h.at,
                    "title": h.subject,
                    "source_id": campaign.pk,
                    "data": {"campaign_id": campaign.pk, "send_id": h.row, "variant": h.variant},
                }
                for h in handed
            ],
        )


@dataclass
class Sender:
    """What every message of a run is sent with: the DKIM signer (None: unsigned) and the Message-IDs' domain."""

    signer: mail.Signer | None = None
    domain: str = ""


def sender_for(workspace_id: int) -> Sender:
    return Sender(mail.signer_for(workspace_id), mail.sender_domain(workspace_id, settings.DEFAULT_FROM_EMAIL))


def _message(
    campaign: Campaign, person: Person, variant: Variant, connection, row: int, sender: Sender | None = None
) -> tuple[EmailMessage, str, str]:
    ctx = context_for(person)
    subject = " ".join(render(variant.subject, ctx).split())[:300]
    body = render(variant.body, ctx)
    digest = message_hash(subject, body)  # of the content, before the links are made the person's own
    text = tracking.rewrite(body, variant.links, row)
    headers = unsubscribe_headers(person, campaign.purpose, campaign.channel)
    footer = f"\n\n--\nTo stop receiving these messages: {headers['List-Unsubscribe'].strip('<>')}\n"
    sender = sender or Sender()
    headers["Message-ID"] = mail.message_id("c", row, sender.domain)
    msg = mail.new_message(
        subject,
        text + footer,
        settings.DEFAULT_FROM_EMAIL,
        [person.email],
        headers=headers,
        connection=connection,
        signer=sender.signer,
    )
    if campaign.track_opens:
        msg.attach_alternative(tracking.html_part(text + footer, tracking.open_url(row)), "text/html")
    return msg, subject, digest


def run(campaign_id: int) -> dict[str, Any]:
    """Send (or resume sending) a queued campaign; returns its stats."""
    campaign = Campaign.objects.select_related("workspace").get(pk=campaign_id)
    if campaign.status == CampaignStatus.SCHEDULED:
        # Its time has come (a job for a schedule since moved later finds it not yet due, and leaves it to its own).
        due = Campaign.objects.filter(
            pk=campaign.pk, status=CampaignStatus.SCHEDULED, scheduled_at__lte=policy.now()
        ).update(status=CampaignStatus.QUEUED, queued_at=timezone.now())
        if not due:
            return services.stats(campaign)
        campaign.refresh_from_db()
    if campaign.status not in (CampaignStatus.QUEUED, CampaignStatus.SENDING):
        return services.stats(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    if campaign.resolved_at is None:
        services.resolve(campaign)
    # Rows a dead run left mid-hand-over: they may have gone out, so they never go again.
    CampaignSend.objects.filter(campaign=campaign, status=SendStatus.SENDING).update(status=SendStatus.UNCERTAIN)
    variants = variants_of(campaign)
    try:
        sender = sender_for(campaign.workspace_id)
    except (mail.CredentialsUnreadable, ValueError, OSError) as exc:
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.FAILED, error=f"DKIM key: {exc}"[:300])
        return services.stats(campaign)
    connection = get_connection()
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as exc:
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.FAILED, error=f"mail server: {exc}"[:300])
        return services.stats(campaign)
    pol = policy.policy_for(campaign.workspace_id)
    try:
        while True:
            quiet = pol.quiet_until(policy.now())
            if quiet is not None:  # quiet hours: the rest waits, and the job resumes when they end
                _resume_at(campaign, quiet)
                return services.stats(campaign)
            ids = list(
                CampaignSend.objects.filter(campaign=campaign, status=SendStatus.PENDING)
                .order_by("id")
                .values_list("id", "person_id")[:SEND_CHUNK]
            )
            if not ids:
                break
            if not _send_chunk(campaign, ids, variants, connection, pol, sender):
                return services.stats(campaign)
    finally:
        connection.close()
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENT, finished_at=timezone.now())
    campaign.refresh_from_db()
    return services.stats(campaign)


def _resume_at(campaign: Campaign, at: datetime) -> None:
    from rapport.campaigns.tasks import send_campaign

    Campaign.objects.filter(pk=campaign.pk).update(error=f"quiet hours: resumes at {at.isoformat()}"[:300])
    send_campaign.using(run_after=at).enqueue(campaign.pk)


def _send_chunk(
    campaign: Campaign,
    ids: list[tuple[int, int]],
    variants: list[Variant],
    connection,
    pol: policy.Policy,
    sender: Sender | None = None,
) -> bool:
    """Send one chunk; False when the mail server could not be reached (the campaign is marked failed). Consent is
    asked for the chunk at once, and again for each person just before their message (cheaply, unless something
    moved); each row is claimed just before its hand-over; what was sent is written once, for the whole chunk."""
    checked_at = timezone.now()
    allowed = consent.permitted(campaign.workspace_id, [pid for _, pid in ids], campaign.purpose, campaign.channel)
    refused = [row for row, pid in ids if pid not in allowed]
    if refused:
        CampaignSend.objects.filter(pk__in=refused, status=SendStatus.PENDING).update(status=SendStatus.WITHDRAWN)
    people = Person.objects.in_bulk([pid for _, pid in ids if pid in allowed])
    # The frequency cap, across every campaign and journey: counted once for the chunk, at the moment it goes.
    counts = policy.recent_counts(pol, list(people), policy.now()) if pol.capped(campaign.purpose) else None
    handed: list[Handed] = []
    withdrawn: list[int] = []
    capped: list[int] = []
    reachable = True
    try:
        for row, pid in ids:
            person = people.get(pid)
            if person is None:
                continue
            if consent.changed_since(person, campaign.channel, checked_at) and not consent.may_contact(
                person, campaign.purpose, campaign.channel
            ):
                withdrawn.append(row)
                continue
            if counts is not None and counts[pid] >= pol.cap_messages:
                capped.append(row)
                continue
            variant = pick(variants, campaign.pk, pid)
            msg, subject, digest = _message(campaign, person, variant, connection, row, sender)
            if not _claim(row, variant.name, digest):  # another run took it
                continue
            try:
                msg.send()
            except smtplib.SMTPException as exc:
                if not _permanent(exc):
                    _stop(campaign, row, exc)
                    reachable = False
                    break
                CampaignSend.objects.filter(pk=row).update(status=SendStatus.FAILED, error=str(exc)[:300])
                continue
            except OSError as exc:
                _stop(campaign, row, exc)
                reachable = False
                break
            handed.append(Handed(row, pid, variant.name, subject, policy.now()))
    except Exception:
        _record(campaign, handed, withdrawn, capped)  # what went out is on record before the error goes up
        raise
    _record(campaign, handed, withdrawn, capped)
    return reachable


def _stop(campaign: Campaign, row: int, exc: Exception) -> None:
    """Not sent: the row goes back to pending and a later send resumes with it."""
    CampaignSend.objects.filter(pk=row).update(status=SendStatus.PENDING, claimed_at=None)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.FAILED, error=f"mail server: {exc}"[:300])

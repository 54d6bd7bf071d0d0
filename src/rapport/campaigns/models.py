"""Campaigns and their sends: one row per person per campaign, the guarantee that nobody is sent a campaign twice."""

from __future__ import annotations

from django.db import models

from rapport.core.models import WorkspaceScoped


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (send again to resume)"


class Campaign(WorkspaceScoped):
    """A message to the people of one or more segments, for one purpose on one channel."""

    name = models.CharField(max_length=200)
    segment_ids = models.JSONField(default=list)
    channel = models.CharField(max_length=16, default="email")
    purpose = models.CharField(max_length=32)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    variants = models.JSONField(default=list, blank=True, help_text='[{"name", "subject", "body"}, ...]')
    track_opens = models.BooleanField(default=False, help_text="an invisible image in an HTML part records opens")
    track_clicks = models.BooleanField(default=True, help_text="the template's links go through a signed redirect")
    status = models.CharField(max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    error = models.CharField(max_length=300, blank=True)
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True, help_text="when the audience was fixed as send rows")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "created_at"], name="campaign_ws_created_idx")]

    def __str__(self) -> str:
        return self.name


class SendStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being handed to the mail server"
    SENT = "sent", "Sent"
    SUPPRESSED = "suppressed", "Address on the suppression list"
    NO_CONSENT = "no_consent", "No consent for the purpose and channel"
    WITHDRAWN = "withdrawn", "Consent withdrawn (or address suppressed) before the message went"
    NO_ADDRESS = "no_address", "No address on the channel"
    FAILED = "failed", "Refused by the mail server"
    UNCERTAIN = "uncertain", "Interrupted while being handed over: never sent again"


class CampaignSend(WorkspaceScoped):
    """One person's message of a campaign. Unique per (campaign, person): a resumed job skips every row it finds."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="sends", db_index=False)
    person = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="campaign_sends")
    status = models.CharField(max_length=16, choices=SendStatus.choices, default=SendStatus.PENDING)
    variant = models.CharField(max_length=40, blank=True)
    message_hash = models.CharField(max_length=64, blank=True, help_text="of the rendered subject and body")
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "person"], name="campaign_send_unique")]
        indexes = [models.Index(fields=["campaign", "status", "id"], name="campaign_send_status_idx")]


class ResponseKind(models.TextChoices):
    OPEN = "open", "Opened (an image was loaded: unreliable, mail clients block or prefetch them)"
    CLICK = "click", "Clicked a link"


class CampaignResponse(WorkspaceScoped):
    """An open or a click of one send's message, recorded by the signed tracking links (erased with the send)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="responses", db_index=False)
    send = models.ForeignKey(CampaignSend, on_delete=models.CASCADE, related_name="responses")
    kind = models.CharField(max_length=8, choices=ResponseKind.choices)
    link = models.IntegerField(null=True, blank=True, help_text="which of the template's links (from 0)")
    url = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["campaign", "kind", "send"], name="campaign_resp_kind_idx")]

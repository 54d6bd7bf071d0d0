"""Campaigns and their sends: one row per person per campaign, the guarantee that nobody is sent a campaign twice."""

from __future__ import annotations

from django.db import models

from rapport.core.models import WorkspaceScoped


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
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
    scheduled_at = models.DateTimeField(null=True, blank=True, help_text="when a scheduled campaign starts sending")
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
    CAPPED = "capped", "Not sent: the person's frequency cap was reached"


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


# --- the workspace's messaging policy: frequency caps and quiet hours --------------------------------------------


class MessagingPolicy(WorkspaceScoped):
    """How often and when a workspace's marketing messages may reach a person, across every campaign and journey.
    Service messages are exempt from the cap (a receipt or a repair notice is not marketing); quiet hours apply to
    every message a campaign or journey sends."""

    time_zone = models.CharField(max_length=64, default="UTC", help_text="IANA name, e.g. Europe/Amsterdam")
    quiet_start = models.TimeField(null=True, blank=True, help_text="local time quiet hours begin (none: no quiet)")
    quiet_end = models.TimeField(null=True, blank=True, help_text="local time quiet hours end")
    cap_messages = models.PositiveIntegerField(
        default=0, help_text="marketing messages per person per window; 0 = none"
    )
    cap_days = models.PositiveIntegerField(default=7)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace"], name="messaging_policy_one_per_ws")]


# --- journeys -----------------------------------------------------------------------------------------------------


class JourneyStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active (enrolling)"
    PAUSED = "paused", "Paused (nobody enters, nobody moves)"


class Journey(WorkspaceScoped):
    """An automated sequence of steps a person enters on a trigger: waits, branches, messages, tasks for agents.
    `steps` is a list of {"id", "type", ...} (see journeys.py); a branch names the step ids it jumps to."""

    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=JourneyStatus.choices, default=JourneyStatus.DRAFT)
    trigger = models.CharField(max_length=32)
    trigger_config = models.JSONField(default=dict, blank=True)
    steps = models.JSONField(default=list)
    purpose = models.CharField(max_length=32, default="offers", help_text="the consent purpose of its messages")
    channel = models.CharField(max_length=16, default="email")
    reentry_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="none: a person enters once ever; N: again once N days after entering"
    )
    goal_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="a purchase within this many days of entering is the goal (none: no goal)"
    )
    when_capped = models.CharField(
        max_length=8,
        default="skip",
        help_text="an email over the frequency cap: skip it (the pass goes on) or delay it until the cap allows",
    )
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "status", "trigger"], name="journey_ws_trigger_idx")]

    def __str__(self) -> str:
        return self.name


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", "In the journey"
    COMPLETED = "completed", "Went through every step"
    CONVERTED = "converted", "Reached the goal"
    EXITED = "exited", "Left at an exit step"


class Enrolment(WorkspaceScoped):
    """One person's pass through a journey. `seq` counts their entries (unique with journey and person); at most
    one pass per person and journey is active at a time (a partial unique index). `step` is the step the person is
    at, `due_at` when the engine looks at them next; `claimed_until` is the lease of the run moving them."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="enrolments", db_index=False)
    person = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="journey_enrolments")
    seq = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=16, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ACTIVE)
    step = models.CharField(max_length=40, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    entered_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    trigger_data = models.JSONField(default=dict, blank=True)
    exit_reason = models.CharField(max_length=200, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["journey", "person", "seq"], name="enrolment_unique_seq"),
            models.UniqueConstraint(
                fields=["journey", "person"], condition=models.Q(status="active"), name="enrolment_one_active"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="enrolment_due_idx"),
            models.Index(fields=["journey", "status", "step"], name="enrolment_step_idx"),
        ]


class StepStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    DONE = "done", "Done"
    SENDING = "sending", "Being handed to the mail server"
    SENT = "sent", "Sent"
    NO_CONSENT = "no_consent", "Not sent: no consent for the purpose and channel"
    NO_ADDRESS = "no_address", "Not sent: no address on the channel"
    CAPPED = "capped", "Not sent: the person's frequency cap was reached"
    FAILED = "failed", "Refused by the mail server"
    UNCERTAIN = "uncertain", "Interrupted while being handed over: never sent again"


class StepRun(WorkspaceScoped):
    """A step one pass took: unique per (enrolment, step), so nobody is given a step twice whatever crashed. An
    email step's row is also its send: the tracking links carry its id, and its first click and open land here."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="runs", db_index=False)
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="runs", db_index=False)
    person = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="journey_steps")
    step = models.CharField(max_length=40)
    kind = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=StepStatus.choices, default=StepStatus.DONE)
    outcome = models.CharField(max_length=200, blank=True)
    purpose = models.CharField(max_length=32, blank=True, help_text="of a message, for the frequency cap")
    message_hash = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()
    clicked_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enrolment", "step"], name="step_run_unique")]
        indexes = [
            models.Index(fields=["journey", "step", "status"], name="step_run_counts_idx"),
            models.Index(fields=["person", "at"], name="step_run_person_at_idx"),
        ]


# --- sender identity (DKIM) and bounces ---------------------------------------------------------------------------


class MailSettings(WorkspaceScoped):
    """How the workspace's campaign and journey mail is signed (DKIM: the domain, the selector, the private key,
    encrypted at rest like channel credentials) and how bounce notifications reach it (a webhook at a key of its
    own, signed with a secret, also encrypted)."""

    dkim_domain = models.CharField(max_length=253, blank=True, help_text="the d= domain, e.g. mail.example.com")
    dkim_selector = models.CharField(max_length=63, blank=True, help_text="the s= selector, e.g. rapport2026")
    dkim_key_encrypted = models.TextField(blank=True, help_text="the PEM private key, Fernet-encrypted")
    bounce_key = models.CharField(max_length=32, unique=True, help_text="names the workspace in the webhook's URL")
    bounce_secret_encrypted = models.TextField(blank=True)
    soft_bounce_limit = models.PositiveIntegerField(
        default=3, help_text="soft bounces of one address (within 30 days) that suppress it"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace"], name="mail_settings_one_per_ws")]


class BounceKind(models.TextChoices):
    HARD = "hard", "Hard bounce (the address does not exist)"
    SOFT = "soft", "Soft bounce (a full mailbox, a server down)"
    COMPLAINT = "complaint", "Marked as spam"


class Bounce(WorkspaceScoped):
    """One bounce or complaint of a message Rapport sent. The address is kept only as consent's keyed hash; the
    send (or journey step) it answers, when its Message-ID was known, ties it to a campaign's figures."""

    kind = models.CharField(max_length=16, choices=BounceKind.choices)
    address_hash = models.CharField(max_length=64)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="bounces")
    send = models.ForeignKey(CampaignSend, null=True, blank=True, on_delete=models.CASCADE, related_name="bounces")
    step_run = models.ForeignKey(StepRun, null=True, blank=True, on_delete=models.CASCADE, related_name="bounces")
    status = models.CharField(max_length=16, blank=True, help_text="the enhanced status code, e.g. 5.1.1")
    diagnostic = models.CharField(max_length=200, blank=True, help_text="the server's words, the address removed")
    source = models.CharField(max_length=16, help_text="json (a provider's notification), dsn or arf")
    suppressed = models.BooleanField(default=False, help_text="this bounce put the address on the suppression list")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "address_hash", "kind", "created_at"], name="bounce_address_idx"),
            models.Index(fields=["campaign", "kind"], name="bounce_campaign_idx"),
        ]

"""The care inbox: teams and agents, conversations with their messages, SLA policies, canned replies, CSAT, effort."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from rapport.core.models import WorkspaceScoped


class Strategy(models.TextChoices):
    ROUND_ROBIN = "round_robin", "Round robin"
    LEAST_LOADED = "least_loaded", "Least loaded"
    MANUAL = "manual", "Manual"


class Team(WorkspaceScoped):
    """A group of agents; conversations are routed to a team, then to one of its agents."""

    name = models.CharField(max_length=100)
    languages = models.JSONField(default=list, blank=True, help_text="languages this team answers (empty: any)")
    networks = models.JSONField(default=list, blank=True, help_text="channels this team covers (empty: any)")
    strategy = models.CharField(max_length=16, choices=Strategy.choices, default=Strategy.LEAST_LOADED)
    last_assigned_user_id = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="care_team_unique_name")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgentStatus(models.TextChoices):
    ONLINE = "online", "Online"
    AWAY = "away", "Away"
    OFFLINE = "offline", "Offline"


class AgentProfile(WorkspaceScoped):
    """An agent's skills, capacity and availability in one workspace."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profiles")
    teams = models.ManyToManyField(Team, related_name="agents", blank=True)
    languages = models.JSONField(default=list, blank=True)
    products = models.JSONField(default=list, blank=True)
    capacity = models.PositiveSmallIntegerField(default=10, help_text="open conversations at once")
    status = models.CharField(max_length=8, choices=AgentStatus.choices, default=AgentStatus.ONLINE)
    email_alerts = models.BooleanField(default=False, help_text="also email SLA warnings, assignments and mentions")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="care_agent_unique_user")]

    def __str__(self) -> str:
        return f"{self.user} ({self.status})"


class ConversationStatus(models.TextChoices):
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    WAITING = "waiting_on_customer", "Waiting on customer"
    RESOLVED = "resolved", "Resolved"


class NeedsResponse(models.TextChoices):
    QUESTION = "question", "Question"
    COMPLAINT = "complaint", "Complaint"
    PRAISE = "praise", "Praise"
    NOISE = "noise", "Noise"


OPEN_Q = ~Q(status=ConversationStatus.RESOLVED)


class Conversation(WorkspaceScoped):
    """Everything one person raised until it is resolved, across every channel they used."""

    person = models.ForeignKey("contacts.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # Authors not (yet) linked to a person are kept apart by their social identity.
    identity = models.ForeignKey(
        "identity.SocialIdentity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=ConversationStatus.choices, default=ConversationStatus.OPEN)
    channel = models.CharField(max_length=16, blank=True, help_text="network of the last inbound message")
    brand_channel = models.ForeignKey(
        "channels.Channel", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=8, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations")
    priority = models.FloatField(default=0.0)
    priority_reasons = models.JSONField(default=list, blank=True)
    sentiment_label = models.CharField(max_length=8, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    needs_response = models.CharField(max_length=10, choices=NeedsResponse.choices, blank=True)
    tags = models.JSONField(default=list, blank=True)
    first_inbound_at = models.DateTimeField(null=True, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    last_outbound_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    sla_due_at = models.DateTimeField(null=True, blank=True, help_text="the nearest running SLA target")
    transfers = models.PositiveSmallIntegerField(default=0)
    viewers = models.JSONField(default=dict, blank=True, help_text="user id -> last time they opened it (ISO)")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # Two posts of one new person arriving together must open one conversation, not two.
            models.UniqueConstraint(
                fields=["workspace", "person"], condition=OPEN_Q & Q(person__isnull=False), name="care_one_open_person"
            ),
            models.UniqueConstraint(
                fields=["workspace", "identity"],
                condition=OPEN_Q & Q(person__isnull=True) & Q(identity__isnull=False),
                name="care_one_open_identity",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "status", "-priority", "id"], name="care_queue_idx"),
            models.Index(fields=["workspace", "person", "-created_at"], name="care_person_idx"),
            models.Index(fields=["workspace", "-updated_at"], name="care_changed_idx"),
            # Partial indexes over the not-resolved minority: each queue part is one short index range walk.
            models.Index(fields=["workspace", "-priority", "-id"], condition=OPEN_Q, name="care_open_idx"),
            models.Index(fields=["workspace", "team", "-priority", "-id"], condition=OPEN_Q, name="care_open_team_idx"),
            models.Index(
                fields=["workspace", "assignee", "-priority", "-id"], condition=OPEN_Q, name="care_open_assignee_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"conversation {self.pk} ({self.status})"


class MessageDirection(models.TextChoices):
    INBOUND = "inbound", "From the customer"
    OUTBOUND = "outbound", "From us"
    NOTE = "note", "Internal note"


class Delivery(models.TextChoices):
    NONE = "", "Not sent"
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Message(WorkspaceScoped):
    """One inbound message, outbound reply or internal note of a conversation."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    network = models.CharField(max_length=16)
    kind = models.CharField(max_length=16, default="post", help_text="post, reply, comment, direct_message, email...")
    external_id = models.CharField(max_length=200, blank=True)
    in_reply_to = models.CharField(max_length=200, blank=True)
    direction = models.CharField(max_length=8, choices=MessageDirection.choices)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField()
    author_label = models.CharField(max_length=200, blank=True)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    post = models.ForeignKey("listening.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    brand_channel = models.ForeignKey(
        "channels.Channel", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delivery_status = models.CharField(max_length=8, choices=Delivery.choices, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "network", "external_id"],
                condition=Q(direction="inbound") & ~Q(external_id=""),
                name="care_inbound_unique_external_id",
            )
        ]
        indexes = [
            models.Index(fields=["conversation", "created_at", "id"], name="care_msg_conv_idx"),
            models.Index(fields=["workspace", "network", "external_id"], name="care_msg_ext_idx"),
            models.Index(fields=["delivery_status", "next_attempt_at"], name="care_msg_delivery_idx"),
        ]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.direction} {self.network}:{self.external_id or self.pk}"


class SLAPolicy(WorkspaceScoped):
    """Targets that apply to the first conversations they match, in position order."""

    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=100)
    channels = models.JSONField(default=list, blank=True, help_text="networks (empty: any)")
    priorities = models.JSONField(default=list, blank=True, help_text="urgent, high, normal, low (empty: any)")
    tiers = models.JSONField(default=list, blank=True, help_text="customer tiers, e.g. vip, gold (empty: any)")
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)
    calendar = models.JSONField(
        default=dict,
        blank=True,
        help_text='{"tz": "Europe/Berlin", "hours": {"0": ["09:00", "17:00"], ...}}; empty 24/7',
    )
    warn_before_minutes = models.PositiveIntegerField(default=15)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class AppliedSLA(WorkspaceScoped):
    """The SLA a conversation runs under: due times, warnings, breaches, pauses."""

    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="sla")
    policy = models.ForeignKey(SLAPolicy, on_delete=models.CASCADE, related_name="+")
    first_response_due = models.DateTimeField(null=True, blank=True)
    next_response_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    first_response_met = models.BooleanField(null=True)
    next_response_met = models.BooleanField(null=True)
    resolution_met = models.BooleanField(null=True)
    warned = models.JSONField(default=list, blank=True, help_text="targets already warned about")
    breached = models.JSONField(default=list, blank=True, help_text="targets already breached")
    paused_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["stopped_at", "paused_at"], name="care_sla_running_idx")]


class CannedReply(WorkspaceScoped):
    """A saved answer with {{first_name}}-style variables."""

    name = models.CharField(max_length=100)
    text = models.TextField()
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="care_canned_unique_name")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CsatResponse(WorkspaceScoped):
    """A customer's 1-5 satisfaction answer after a conversation was resolved."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="csat")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class EffortScore(WorkspaceScoped):
    """What the customer had to do to get an answer: contacts, channel switches, repeats, transfers, time."""

    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="effort")
    contacts = models.PositiveSmallIntegerField(default=0)
    channel_switches = models.PositiveSmallIntegerField(default=0)
    repeats = models.PositiveSmallIntegerField(default=0)
    transfers = models.PositiveSmallIntegerField(default=0)
    resolution_minutes = models.FloatField(null=True, blank=True)
    score = models.FloatField(help_text="1 (effortless) to 7 (very high effort)")
    computed_at = models.DateTimeField(auto_now=True)


class SavedView(WorkspaceScoped):
    """An inbox filter an agent named and keeps (their own, or shared with the workspace)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=500, help_text="the inbox filters, as a query string")
    shared = models.BooleanField(default=False, help_text="shown to everyone in the workspace")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user", "name"], name="care_view_unique_name")
        ]
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", "Assigned to you"
    MENTIONED = "mentioned", "Mentioned in a note"
    SLA_WARNING = "sla_warning", "SLA about to breach"
    CALLBACK = "callback", "Callback due"


class Notification(WorkspaceScoped):
    """Something an agent should know about now: an assignment, a mention, an SLA about to breach."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["workspace", "user", "read_at", "-id"], name="care_notif_user_idx")]
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


class CallbackStatus(models.TextChoices):
    OPEN = "open", "To call"
    DONE = "done", "Called"


class CallbackTask(WorkspaceScoped):
    """A promise to call the customer back; the call, once made, joins the conversation as a message."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="callbacks")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField()
    phone = models.CharField(max_length=40, blank=True)
    note = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=8, choices=CallbackStatus.choices, default=CallbackStatus.OPEN)
    outcome = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "assignee", "status", "due_at"], name="care_callback_due_idx")]
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return f"callback {self.pk} ({self.status})"

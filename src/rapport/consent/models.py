"""The consent ledger: every grant, withdrawal and objection, append-only; the current state is derived from it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_noop

from rapport.core.models import WorkspaceScoped


class Purpose(models.TextChoices):
    # Labels are English on the API; the preference centre shows them translated (gettext_noop marks them).
    SERVICE = "service", gettext_noop("Service messages")
    NEWSLETTER = "newsletter", gettext_noop("Newsletter")
    OFFERS = "offers", gettext_noop("Personalised offers")
    ENRICHMENT = "enrichment", gettext_noop("Social-profile enrichment")
    PROFILING = "profiling", gettext_noop("Profiling and influence scoring")
    SURVEYS = "surveys", gettext_noop("Surveys and research")
    COMMUNITY = "community", gettext_noop("Community contact")


class ContactChannel(models.TextChoices):
    ANY = "", gettext_noop("Any channel (processing)")
    EMAIL = "email", gettext_noop("Email")
    SMS = "sms", gettext_noop("SMS")
    PHONE = "phone", gettext_noop("Phone")
    POST = "post", "Post"  # shown as pgettext("contact channel: letters by mail", "Post")
    SOCIAL_DM = "social_dm", gettext_noop("Social DM")
    ADVERTISING = "advertising", gettext_noop("Advertising audiences")


class LawfulBasis(models.TextChoices):
    CONSENT = "consent", "Consent"
    LEGITIMATE_INTEREST = "legitimate_interest", "Legitimate interest (with a right to object)"
    CONTRACT = "contract", "Contract"


class ConsentEvent(WorkspaceScoped):
    """One grant or withdrawal (an objection is a withdrawal under legitimate interest), with its evidence."""

    person = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="consent_events")
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    channel = models.CharField(max_length=16, choices=ContactChannel.choices, blank=True, default="")
    granted = models.BooleanField()
    source = models.CharField(max_length=32, help_text="form, import, agent, api, double_opt_in, preference_centre")
    wording = models.TextField(blank=True)
    wording_version = models.CharField(max_length=32, blank=True)
    evidence = models.JSONField(default=dict, blank=True, help_text="IP and user agent, or the agent who recorded it")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    occurred_at = models.DateTimeField(help_text="When the person gave or withdrew it (imports keep their dates)")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "purpose", "channel", "person", "occurred_at"], name="consent_state_idx"),
            models.Index(fields=["person", "occurred_at"], name="consent_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.purpose}/{self.channel or '*'} {'granted' if self.granted else 'withdrawn'}"


class ConsentState(WorkspaceScoped):
    """The current word per person, purpose and channel: the newest ledger event, kept up to date by `record`."""

    person = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="consent_states")
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    channel = models.CharField(max_length=16, choices=ContactChannel.choices, blank=True, default="")
    granted = models.BooleanField()
    event = models.ForeignKey(ConsentEvent, on_delete=models.CASCADE, related_name="+")
    occurred_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "purpose", "channel"], name="consent_state_unique"),
        ]
        indexes = [models.Index(fields=["workspace", "purpose", "channel", "granted"], name="consent_current_idx")]


class PrivacyFlags(WorkspaceScoped):
    """Per-person switches that are not consents: do-not-contact, do-not-track and restriction of processing."""

    person = models.OneToOneField("contacts.Person", on_delete=models.CASCADE, related_name="privacy_flags")
    do_not_contact = models.BooleanField(default=False, help_text="No outbound message but service messages")
    do_not_track = models.BooleanField(default=False, help_text="No profiling, scoring or enrichment")
    restricted = models.BooleanField(default=False, help_text="Restriction of processing: stored, not used")
    updated_at = models.DateTimeField(auto_now=True)


class SuppressionReason(models.TextChoices):
    BOUNCE = "bounce", "Hard bounce"
    COMPLAINT = "complaint", "Spam complaint"
    MANUAL = "manual", "Added by hand"


class Suppression(WorkspaceScoped):
    """An address that must not be sent to (it bounced, or its owner complained). Only a keyed hash is stored, so
    the list outlives an erasure without keeping the address."""

    channel = models.CharField(max_length=16, choices=ContactChannel.choices)
    address_hash = models.CharField(max_length=64)
    reason = models.CharField(max_length=16, choices=SuppressionReason.choices)
    detail = models.CharField(max_length=200, blank=True, help_text="e.g. the bounce code; never the address")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "channel", "address_hash"], name="suppression_unique"),
        ]


class RequestKind(models.TextChoices):
    ACCESS = "access", "Access (export)"
    ERASURE = "erasure", "Erasure"
    RECTIFICATION = "rectification", "Rectification"
    RESTRICTION = "restriction", "Restriction of processing"
    OBJECTION = "objection", "Objection"


class RequestStatus(models.TextChoices):
    OPEN = "open", "Open"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    REFUSED = "refused", "Refused"


class PrivacyRequest(WorkspaceScoped):
    """A data-subject request with its legal deadline (one month). An erased subject's request keeps only the
    person's former id and the counts of what was removed."""

    person = models.ForeignKey(
        "contacts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="privacy_requests"
    )
    person_ref = models.BigIntegerField(help_text="The person's id, kept after an erasure")
    subject_label = models.CharField(max_length=200, blank=True, help_text="Blanked when the subject is erased")
    kind = models.CharField(max_length=16, choices=RequestKind.choices)
    status = models.CharField(max_length=16, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    received_at = models.DateTimeField()
    due_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    requested_by_label = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="What was done: counts only, never the data")
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "status", "due_at"], name="privacy_request_due_idx")]
        ordering = ["-received_at", "-id"]


class FactKind(models.TextChoices):
    INTEREST = "interest", "Interest"
    LIFE_EVENT = "life_event", "Life event"


class EnrichmentFact(WorkspaceScoped):
    """An interest or a life event read from the person's own public posts or forms; it expires. One row per
    person, kind and value: a later reading refreshes it (`services.record_enrichment`)."""

    person = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="enrichment_facts")
    kind = models.CharField(max_length=16, choices=FactKind.choices, help_text="interest or life_event")
    value = models.CharField(max_length=100)
    confidence = models.FloatField()
    source_post = models.BigIntegerField(null=True, blank=True, help_text="id of the post it was read from")
    source = models.CharField(max_length=80, blank=True, help_text="post, or form:<slug> when a form gave it")
    evidence = models.CharField(max_length=200, blank=True, help_text="the words it was read from")
    observed_at = models.DateTimeField(null=True, blank=True, help_text="when the post was written or form given")
    event_date = models.DateField(null=True, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "kind", "value"], name="enrichment_fact_unique"),
        ]
        indexes = [models.Index(fields=["person", "expires_at"], name="enrichment_person_idx")]


class ActionRule(WorkspaceScoped):
    """A next-best-action rule an admin edits: when the person's current facts (a life event within N days, an
    interest) and the context (the open conversation's tags, words in what the customer wrote) all hold, the agent
    is shown the action. Defaults carry a key so they are seeded once per workspace and never again."""

    name = models.CharField(max_length=120)
    action = models.TextField(help_text="What the agent is prompted to do")
    life_event = models.CharField(max_length=32, blank=True, help_text="wedding, moving_house, new_baby or new_job")
    within_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="the life event's date lies within this many days of today (either side)"
    )
    interest = models.CharField(max_length=64, blank=True)
    conversation_tags = models.JSONField(
        default=list, blank=True, help_text="any of these tags on the open conversation (e.g. repair)"
    )
    keywords = models.JSONField(
        default=list, blank=True, help_text="any of these words in what the customer wrote (e.g. camera, kamera)"
    )
    context_match = models.CharField(
        max_length=3,
        choices=[("any", "a tag or a word"), ("all", "a tag and a word")],
        default="any",
        help_text="with both tags and words: either is enough (any), or the conversation needs one of each (all)",
    )
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=100)
    key = models.CharField(max_length=40, blank=True, help_text="set on the seeded defaults")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "key"], condition=~models.Q(key=""), name="action_rule_unique_key"
            ),
        ]
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class ActionRuleSeeding(WorkspaceScoped):
    """That a workspace was given the default rules once (deleting them all does not bring them back)."""

    seeded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace"], name="action_rule_seeded_once")]


class SignupForm(WorkspaceScoped):
    """An embeddable sign-up form: which purposes and channels it asks for, in what words, and its custom fields."""

    slug = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    wording = models.TextField(help_text="What the person is told they agree to")
    wording_version = models.CharField(max_length=32, default="1")
    consents = models.JSONField(default=list, help_text='[{"purpose": "newsletter", "channel": "email"}]')
    fields = models.JSONField(
        default=list, blank=True, help_text='custom fields: [{"name", "label", "required", "choices"}]'
    )
    double_opt_in = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "slug"], name="signup_form_unique_slug")]

    def __str__(self) -> str:
        return self.name


class FormAnswer(WorkspaceScoped):
    """What a person gave in a form's custom fields (industry, company size...): only that."""

    person = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="form_answers")
    form = models.ForeignKey(SignupForm, on_delete=models.CASCADE, related_name="answers")
    answers = models.JSONField(default=dict)
    confirmed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)


class UsedLink(models.Model):
    """The nonce of a single-use signed link once it was used; a second use is refused."""

    nonce = models.CharField(max_length=32, unique=True)
    used_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.nonce


class RetentionPolicy(WorkspaceScoped):
    """How long a data type is kept in a workspace (the defaults apply where no row says otherwise)."""

    data_type = models.CharField(max_length=32)
    days = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "data_type"], name="retention_unique_type")]


class RetentionRun(WorkspaceScoped):
    """One purge: when, under which policies, and how many rows of each type went."""

    ran_at = models.DateTimeField(auto_now_add=True)
    policies = models.JSONField(default=dict)
    purged = models.JSONField(default=dict)

    class Meta:
        ordering = ["-ran_at", "-id"]

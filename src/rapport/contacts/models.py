"""People and organisations, their affiliations, and one timeline of touchpoints."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from rapport.core.models import WorkspaceScoped


class LifecycleStage(models.TextChoices):
    LEAD = "lead", "Lead"
    PROSPECT = "prospect", "Prospect"
    CUSTOMER = "customer", "Customer"
    ADVOCATE = "advocate", "Advocate"
    LAPSED = "lapsed", "Lapsed"


class OrganizationKind(models.TextChoices):
    COMPANY = "company", "Company"
    ASSOCIATION = "association", "Association"
    NETWORK = "network", "Business network"
    PUBLIC = "public", "Public body"


class Organization(WorkspaceScoped):
    """A company (B2B customer, employer) or an association / network people are members of."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=OrganizationKind.choices, default=OrganizationKind.COMPANY)
    external_id = models.CharField(max_length=100, blank=True)
    domain = models.CharField(max_length=200, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    size = models.CharField(max_length=32, blank=True, help_text="Employee band, e.g. 1-9, 10-49, 50-249, 250+")
    phone = models.CharField(max_length=32, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True)
    tags = models.JSONField(default=list, blank=True)
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "name", "id"], name="org_ws_name_idx"),
            models.Index(fields=["workspace", "external_id"], name="org_ws_extid_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Person(WorkspaceScoped):
    """A real person the company deals with: customer, lead, fan or member."""

    external_id = models.CharField(max_length=100, blank=True, help_text="The id of this person in the source system")
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=32, blank=True, help_text="E.164")
    job_title = models.CharField(max_length=150, blank=True)
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    customer_number = models.CharField(max_length=64, blank=True)
    lifecycle_stage = models.CharField(max_length=16, choices=LifecycleStage.choices, default=LifecycleStage.LEAD)
    tags = models.JSONField(default=list, blank=True)
    # Denormalised keys kept by services: lower-case, transliterated text for search, and the list order.
    search_text = models.TextField(blank=True, editable=False)
    sort_name = models.CharField(max_length=220, blank=True, editable=False)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="absorbed")
    organizations = models.ManyToManyField(Organization, through="Affiliation", related_name="people")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "people"
        indexes = [
            models.Index(fields=["workspace", "sort_name", "id"], name="person_ws_sort_idx"),
            models.Index(fields=["workspace", "external_id"], name="person_ws_extid_idx"),
            models.Index(fields=["workspace", "email"], name="person_ws_email_idx"),
            models.Index(fields=["workspace", "phone"], name="person_ws_phone_idx"),
            models.Index(fields=["workspace", "customer_number"], name="person_ws_custno_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.email or f"Person {self.pk}"


class Affiliation(WorkspaceScoped):
    """A person's role in an organisation: employee, decision maker, member of an association..."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="affiliations")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="affiliations")
    role = models.CharField(max_length=100, blank=True)
    is_primary = models.BooleanField(default=False)
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "organization", "role"], name="affiliation_unique_role"),
        ]
        indexes = [models.Index(fields=["workspace", "organization"], name="affiliation_ws_org_idx")]

    def __str__(self) -> str:
        return f"{self.person} — {self.role or 'member'} — {self.organization}"


class TouchpointKind(models.TextChoices):
    POST = "post", "Post"
    MESSAGE = "message", "Message"
    EMAIL = "email", "Email"
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    CHAT = "chat", "Chat"
    PURCHASE = "purchase", "Purchase"
    VOUCHER_ISSUED = "voucher_issued", "Voucher issued"
    VOUCHER_REDEEMED = "voucher_redeemed", "Voucher redeemed"
    NOTE = "note", "Note"


class TouchpointChannel(models.TextChoices):
    TWITTER = "twitter", "Twitter/X"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"
    LINKEDIN = "linkedin", "LinkedIn"
    FORUM = "forum", "Forum"
    REVIEW = "review", "Review site"
    BLOG = "blog", "Blog"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    CHAT = "chat", "Web chat"
    WEB = "web", "Web"
    STORE = "store", "Store"
    LOYALTY = "loyalty", "Loyalty programme"
    OTHER = "other", "Other"


class TouchpointDirection(models.TextChoices):
    INBOUND = "inbound", "From the person"
    OUTBOUND = "outbound", "From us"
    NONE = "none", "Neither"


class Touchpoint(WorkspaceScoped):
    """One moment of contact with a person, on any channel: the timeline is made of these."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="touchpoints")
    kind = models.CharField(max_length=20, choices=TouchpointKind.choices)
    channel = models.CharField(max_length=16, choices=TouchpointChannel.choices)
    direction = models.CharField(max_length=8, choices=TouchpointDirection.choices, default=TouchpointDirection.NONE)
    occurred_at = models.DateTimeField()
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    source = models.CharField(max_length=32, blank=True, help_text="The record this came from, e.g. post, order")
    source_id = models.CharField(max_length=100, blank=True)
    data = models.JSONField(default=dict, blank=True)
    # The entry of a private message (rapport.core.privacy): its body is shown only to the message's readers.
    private = models.BooleanField(default=False, db_default=False)  # raw bulk inserts get it too
    created_at = models.DateTimeField(auto_now_add=True)

    withheld = False  # set (not stored) on a row whose private text the reader of a timeline may not see

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "person", "-occurred_at", "-id"], name="touch_timeline_idx"),
            models.Index(fields=["workspace", "source", "source_id"], name="touch_source_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.channel} at {self.occurred_at:%Y-%m-%d %H:%M}"


class ContactImport(WorkspaceScoped):
    """A CSV import too large for one request: the file waits under RAPPORT_HOME while a job imports it, and the
    upload page follows its progress. The file is deleted when the job ends (it holds personal data)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for the job runner"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    file_name = models.CharField(max_length=255)
    path = models.CharField(max_length=500, help_text="Where the uploaded file waits, until the job has read it")
    mapping = models.CharField(max_length=2000, blank=True)
    encoding = models.CharField(max_length=32, default="utf-8-sig")
    delimiter = models.CharField(max_length=8, blank=True)
    dry_run = models.BooleanField(default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    total_lines = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    rejected = models.JSONField(default=list, blank=True, help_text="The first 1,000 rejected rows: line, id, reason")
    warnings = models.JSONField(default=list, blank=True, help_text="The first 1,000 rows imported without a field")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, round(100 * self.processed / self.total_lines)) if self.total_lines else 0

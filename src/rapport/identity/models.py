"""Social identities: a person's handles on the networks, unique per workspace."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from rapport.core.models import WorkspaceScoped
from rapport.core.networks import Network


class SocialIdentity(WorkspaceScoped):
    """An account on a network; linked to the person behind it once known."""

    person = models.ForeignKey(
        "contacts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="identities"
    )
    network = models.CharField(max_length=16, choices=Network.choices)
    external_id = models.CharField(max_length=200, blank=True, help_text="The network's stable id for the account")
    handle = models.CharField(max_length=200, blank=True)
    handle_key = models.CharField(max_length=200, blank=True, editable=False, help_text="lower-case handle, no @")
    display_name = models.CharField(max_length=200, blank=True)
    profile_url = models.URLField(max_length=500, blank=True)
    followers = models.PositiveIntegerField(null=True, blank=True)
    bio = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "social identities"
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "network", "external_id"],
                condition=~Q(external_id=""),
                name="identity_unique_external_id",
            ),
            models.UniqueConstraint(
                fields=["workspace", "network", "handle_key"],
                condition=~Q(handle_key=""),
                name="identity_unique_handle",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "person"], name="identity_ws_person_idx"),
            # Plain indexes for the per-post lookups: SQLite cannot use the partial unique ones for `=` queries.
            models.Index(fields=["workspace", "network", "handle_key"], name="identity_ws_net_handle_idx"),
            models.Index(fields=["workspace", "network", "external_id"], name="identity_ws_net_ext_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.network}:{self.handle or self.external_id}"

    def save(self, *args, **kwargs):
        self.handle = (self.handle or "").strip().lstrip("@")
        self.handle_key = normalise_handle(self.handle)
        super().save(*args, **kwargs)


def normalise_handle(handle: str | None) -> str:
    """The comparison key of a handle: trimmed, lower-case, without a leading @."""
    return (handle or "").strip().lstrip("@").lower()


class Merge(WorkspaceScoped):
    """One merge of two people: who absorbed whom, and exactly what moved, so it can be undone."""

    kept = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="merges_kept")
    absorbed = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="merges_absorbed")
    actor_kind = models.CharField(max_length=16, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # {"identities": [ids], "touchpoints": [ids], "affiliations": [ids], ...}: only what this merge moved.
    moved = models.JSONField(default=dict, blank=True)
    filled_fields = models.JSONField(default=list, blank=True, help_text="Kept's empty fields filled from absorbed")
    kept_snapshot = models.JSONField(default=dict, blank=True)
    absorbed_snapshot = models.JSONField(default=dict, blank=True)
    review_item = models.ForeignKey("ReviewItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by_label = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "kept", "-created_at"], name="merge_ws_kept_idx"),
            models.Index(fields=["workspace", "absorbed"], name="merge_ws_absorbed_idx"),
        ]

    def __str__(self) -> str:
        return f"merge {self.absorbed_id} -> {self.kept_id}"


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class ReviewItem(WorkspaceScoped):
    """A candidate pair scored between the review and link thresholds, waiting for a person to decide."""

    left = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="+")
    right = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    explanation = models.JSONField(
        default=dict, blank=True, help_text='{"fields": [{field, level, weight}, ...], "records": [left, right]}'
    )
    source = models.CharField(max_length=32, blank=True, help_text="import, dedupe, stream...")
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_label = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "left", "right"],
                condition=Q(status="pending"),
                name="review_unique_pending_pair",
            ),
        ]
        indexes = [models.Index(fields=["workspace", "status", "-score", "id"], name="review_ws_status_idx")]

    def __str__(self) -> str:
        return f"review {self.left_id} ~ {self.right_id} ({self.score:.2f}, {self.status})"


class MatchSettings(WorkspaceScoped):
    """A workspace's matching thresholds and the matcher parameters refitted from its review decisions."""

    link_threshold = models.FloatField(default=0.75)
    review_threshold = models.FloatField(default=0.4)
    params = models.JSONField(default=dict, blank=True, help_text="Matcher.to_params(); empty means the defaults")
    decisions_fitted = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "match settings"
        constraints = [models.UniqueConstraint(fields=["workspace"], name="match_settings_one_per_workspace")]

    def __str__(self) -> str:
        return f"match settings of {self.workspace_id}"

    def clean(self) -> None:
        if not 0 <= self.review_threshold <= self.link_threshold <= 1:
            raise ValidationError("thresholds must satisfy 0 <= review threshold <= link threshold <= 1")


class ClaimStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CONFIRMED = "confirmed", "Confirmed"
    DISMISSED = "dismissed", "Dismissed"


class IdentityClaim(WorkspaceScoped):
    """An author who gave a person's customer number, email or phone in a message: a claim, not proof.

    The identity stays unlinked (and sees nothing of the person) until an agent confirms the claim or the person
    proves it by following a link mailed to the address on file.
    """

    identity = models.ForeignKey(SocialIdentity, on_delete=models.CASCADE, related_name="claims")
    person = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="+")
    how = models.CharField(max_length=16, help_text="customer_number, email or phone: what the message gave")
    post_id = models.BigIntegerField(null=True, blank=True, help_text="the message that made the claim")
    status = models.CharField(max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.PENDING)
    verification_sent_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_label = models.CharField(max_length=200, blank=True, help_text="who decided, or 'verified by email'")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["identity", "person"], condition=Q(status="pending"), name="claim_unique_pending"
            ),
        ]
        indexes = [models.Index(fields=["workspace", "status", "-created_at"], name="claim_ws_status_idx")]

    def __str__(self) -> str:
        return f"claim {self.identity_id} -> {self.person_id} ({self.how}, {self.status})"

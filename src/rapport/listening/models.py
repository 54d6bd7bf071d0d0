"""Social listening: stored posts, tracking rules, which rules each post matches, hourly counts and spike alerts."""

from __future__ import annotations

from django.db import models

from rapport.core.models import WorkspaceScoped
from rapport.core.privacy import is_private


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


class Post(WorkspaceScoped):
    """One post heard on a network, normalised, analysed and linked to its author."""

    network = models.CharField(max_length=16)
    external_id = models.CharField(max_length=200)
    author = models.ForeignKey(
        "identity.SocialIdentity", null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    # Copied from the identity when the post is linked, so mention filters by contact need no join.
    person = models.ForeignKey("contacts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(blank=True)
    language = models.CharField(max_length=8, blank=True)
    language_confidence = models.FloatField(null=True, blank=True)
    sentiment_label = models.CharField(max_length=8, choices=Sentiment.choices, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField()
    url = models.URLField(max_length=500, blank=True)
    in_reply_to = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=16, default="post")
    # A direct message, email or chat (rapport.core.privacy): left out of listening, its text shown to its readers.
    private = models.BooleanField(default=False, db_default=False)  # raw bulk inserts get it too
    thread_id = models.CharField(max_length=200, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    raw = models.JSONField(null=True, blank=True)
    # Processing state: which batch stored the row, when, and with which version of the pipeline.
    source = models.CharField(max_length=64, blank=True)
    batch = models.CharField(max_length=32, blank=True, editable=False)
    ingested_at = models.DateTimeField()
    pipeline_version = models.PositiveSmallIntegerField(default=1)
    text_hash = models.CharField(max_length=16, blank=True, help_text="hash of the normalised text")
    near_duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "network", "external_id"], name="post_unique_external_id"),
        ]
        indexes = [
            models.Index(fields=["workspace", "-created_at", "-id"], name="post_ws_created_idx"),
            models.Index(fields=["workspace", "sentiment_label", "-created_at"], name="post_ws_sentiment_idx"),
            models.Index(fields=["workspace", "language", "-created_at"], name="post_ws_language_idx"),
            models.Index(fields=["workspace", "author", "-created_at"], name="post_ws_author_idx"),
            models.Index(fields=["workspace", "text_hash"], name="post_ws_texthash_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.network}:{self.external_id}"

    def save(self, *args, **kwargs):
        # The pipeline sets the flag in its bulk insert; a post saved one at a time can never come out public.
        self.private = self.private or is_private(kind=self.kind, network=self.network)
        super().save(*args, **kwargs)


class RuleKind(models.TextChoices):
    BRAND = "brand", "Brand"
    PRODUCT = "product", "Product"
    COMPETITOR = "competitor", "Competitor"
    CAMPAIGN = "campaign", "Campaign"


class TrackingRule(WorkspaceScoped):
    """A boolean keyword query; every post is tagged with the rules it matches."""

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=RuleKind.choices, default=RuleKind.BRAND)
    query = models.TextField(help_text='e.g. (united OR @united) AND NOT "united nations" lang:en')
    languages = models.JSONField(default=list, blank=True, help_text="only posts in these languages (empty: all)")
    networks = models.JSONField(default=list, blank=True, help_text="only posts on these networks (empty: all)")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="rule_unique_name")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PostRule(WorkspaceScoped):
    """A post matched a rule; created_at is copied from the post so 'mentions of rule R since T' is one index scan."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="rule_matches")
    rule = models.ForeignKey(TrackingRule, on_delete=models.CASCADE, related_name="matches")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "rule"], name="postrule_unique")]
        indexes = [models.Index(fields=["workspace", "rule", "-created_at"], name="postrule_ws_rule_idx")]


class HourlyCount(WorkspaceScoped):
    """Posts per hour for one rule, author or topic (hashtag / @mention): the series spikes are detected on."""

    dimension = models.CharField(max_length=8)  # all | rule | author | topic
    key = models.CharField(max_length=200)
    hour = models.DateTimeField()
    total = models.PositiveIntegerField(default=0)
    negative = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "dimension", "key", "hour"], name="hourly_unique"),
        ]
        indexes = [models.Index(fields=["workspace", "hour", "total"], name="hourly_ws_hour_idx")]


class SpikeAlert(WorkspaceScoped):
    """Volume or negativity around a rule, author or topic far above its own baseline; one row per episode."""

    dimension = models.CharField(max_length=8)
    key = models.CharField(max_length=200)
    label = models.CharField(max_length=200)
    started_at = models.DateTimeField(help_text="the hour bucket in which the spike was first seen")
    last_seen_at = models.DateTimeField()
    count = models.PositiveIntegerField(help_text="posts in the peak hour")
    baseline = models.FloatField(help_text="expected posts per hour")
    negative_share = models.FloatField()
    probability = models.FloatField(help_text="Poisson tail probability of the peak hour under the baseline")
    reason = models.CharField(max_length=16)  # volume | negativity
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "-started_at"], name="spike_ws_started_idx"),
            models.Index(fields=["workspace", "dimension", "key", "-last_seen_at"], name="spike_ws_key_idx"),
        ]
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"spike {self.dimension}:{self.key} at {self.started_at:%Y-%m-%d %H:00}"

"""The interaction graph (who mentions, replies to, reposts or quotes whom), follower snapshots, and the scores."""

from __future__ import annotations

from django.db import models

from rapport.core.models import WorkspaceScoped


class InteractionKind(models.TextChoices):
    MENTION = "mention", "Mention"
    REPLY = "reply", "Reply"
    REPOST = "repost", "Repost"
    QUOTE = "quote", "Quote"


class Interaction(WorkspaceScoped):
    """One edge of the graph: a stored post of `source` mentions, replies to, reposts or quotes `target`.

    The target is named by `target_key` ("network:@handle" or "network:#external_id") as the post wrote it; it is
    resolved to an identity when that account is known, and again by the full recompute for later arrivals.
    """

    source = models.ForeignKey("identity.SocialIdentity", on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(
        "identity.SocialIdentity", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target_key = models.CharField(max_length=220)
    kind = models.CharField(max_length=8, choices=InteractionKind.choices)
    post = models.ForeignKey("listening.Post", on_delete=models.CASCADE, related_name="+")
    # The post this one answers, reposts or quotes, when it is stored (its travel is the target's amplification).
    target_post = models.ForeignKey(
        "listening.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "kind", "target_key"], name="interaction_unique"),
        ]
        indexes = [
            models.Index(fields=["workspace", "target"], name="interaction_ws_target_idx"),
            models.Index(fields=["workspace", "source"], name="interaction_ws_source_idx"),
            models.Index(fields=["workspace", "created_at"], name="interaction_ws_created_idx"),
        ]


class FollowerSnapshot(WorkspaceScoped):
    """An account's follower count as the network reported it on a day (the last report of the day wins)."""

    identity = models.ForeignKey("identity.SocialIdentity", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    followers = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["identity", "day"], name="followersnapshot_unique")]


class Score(WorkspaceScoped):
    """The current score of an identity or a person, overall (topic 0) or on one tracking rule (topic = rule id).

    `subject` is "i<identity id>" or "p<person id>"; `listed` marks the rows the ranking shows (people, and the
    identities not linked to a person), so a person is ranked once whatever their number of accounts.
    """

    subject = models.CharField(max_length=24)
    topic = models.PositiveIntegerField(default=0)
    identity = models.ForeignKey(
        "identity.SocialIdentity", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey("contacts.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    listed = models.BooleanField(default=True)
    score = models.PositiveSmallIntegerField()
    components = models.JSONField(default=list)
    features = models.JSONField(default=dict, help_text="the inputs the components were computed from")
    evidence = models.JSONField(default=dict, help_text="the posts and accounts behind the score")
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "subject", "topic"], name="score_unique")]
        indexes = [
            models.Index(fields=["workspace", "topic", "listed", "-score", "-id"], name="score_rank_idx"),
            models.Index(fields=["person"], name="score_person_idx"),
        ]


class ScoreSnapshot(WorkspaceScoped):
    """A day's overall score of an identity or a person: the history and the change since last week."""

    subject = models.CharField(max_length=24)
    identity = models.ForeignKey(
        "identity.SocialIdentity", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey("contacts.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    score = models.PositiveSmallIntegerField()
    components = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "subject", "day"], name="scoresnapshot_unique")]
        indexes = [models.Index(fields=["person", "day"], name="scoresnapshot_person_idx")]


class Calibration(WorkspaceScoped):
    """A workspace's scale from its last full recompute: the references the incremental updates score against."""

    params = models.JSONField(default=dict)
    authors = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace"], name="calibration_unique")]


class PendingUpdate(WorkspaceScoped):
    """An identity whose interactions changed since its score was computed (the incremental job's work list)."""

    identity = models.ForeignKey("identity.SocialIdentity", on_delete=models.CASCADE, related_name="+")
    queued_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["identity"], name="pendingupdate_unique")]


class RisingAlert(WorkspaceScoped):
    """An author in a negative spike whose influence is rising fast (United Breaks Guitars, while still small)."""

    spike = models.ForeignKey("listening.SpikeAlert", on_delete=models.CASCADE, related_name="+")
    identity = models.ForeignKey("identity.SocialIdentity", on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey("contacts.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField()
    rise = models.SmallIntegerField(help_text="points gained over the last week")
    negative_posts = models.PositiveIntegerField()
    reason = models.TextField()
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["spike", "identity"], name="risingalert_unique")]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="risingalert_ws_created_idx")]
        ordering = ["-created_at", "-id"]

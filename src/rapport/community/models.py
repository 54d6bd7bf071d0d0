"""Community records: members (each a person in the CRM), categories, questions, answers, helpful votes and the
append-only reputation ledger."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_noop

from rapport.core.models import WorkspaceScoped


class SearchVectorColumn(SearchVectorField):
    """A tsvector on PostgreSQL; elsewhere an unused, always empty text column (SQLite searches through FTS5), so
    that tools reading the schema see a type they know."""

    def db_type(self, connection) -> str:
        return "tsvector" if connection.vendor == "postgresql" else "text"


class CommunityMember(WorkspaceScoped):
    """A member of a workspace's public community; `handle` is all the public ever sees of them."""

    person = models.ForeignKey("contacts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    handle = models.CharField(max_length=40)
    email = models.EmailField(help_text="private: never shown on a public page")
    password = models.CharField(max_length=128, blank=True, help_text="a Django password hash")
    away_notice = models.CharField(max_length=200, blank=True, help_text='e.g. "back after my wedding"')
    suspended = models.BooleanField(default=False)
    suspended_until = models.DateTimeField(
        null=True, blank=True, help_text="when a moderator's suspension ends by itself (empty: until lifted)"
    )
    suspension_reason = models.CharField(max_length=300, blank=True, help_text="private: for moderators only")
    email_verified_at = models.DateTimeField(
        null=True, blank=True, help_text="when the member confirmed their address (empty: not yet, may not post)"
    )
    verify_nonce = models.CharField(
        max_length=32, blank=True, help_text="the one confirmation link still valid; emptied when it is used"
    )
    trust_level = models.PositiveSmallIntegerField(
        default=0, help_text="computed from activity by rapport.community.levels; kept here for the pages"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "handle"], name="community_member_handle_uniq"),
            models.UniqueConstraint(fields=["workspace", "email"], name="community_member_email_uniq"),
        ]

    def __str__(self) -> str:
        return self.handle

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES.get(self.trust_level, LEVEL_NAMES[0])


# Marked for the catalogue, translated where shown ({% translate member.level_name %}); stored and sent in English.
LEVEL_NAMES = {
    0: gettext_noop("New member"),
    1: gettext_noop("Basic"),
    2: gettext_noop("Member"),
    3: gettext_noop("Regular"),
}


class Category(WorkspaceScoped):
    """A product or device the community talks about ("iPhone 5", "Fibre installation")."""

    slug = models.SlugField(max_length=64)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "slug"], name="community_category_slug_uniq")]

    def __str__(self) -> str:
        return self.name


class CommunitySettings(WorkspaceScoped):
    """A workspace's moderation rules; a workspace without a row gets the defaults."""

    flags_to_hide = models.PositiveSmallIntegerField(
        default=3, help_text="flags from distinct members that hide a post until a moderator reviews it"
    )
    moderate_first_posts = models.BooleanField(
        default=True, help_text="new members' posts wait in the moderation queue before they are public"
    )
    new_member_max_links = models.PositiveSmallIntegerField(
        default=0, help_text="links a post from a member not yet allowed links may carry before it is held"
    )
    return_after_hours = models.PositiveSmallIntegerField(
        default=48, help_text="hours until a question asked from the inbox with no accepted answer returns (0: never)"
    )
    level_thresholds = models.JSONField(
        default=dict,
        blank=True,
        help_text='what each trust level asks, e.g. {"2": {"posts": 5, "accepted": 0, "helpful": 3, "days": 7}}; '
        "levels left out keep the defaults (rapport.community.levels)",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace"], name="community_settings_one")]


class Moderation(models.TextChoices):
    """Where a post stands. Every state but VISIBLE and APPROVED keeps it off the public pages (`hidden`)."""

    VISIBLE = "", "visible"
    PENDING = "pending", "waiting for a moderator (held when posted)"
    FLAGGED = "flagged", "hidden by members' flags, waiting for a moderator"
    APPROVED = "approved", "approved by a moderator"
    HIDDEN = "hidden", "hidden by a moderator"
    DELETED = "deleted", "deleted by a moderator"


HIDDEN_STATES = {Moderation.PENDING, Moderation.FLAGGED, Moderation.HIDDEN, Moderation.DELETED}


class QuestionManager(models.Manager):
    """Questions without their search vector: it holds every public answer's words and only the database reads
    it, so no page or list pays for fetching it."""

    def get_queryset(self):
        return super().get_queryset().defer("search_vector")


class Question(WorkspaceScoped):
    """A question asked by a member, or posted anonymised from a care conversation by an agent."""

    objects = QuestionManager()

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="questions")
    author = models.ForeignKey(CommunityMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=10_000)
    tags = models.JSONField(default=list, blank=True)
    accepted_answer = models.ForeignKey(
        "community.Answer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Asked from the inbox: the conversation the accepted answer flows back into, and the agent who asked.
    conversation = models.ForeignKey(
        "care.Conversation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    asked_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    suggested_experts = models.JSONField(default=list, blank=True)
    returned_to_care_at = models.DateTimeField(
        null=True, blank=True, help_text="when it went back to the inbox unanswered (asked from the inbox only)"
    )
    hidden = models.BooleanField(default=False)
    moderation = models.CharField(max_length=10, choices=Moderation.choices, blank=True, default="")
    moderation_reason = models.CharField(max_length=200, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True, help_text="hash of the normalised text: duplicates")
    edited_at = models.DateTimeField(null=True, blank=True, help_text="last edit (the history is in PostEdit)")
    search_vector = SearchVectorColumn(
        null=True, blank=True, help_text="PostgreSQL full text of the public question and answers (search.refresh)"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "category", "-created_at"], name="community_q_cat_idx"),
            models.Index(fields=["workspace", "fingerprint"], name="community_q_fp_idx"),
            models.Index(fields=["workspace", "moderation"], name="community_q_mod_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class Answer(WorkspaceScoped):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    author = models.ForeignKey(CommunityMember, on_delete=models.CASCADE, related_name="answers")
    body = models.TextField(max_length=10_000)
    accepted_at = models.DateTimeField(null=True, blank=True)
    hidden = models.BooleanField(default=False)
    moderation = models.CharField(max_length=10, choices=Moderation.choices, blank=True, default="")
    moderation_reason = models.CharField(max_length=200, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True, help_text="hash of the normalised text: duplicates")
    edited_at = models.DateTimeField(null=True, blank=True, help_text="last edit (the history is in PostEdit)")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "author", "-created_at"], name="community_a_author_idx"),
            models.Index(fields=["workspace", "fingerprint"], name="community_a_fp_idx"),
            models.Index(fields=["workspace", "moderation"], name="community_a_mod_idx"),
        ]


class Vote(WorkspaceScoped):
    """One member found one answer helpful."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(CommunityMember, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["answer", "member"], name="community_vote_once")]


class FlagReason(models.TextChoices):
    SPAM = "spam", "spam or advertising"
    OFFENSIVE = "offensive", "rude or offensive"
    OFF_TOPIC = "off_topic", "off topic"
    PRIVATE = "private", "shares someone's private details"
    OTHER = "other", "something else"


class Flag(WorkspaceScoped):
    """A member's report on a question or an answer; open until a moderator acts on the post."""

    member = models.ForeignKey(CommunityMember, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(Question, null=True, blank=True, on_delete=models.CASCADE, related_name="flags")
    answer = models.ForeignKey(Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(max_length=10, choices=FlagReason.choices)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(question__isnull=False, answer__isnull=True)
                | Q(question__isnull=True, answer__isnull=False),
                name="community_flag_one_target",
            ),
            # One open flag per member and post: N flags are N distinct members.
            models.UniqueConstraint(
                fields=["member", "question"],
                condition=Q(question__isnull=False, resolved_at__isnull=True),
                name="community_flag_question_once",
            ),
            models.UniqueConstraint(
                fields=["member", "answer"],
                condition=Q(answer__isnull=False, resolved_at__isnull=True),
                name="community_flag_answer_once",
            ),
        ]


class ReputationReason(models.TextChoices):
    ACCEPTED = "accepted", "answer accepted"
    HELPFUL = "helpful", "helpful vote"


class ReputationEntry(WorkspaceScoped):
    """One line of the append-only reputation ledger: a member's score is the sum of their lines."""

    member = models.ForeignKey(CommunityMember, on_delete=models.CASCADE, related_name="ledger")
    points = models.IntegerField()
    reason = models.CharField(max_length=10, choices=ReputationReason.choices)
    answer = models.ForeignKey(Answer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["workspace", "created_at"], name="community_ledger_time_idx")]
        constraints = [
            # An answer is accepted once: the ledger never pays it twice.
            models.UniqueConstraint(
                fields=["answer"], condition=Q(reason="accepted"), name="community_ledger_accept_once"
            )
        ]

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("the reputation ledger is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("the reputation ledger is append-only")


class BadgeAward(WorkspaceScoped):
    """One badge earned by one member, once (append-only: a badge is never taken back or given twice)."""

    member = models.ForeignKey(CommunityMember, on_delete=models.CASCADE, related_name="badges")
    badge = models.CharField(max_length=40, help_text="a slug from rapport.community.levels.BADGES")
    reason = models.CharField(max_length=200)
    awarded_at = models.DateTimeField()

    class Meta:
        ordering = ["awarded_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["member", "badge"], name="community_badge_once")]

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("badge awards are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("badge awards are append-only")


class QuestionTopic(WorkspaceScoped):
    """The topics a question counts for, normalised (lower case): its category's slug and name, and each tag. What
    expertise is learned per, and what "find the expert for iPhone 5" looks up by index instead of by LIKE over JSON."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="topics")
    topic = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "topic"], name="community_qtopic_uniq")]
        indexes = [models.Index(fields=["workspace", "topic"], name="community_qtopic_idx")]


class Expertise(WorkspaceScoped):
    """A member's standing on one topic, maintained on every write that changes it (an answer posted, accepted,
    voted helpful, hidden or approved) by rapport.community.expertise.

    `weight` is the sum of the member's points on the topic, each grown by 2^((when - epoch) / half-life): today's
    score is weight x 2^(-(now - epoch) / half-life), so the ranking by weight is the ranking by decayed score at
    any moment and never needs rewriting as time passes."""

    member = models.ForeignKey(CommunityMember, on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(max_length=100)
    weight = models.FloatField(default=0.0)
    accepted = models.PositiveIntegerField(default=0)
    helpful = models.PositiveIntegerField(default=0)
    answers = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "topic", "member"], name="community_expertise_uniq")
        ]
        indexes = [models.Index(fields=["workspace", "topic", "-weight"], name="community_expertise_rank_idx")]


class Suspension(WorkspaceScoped):
    """One suspension of a member by a moderator, kept after it ends: who, why, until when, and how it ended."""

    member = models.ForeignKey(CommunityMember, on_delete=models.CASCADE, related_name="suspensions")
    by_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=300)
    until = models.DateTimeField(null=True, blank=True, help_text="empty: until a moderator lifts it")
    created_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lift_note = models.CharField(max_length=300, blank=True, help_text='e.g. "expired" when the end date passed')

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["workspace", "member", "-created_at"], name="community_susp_member_idx")]


class PostEdit(WorkspaceScoped):
    """One edit of a question or an answer, append-only: the text before and after, who edited and when. The
    public pages only say a post was edited; moderators read the history."""

    question = models.ForeignKey(Question, null=True, blank=True, on_delete=models.CASCADE, related_name="edits")
    answer = models.ForeignKey(Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="edits")
    editor = models.ForeignKey(CommunityMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    editor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title_before = models.CharField(max_length=200, blank=True)
    title_after = models.CharField(max_length=200, blank=True)
    body_before = models.TextField(max_length=10_000)
    body_after = models.TextField(max_length=10_000)
    edited_at = models.DateTimeField()

    class Meta:
        ordering = ["edited_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(question__isnull=False, answer__isnull=True)
                | Q(question__isnull=True, answer__isnull=False),
                name="community_edit_one_target",
            )
        ]

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("edit history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("edit history is append-only")

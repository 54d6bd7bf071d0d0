"""Workspaces (tenants), users and their roles, API tokens and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    """Users are identified by email address."""

    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person who logs in to Rapport: an agent, marketer, community manager, admin or DPO."""

    username = None
    email = models.EmailField("email address", unique=True)
    # The interface language this user reads (one of settings.LANGUAGES); empty: their browser's language.
    language = models.CharField("language", max_length=8, blank=True, default="")
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    def __str__(self) -> str:
        return self.email


class Workspace(models.Model):
    """A tenant: every row of customer data belongs to exactly one workspace."""

    slug = models.SlugField(unique=True, max_length=64)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.slug


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    AGENT = "agent", "Care agent"
    MARKETER = "marketer", "Marketer"
    COMMUNITY_MANAGER = "community_manager", "Community manager"
    DPO = "dpo", "Data protection officer"


class Member(models.Model):
    """A user's membership of a workspace, with one role."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="member_unique_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"


class ApiToken(models.Model):
    """A bearer token for the API, bound to one user in one workspace; only its SHA-256 is stored."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_tokens")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class AuditEvent(models.Model):
    """Who changed what and when, with the values before and after; written by every service that changes data."""

    class ActorKind(models.TextChoices):
        USER = "user"
        TOKEN = "token"
        RULE = "rule"
        IMPORT = "import"
        SYSTEM = "system"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="audit_events")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=64)  # past tense: contact.created, contact.updated, contact.merged ...
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "object_type", "object_id", "-created_at"], name="audit_object_idx")
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id} by {self.actor_label}"

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        """Field-level (field, before, after) triples for display."""
        before, after = self.before or {}, self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class WorkspaceScoped(models.Model):
    """Base for every row of customer data: it carries its workspace."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class OutboxEvent(models.Model):
    """A domain event written in the same transaction as the change it reports (the transactional outbox).

    It is delivered after commit at once, and again by the `events.deliver` job until every handler that was
    subscribed when it was written has succeeded: a crash or a failing handler delays work, it never loses it.
    `pending` names the handlers still to run; each handler's success is recorded in the transaction of its work.
    """

    workspace_id = models.BigIntegerField(null=True, blank=True)  # not a key: the event outlives nothing it names
    name = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    pending = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="outbox_undelivered_idx", condition=models.Q(delivered_at__isnull=True)
            ),
            models.Index(fields=["workspace_id", "name", "-created_at"], name="outbox_ws_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class ScheduledJob(models.Model):
    """One row per registered periodic job (core.jobs): its schedule, its current claim and how its runs went.

    Not workspace-scoped: a job covers every workspace (poll_all, check_slas), as the scheduler sees it.
    """

    name = models.CharField(max_length=100, unique=True)
    every_seconds = models.PositiveIntegerField()
    next_run_at = models.DateTimeField()
    # The claim: who may run the current run (a token) and until when (the lease). A run whose worker died is
    # claimed again once the lease has passed; a run that was superseded finds its token gone and is skipped.
    claim_token = models.CharField(max_length=32, blank=True, default="")
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempt = models.PositiveSmallIntegerField(default=0)  # retries of the current run so far
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    failures = models.PositiveIntegerField(default=0)  # consecutive: a success resets it
    runs = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

"""Dead letters: payloads the pipeline could not use, kept with the reason until replayed after a fix."""

from __future__ import annotations

from django.db import models

from rapport.core.models import WorkspaceScoped


class DeadLetter(WorkspaceScoped):
    """One rejected record: its source, raw text, the reason (naming the field) and its replay state."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        REPLAYED = "replayed", "Replayed"
        FAILED = "failed", "Failed again"

    source = models.CharField(max_length=200, help_text="e.g. file:Tweets.csv:1234, api, webhook:meta")
    format = models.CharField(max_length=16, help_text="how to parse payload again: jsonl, airline-csv, twcs-csv, post")
    payload = models.TextField()
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    replayed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)

    class Meta:
        indexes = [models.Index(fields=["workspace", "status", "-created_at"], name="deadletter_ws_status_idx")]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source}: {self.reason[:60]}"

"""The consent ledger: every grant, withdrawal and objection, append-only; the current state is derived from it."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from rapport.core.models import WorkspaceScoped


class Purpose(models.TextChoices):
    SERVICE = "service", "Service messages"
    NEWSLETTER = "newsletter", "Newsletter"
    OFFERS = "offers", "Personalised offers"
    ENRICHMENT = "enrichment", "Social-profile enrichment"
    PROFILING = "profiling", "Profiling and influence scoring"
    SURVEYS = "surveys", "Surveys and research"
    COMMUNITY = "community", "Community contact"


class ContactChannel(models.TextChoices):
    ANY = "", "Any channel (processing)"
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    PHONE = "phone", "Phone"
    POST = "post", "Post"
    SOCIAL_DM = "social_dm", "Social DM"
    ADVERTISING = "advertising", "Advertising audiences"


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

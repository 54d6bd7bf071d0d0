"""Customer value. `CustomerValue` is the one per-person summary that segments, triage and SLA policies read: it
is derived from orders and the loyalty ledger (and refreshed when they change), never edited by hand."""

from __future__ import annotations

from django.db import models

from rapport.core.models import WorkspaceScoped


class CustomerValue(WorkspaceScoped):
    """What a person's purchases say: counts and spend, RFM, the fitted value models' predictions, loyalty state."""

    person = models.OneToOneField("contacts.Person", on_delete=models.CASCADE, related_name="value")
    orders = models.PositiveIntegerField(default=0)
    total_spend = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    first_order_at = models.DateTimeField(null=True, blank=True)
    last_order_at = models.DateTimeField(null=True, blank=True)
    rfm_r = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Recency quintile, 5 = most recent")
    rfm_f = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Frequency quintile, 5 = most often")
    rfm_m = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Monetary quintile, 5 = highest spend")
    rfm_segment = models.CharField(max_length=32, blank=True)
    p_alive = models.FloatField(null=True, blank=True)
    expected_purchases_90d = models.FloatField(null=True, blank=True)
    clv_12m = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    tier = models.CharField(max_length=64, blank=True)
    points_balance = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "clv_12m"], name="value_ws_clv_idx"),
            models.Index(fields=["workspace", "last_order_at"], name="value_ws_last_idx"),
            models.Index(fields=["workspace", "rfm_segment"], name="value_ws_rfm_idx"),
        ]

    def __str__(self) -> str:
        return f"value of {self.person_id}"

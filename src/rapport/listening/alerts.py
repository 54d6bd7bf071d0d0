"""Spike alert delivery: a signed POST to the configured webhook once the alert's transaction has committed."""

from __future__ import annotations

import json
import logging
import time

from django.conf import settings
from django.utils import timezone

from rapport.core import events
from rapport.core.redact import redact_url

log = logging.getLogger(__name__)


def alert_payload(alert) -> dict:
    """The JSON body sent for an alert (also the API shape)."""
    return {
        "id": alert.pk,
        "dimension": alert.dimension,
        "key": alert.key,
        "label": alert.label,
        "reason": alert.reason,
        "started_at": alert.started_at.isoformat(),
        "count": alert.count,
        "baseline": alert.baseline,
        "negative_share": alert.negative_share,
        "probability": alert.probability,
    }


def deliver(event: str, payload: dict) -> None:
    """POST a new alert to RAPPORT_ALERT_WEBHOOK_URL, signed like Rapport's generic webhook."""
    url = settings.RAPPORT_ALERT_WEBHOOK_URL
    if not url:
        return
    import httpx

    from rapport.core.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
    from rapport.listening.models import SpikeAlert

    alert = SpikeAlert.objects.filter(pk=payload["alert_id"]).first()
    if alert is None:
        return
    body = json.dumps({"event": event, "alert": alert_payload(alert)}).encode()
    stamp = int(time.time())
    headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: str(stamp)}
    if settings.RAPPORT_ALERT_WEBHOOK_SECRET:
        headers[SIGNATURE_HEADER] = sign(body, timestamp=stamp, secret=settings.RAPPORT_ALERT_WEBHOOK_SECRET)
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=5.0)
        response.raise_for_status()
    except httpx.HTTPError:
        log.warning("spike alert %s could not be delivered to %s", alert.pk, redact_url(url), exc_info=True)
        return
    SpikeAlert.objects.filter(pk=alert.pk).update(delivered_at=timezone.now())


def deliver_email(event: str, payload: dict) -> None:
    """Mail a new alert to RAPPORT_ALERT_EMAILS (comma-separated) through the configured SMTP server."""
    recipients = [a.strip() for a in settings.RAPPORT_ALERT_EMAILS.split(",") if a.strip()]
    if not recipients:
        return
    from django.core.mail import send_mail

    from rapport.listening.models import SpikeAlert

    alert = SpikeAlert.objects.select_related("workspace").filter(pk=payload["alert_id"]).first()
    if alert is None:
        return
    what = "negativity" if alert.reason == "negativity" else "volume"
    subject = f"[Rapport] {what} spike: {alert.label} ({alert.workspace.name})"
    body = (
        f"{alert.count} posts in the hour from {alert.started_at:%Y-%m-%d %H:00} UTC around {alert.label} "
        f"({alert.dimension}), against about {alert.baseline:.1f} expected; {alert.negative_share:.0%} negative.\n"
        f"Chance of this under the usual baseline: {alert.probability:.2g}.\n\n"
        "See the Mentions page in Rapport, filtered to this rule, author or topic."
    )
    try:
        send_mail(subject, body, None, recipients)
    except OSError:
        log.warning("spike alert %s could not be mailed", alert.pk, exc_info=True)


_connected = False


def connect() -> None:
    """Subscribe the delivery handler (once per process)."""
    global _connected
    if not _connected:
        events.subscribe("listening.spike_detected", deliver)
        events.subscribe("listening.spike_detected", deliver_email)
        _connected = True

"""The base of every link Rapport sends out (survey, opt-in, preference, unsubscribe and notification mails)."""

from __future__ import annotations

from django.conf import settings

FALLBACK = "http://127.0.0.1:8000"


def public_url(path: str = "") -> str:
    """RAPPORT_PUBLIC_URL, else the address `rapport serve` is serving on, else the default port; plus path."""
    base = settings.RAPPORT_PUBLIC_URL or settings.RAPPORT_SERVED_URL or FALLBACK
    return base.rstrip("/") + path

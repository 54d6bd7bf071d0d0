"""Periodic commerce work: the nightly refit of the value models, and points expiry."""

from __future__ import annotations

from rapport.core.jobs import scheduled


@scheduled("commerce.value_refit", every=24 * 3600, retries=2, lease=3600)
def value_refit() -> dict[str, int]:
    """Refit RFM, BG/NBD and Gamma-Gamma for every workspace with orders (idempotent: a refit replaces the last)."""
    from rapport.commerce.services import fit_all

    return fit_all()


@scheduled("commerce.points_expiry", every=3600, retries=3)
def points_expiry() -> dict[str, int]:
    """Expire the points that are due, oldest first, in every active programme."""
    from rapport.commerce.loyalty import expire_due
    from rapport.commerce.models import Programme

    total = 0
    for programme in Programme.objects.filter(active=True, expiry_days__isnull=False):
        total += expire_due(programme)
    return {"expired": total}

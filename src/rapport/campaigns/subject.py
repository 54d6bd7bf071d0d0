"""Campaigns' part of access exports and erasures: which campaigns a person was (or was not) sent, and when."""

from __future__ import annotations

from typing import Any

from rapport.campaigns.models import CampaignSend
from rapport.consent.subject import Subject, register_subject_data


def _sends(subject: Subject) -> list[dict[str, Any]]:
    return [
        {
            "campaign": name,
            "status": status,
            "variant": variant,
            "sent_at": sent_at.isoformat() if sent_at else None,
        }
        for name, status, variant, sent_at in CampaignSend.objects.filter(person_id__in=subject.person_ids).values_list(
            "campaign__name", "status", "variant", "sent_at"
        )
    ]


def _erase(subject: Subject) -> dict[str, int]:
    sends, _ = CampaignSend.objects.filter(person_id__in=subject.person_ids).delete()
    return {"campaign_sends": sends}


def register() -> None:
    register_subject_data("campaign_sends", _sends, _erase)

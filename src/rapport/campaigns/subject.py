"""Campaigns' part of access exports and erasures: which campaigns a person was (or was not) sent, and when."""

from __future__ import annotations

from typing import Any

from rapport.campaigns.models import CampaignSend, Enrolment, StepRun
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


def _journeys(subject: Subject) -> list[dict[str, Any]]:
    steps: dict[int, list[dict[str, Any]]] = {}
    for eid, step, kind, status, at in StepRun.objects.filter(person_id__in=subject.person_ids).values_list(
        "enrolment_id", "step", "kind", "status", "at"
    ):
        steps.setdefault(eid, []).append({"step": step, "type": kind, "status": status, "at": at.isoformat()})
    return [
        {
            "journey": name,
            "status": status,
            "entered_at": entered.isoformat(),
            "finished_at": finished.isoformat() if finished else None,
            "steps": steps.get(pk, []),
        }
        for pk, name, status, entered, finished in Enrolment.objects.filter(
            person_id__in=subject.person_ids
        ).values_list("pk", "journey__name", "status", "entered_at", "finished_at")
    ]


def _erase_journeys(subject: Subject) -> dict[str, int]:
    runs, _ = StepRun.objects.filter(person_id__in=subject.person_ids).delete()
    passes, _ = Enrolment.objects.filter(person_id__in=subject.person_ids).delete()
    return {"journey_steps": runs, "journey_enrolments": passes}


def register() -> None:
    register_subject_data("campaign_sends", _sends, _erase)
    register_subject_data("journeys", _journeys, _erase_journeys)

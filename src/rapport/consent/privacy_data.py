"""Consent's own personal data in exports and erasures: the ledger, the switches, form answers, enrichment facts
and the data-subject requests themselves."""

from __future__ import annotations

from typing import Any

from rapport.consent.models import ConsentEvent, ConsentState, EnrichmentFact, FormAnswer, PrivacyFlags, PrivacyRequest
from rapport.consent.subject import Subject, register_subject_data, rows


def _consents(subject: Subject) -> dict[str, Any]:
    events = ConsentEvent.objects.filter(person_id__in=subject.person_ids).order_by("occurred_at", "id")
    return {"history": rows(events)}


def _erase_consents(subject: Subject) -> dict[str, int]:
    ConsentState.objects.filter(person_id__in=subject.person_ids).delete()
    n, _ = ConsentEvent.objects.filter(person_id__in=subject.person_ids).delete()
    PrivacyFlags.objects.filter(person_id__in=subject.person_ids).delete()
    return {"consent_events": n}


def _forms(subject: Subject) -> list[dict[str, Any]]:
    return [
        {"form": a.form.name, "answers": a.answers, "confirmed": a.confirmed, "given_at": a.created_at.isoformat()}
        for a in FormAnswer.objects.filter(person_id__in=subject.person_ids).select_related("form")
    ]


def _erase_forms(subject: Subject) -> dict[str, int]:
    n, _ = FormAnswer.objects.filter(person_id__in=subject.person_ids).delete()
    return {"form_answers": n}


def _enrichment(subject: Subject) -> list[dict[str, Any]]:
    return rows(EnrichmentFact.objects.filter(person_id__in=subject.person_ids))


def _erase_enrichment(subject: Subject) -> dict[str, int]:
    n, _ = EnrichmentFact.objects.filter(person_id__in=subject.person_ids).delete()
    return {"enrichment_facts": n}


def _requests(subject: Subject) -> list[dict[str, Any]]:
    return [
        {"kind": r.kind, "status": r.status, "received_at": r.received_at.isoformat(), "due_at": r.due_at.isoformat()}
        for r in PrivacyRequest.objects.filter(person_id__in=subject.person_ids)
    ]


def _erase_requests(subject: Subject) -> dict[str, int]:
    # The requests stay (the log must show an erasure was asked for and done), without who the person was.
    n = PrivacyRequest.objects.filter(person_ref__in=subject.person_ids, workspace_id=subject.workspace_id).update(
        person=None, subject_label="", notes=""
    )
    return {"privacy_requests_anonymised": n}


def register() -> None:
    register_subject_data("consents", _consents, _erase_consents)
    register_subject_data("form_answers", _forms, _erase_forms)
    register_subject_data("enrichment_facts", _enrichment, _erase_enrichment)
    register_subject_data("privacy_requests", _requests, _erase_requests)

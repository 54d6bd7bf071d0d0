"""Enrichment from what people gave in sign-up forms: their custom answers (hobbies, a wedding date) read as facts,
only for those with the enrichment purpose, through the same `record_enrichment` as posts."""

from __future__ import annotations

from collections.abc import Iterable

from rapport.consent import services
from rapport.consent.enrichment.detect import detect_answers, expires_at
from rapport.consent.models import FormAnswer

MAX_ANSWERS = 20  # the newest answers per person that are read


def readings_of(answer: FormAnswer) -> list[services.FactReading]:
    labels = {f.get("name", ""): f.get("label", "") for f in (answer.form.fields or [])}
    out = []
    for found in detect_answers(answer.answers or {}, labels, given_at=answer.created_at):
        out.append(
            services.FactReading(
                person_id=answer.person_id,
                kind=found.kind,
                value=found.value,
                confidence=found.confidence,
                expires_at=expires_at(found, answer.created_at),
                observed_at=answer.created_at,
                event_date=found.event_date,
                source=f"form:{answer.form.slug}",
                evidence=found.evidence,
            )
        )
    return out


def enrich_from_answers(workspace_id: int, person_ids: Iterable[int]) -> services.EnrichmentResult:
    """Read these people's form answers (those who may be enriched; `record_enrichment` asks)."""
    ids = list(person_ids)
    if not ids:
        return services.EnrichmentResult()
    answers = (
        FormAnswer.objects.filter(workspace_id=workspace_id, person_id__in=ids)
        .select_related("form")
        .order_by("person_id", "-created_at")
    )
    per: dict[int, int] = {}
    found: list[services.FactReading] = []
    for a in answers:
        if per.get(a.person_id, 0) >= MAX_ANSWERS:
            continue
        per[a.person_id] = per.get(a.person_id, 0) + 1
        found.extend(readings_of(a))
    return services.record_enrichment(workspace_id, found)

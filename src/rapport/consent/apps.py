"""Consent and privacy: the ledger of permissions and objections, and the one answer to "may we?"."""

from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "rapport.consent"
    label = "consent"
    verbose_name = "Consent and privacy"

    def ready(self) -> None:
        from rapport.consent import retention, services, subject
        from rapport.contacts.relations import OnDelete, PersonRelation, register_relation
        from rapport.core import events

        # The ledger is the proof of each permission: it follows a merge to the kept person and goes with a deleted one.
        register_relation(PersonRelation("consents", "consent.ConsentEvent"))
        # The derived state is rebuilt from the moved ledger after a merge or an un-merge.
        register_relation(PersonRelation("consent_states", "consent.ConsentState", moves_on_merge=False))
        register_relation(PersonRelation("privacy_flags", "consent.PrivacyFlags", moves_on_merge=False))
        register_relation(PersonRelation("form_answers", "consent.FormAnswer"))
        # A fact the kept person already holds (the same interest) stays with the absorbed record.
        register_relation(PersonRelation("enrichment_facts", "consent.EnrichmentFact", unique_with=("kind", "value")))
        # A data-subject request outlives the person (the log must show it was handled).
        register_relation(
            PersonRelation(
                "privacy_requests", "consent.PrivacyRequest", on_delete=OnDelete.DETACH, moves_on_merge=False
            )
        )
        events.subscribe("contact.merged", services.on_merge)
        events.subscribe("contact.unmerged", services.on_merge)
        subject.register_own()
        retention.register_own()
        from rapport.consent import settings_views
        from rapport.web.settings_registry import register_sections

        register_sections(settings_views.SECTIONS)  # next-best-action rules

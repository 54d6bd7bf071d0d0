from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "rapport.consent"
    label = "consent"
    verbose_name = "Consent and privacy"

    def ready(self) -> None:
        from rapport.contacts.relations import PersonRelation, register_relation

        # The ledger is the proof of each permission: it follows a merge to the kept person and goes with a deleted one.
        register_relation(PersonRelation("consents", "consent.ConsentEvent"))

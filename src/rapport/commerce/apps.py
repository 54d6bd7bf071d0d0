from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "rapport.commerce"
    label = "commerce"
    verbose_name = "Customer value"

    def ready(self) -> None:
        from rapport.contacts.relations import PersonRelation, register_relation

        # The summary is derived from orders: it never moves on a merge (it is recomputed), and goes with the person.
        register_relation(PersonRelation("value_summary", "commerce.CustomerValue", moves_on_merge=False))

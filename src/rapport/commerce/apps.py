"""Customer value: products, orders, the loyalty ledger, and each person's value summary."""

from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "rapport.commerce"
    label = "commerce"
    verbose_name = "Customer value"

    def ready(self) -> None:
        from rapport.commerce import listeners
        from rapport.contacts.relations import OnDelete, PersonRelation, register_relation
        from rapport.core import events

        # The summary is derived from orders: it never moves on a merge (it is recomputed), and goes with the person.
        register_relation(PersonRelation("value_summary", "commerce.CustomerValue", moves_on_merge=False))
        # An order is a business record: it follows a merge, and outlives a deleted person (detached, for the books).
        register_relation(PersonRelation("orders", "commerce.Order", on_delete=OnDelete.DETACH))
        register_relation(PersonRelation("points", "commerce.PointsEntry"))
        register_relation(PersonRelation("memberships", "commerce.Membership", unique_with=("programme_id",)))
        register_relation(PersonRelation("vouchers", "commerce.Voucher", on_delete=OnDelete.DETACH))
        events.subscribe("contact.merged", listeners.on_merge)
        events.subscribe("contact.unmerged", listeners.on_merge)
        from rapport.commerce import subject

        subject.register()  # access exports list orders, loyalty and value; an erasure anonymises the orders

from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "rapport.identity"
    label = "identity"
    verbose_name = "Identity"

    def ready(self) -> None:
        from rapport.contacts.relations import OnDelete, PersonRelation, register_relation

        # Contacts, below identity, reaches people's accounts and matching only through what is registered here.
        from rapport.identity import contacts_hooks

        contacts_hooks.register()
        # An account exists on its network without the person; merges and review pairs are about this person only.
        register_relation(PersonRelation("identities", "identity.SocialIdentity", on_delete=OnDelete.DETACH))
        for label, model, field in (
            ("merges_kept", "identity.Merge", "kept"),
            ("merges_absorbed", "identity.Merge", "absorbed"),
            ("reviews_left", "identity.ReviewItem", "left"),
            ("reviews_right", "identity.ReviewItem", "right"),
        ):
            register_relation(PersonRelation(label, model, field=field, moves_on_merge=False))
        # A claim that someone is this person follows them into a merge and goes with them.
        register_relation(PersonRelation("claims", "identity.IdentityClaim", unique_with=("identity", "status")))
        # What it holds about a person, for access exports, erasures and retention.
        from rapport.identity import subject

        subject.register()

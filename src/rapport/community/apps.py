"""Community: customers help customers — a hosted Q&A community with reputation, topic experts and inbox routing."""

from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "rapport.community"
    label = "community"
    verbose_name = "Community"

    def ready(self) -> None:
        from rapport.contacts.relations import OnDelete, PersonRelation, register_relation

        # A member is a person in the CRM: a merge moves the membership to the kept person; deleting the person
        # keeps the member's public posts, detached from the contact.
        register_relation(PersonRelation("community_members", "community.CommunityMember", on_delete=OnDelete.DETACH))

        # What it holds about a person, for access exports and erasures.
        from rapport.community import subject

        subject.register()

        from rapport.community import settings_views
        from rapport.web.settings_registry import register_sections

        register_sections(settings_views.SECTIONS)  # report threshold, moderation rules, trust level thresholds

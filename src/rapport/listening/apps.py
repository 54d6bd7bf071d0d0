from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "rapport.listening"
    label = "listening"
    verbose_name = "Social listening"

    def ready(self) -> None:
        from rapport.contacts.relations import OnDelete, PersonRelation, register_relation
        from rapport.listening import alerts

        # A public post stays heard when its author's contact is deleted; a merge moves it to the kept person.
        register_relation(PersonRelation("posts", "listening.Post", on_delete=OnDelete.DETACH))
        alerts.connect()

        # After each stored batch, authors are linked (or claim to be someone) through identity's rules; identity
        # attaches an account's earlier posts when it links one, through the function registered here.
        from rapport.core import events
        from rapport.identity import history
        from rapport.listening import authors

        events.subscribe("listening.posts_stored", authors.on_posts_stored)
        # Interests and life events from people's own posts, with their permission (stored by consent).
        from rapport.listening import enrichment

        events.subscribe("identity.posts_linked", enrichment.on_posts_linked)
        events.subscribe("identity.linked", enrichment.on_identity_linked)
        from rapport.consent.enrichment import sources

        sources.register_post_lookup(enrichment.post_lookup)
        history.register(authors.attach_histories)

        from rapport.listening import settings_views
        from rapport.web.settings_registry import register_sections

        register_sections(settings_views.SECTIONS)
        # What it holds about a person, for access exports, erasures and retention.
        from rapport.listening import subject

        subject.register()

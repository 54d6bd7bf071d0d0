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

        from rapport.listening import settings_views
        from rapport.web.settings_registry import register_sections

        register_sections(settings_views.SECTIONS)
        # What it holds about a person, for access exports, erasures and retention.
        from rapport.listening import subject

        subject.register()

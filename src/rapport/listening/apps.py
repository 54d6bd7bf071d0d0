from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "rapport.listening"
    label = "listening"
    verbose_name = "Social listening"

    def ready(self) -> None:
        from rapport.identity.merging import Relation, register_relation
        from rapport.listening import alerts

        register_relation(Relation("posts", "listening.Post"))  # a merge moves the absorbed person's posts
        alerts.connect()

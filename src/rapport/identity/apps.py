from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "rapport.identity"
    label = "identity"
    verbose_name = "Identity"

    def ready(self) -> None:
        from rapport.core import events
        from rapport.identity import listeners

        events.subscribe("listening.posts_stored", listeners.on_posts_stored)

from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "rapport.identity"
    label = "identity"
    verbose_name = "Identity"

    def ready(self) -> None:
        from rapport.core import events
        from rapport.identity import listeners

        # Subscribed before the inbox (later in INSTALLED_APPS), so a post that links its author opens on the person.
        events.subscribe("listening.posts_stored", listeners.on_posts_stored)

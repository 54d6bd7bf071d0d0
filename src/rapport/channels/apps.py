from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "rapport.channels"
    label = "channels"
    verbose_name = "Channels"

    def ready(self) -> None:
        from rapport.channels import settings_views
        from rapport.web.settings_registry import register_sections

        register_sections(settings_views.SECTIONS)

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "rapport.web"
    label = "web"
    verbose_name = "Web UI"

    def ready(self) -> None:
        from rapport.web import settings_views
        from rapport.web.settings_registry import register_sections

        register_sections(settings_views.SECTIONS)

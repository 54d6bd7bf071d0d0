from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "rapport.listening"
    label = "listening"
    verbose_name = "Social listening"

    def ready(self) -> None:
        from rapport.listening import alerts

        alerts.connect()

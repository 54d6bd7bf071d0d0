from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "rapport.pipeline"
    label = "pipeline"
    verbose_name = "Ingestion pipeline"

    def ready(self) -> None:
        from rapport.pipeline import subject

        subject.register()  # dead letters naming a person are exported and erased with them; retention purges them

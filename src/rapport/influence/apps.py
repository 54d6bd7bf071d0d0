from django.apps import AppConfig


class InfluenceConfig(AppConfig):
    name = "rapport.influence"
    label = "influence"
    verbose_name = "Influence"

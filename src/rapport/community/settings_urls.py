"""The community's settings page, listed on the settings hub (the public pages are in community/urls.py)."""

from django.urls import path

from rapport.community import settings_views

app_name = "community-settings"
urlpatterns = [
    path("settings/community/", settings_views.rules, name="rules"),
]

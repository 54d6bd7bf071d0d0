"""Channel settings pages (admin-only), listed on the settings hub; the webhooks live in channels/urls.py."""

from django.urls import path

from rapport.channels import settings_views

app_name = "channels-settings"
urlpatterns = [
    path("settings/channels/", settings_views.channel_list, name="list"),
    path("settings/channels/new/", settings_views.channel_edit, name="new"),
    path("settings/channels/<int:pk>/", settings_views.channel_edit, name="edit"),
    path("settings/channels/<int:pk>/deactivate/", settings_views.channel_delete, name="deactivate"),
]

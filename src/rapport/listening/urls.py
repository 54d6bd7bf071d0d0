"""Listening pages: mentions with filters and charts, and alerts."""

from django.urls import path

from rapport.listening import settings_views, views

app_name = "listening"
urlpatterns = [
    path("mentions/", views.mentions, name="mentions"),
    path("mentions/alerts/", views.alerts, name="alerts"),
    path("mentions/export.csv", views.mentions_export, name="export"),
]

# Settings (admin-only): rapport.listening.settings_views, listed on the settings hub.
urlpatterns += [
    path("settings/rules/", settings_views.rules, name="settings-rules"),
    path("settings/rules/new/", settings_views.rule_edit, name="settings-rule-new"),
    path("settings/rules/<int:pk>/", settings_views.rule_edit, name="settings-rule-edit"),
    path("settings/rules/<int:pk>/delete/", settings_views.rule_delete, name="settings-rule-delete"),
]

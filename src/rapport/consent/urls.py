"""Consent pages: public collection links and the DPO's screens."""

from django.urls import path

from rapport.consent import settings_views, views

app_name = "consent"
urlpatterns = [
    path("f/<slug:workspace>/<slug:slug>/", views.signup, name="signup"),
    path("optin/<str:token>/", views.confirm, name="confirm"),
    path("preferences/<str:token>/", views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("privacy/", views.request_list, name="requests"),
    path("privacy/access/", views.access_audit, name="access"),
    path("privacy/people/<int:pk>/", views.person_privacy, name="person"),
    path("privacy/people/<int:pk>/act/", views.person_action, name="act"),
    path("privacy/people/<int:pk>/export/", views.export_document, name="export"),
    path("contacts/<int:pk>/enrichment/", views.enrichment_panel, name="enrichment-panel"),
]

# Settings (admin-only): next-best-action rules, listed on the settings hub.
urlpatterns += [
    path("settings/actions/", settings_views.rules, name="settings-actions"),
    path("settings/actions/new/", settings_views.rule_edit, name="settings-action-new"),
    path("settings/actions/<int:pk>/", settings_views.rule_edit, name="settings-action-edit"),
    path("settings/actions/<int:pk>/delete/", settings_views.rule_delete, name="settings-action-delete"),
]

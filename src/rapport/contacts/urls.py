"""Contacts pages: people, organisations, timelines, audit trails."""

from django.urls import path

from rapport.contacts import views

app_name = "contacts"
urlpatterns = [
    path("contacts/", views.contact_list, name="list"),
    path("contacts/new/", views.contact_create, name="create"),
    path("contacts/import/", views.contact_import, name="import"),
    path("contacts/import/<int:import_id>/", views.contact_import_progress, name="import-progress"),
    path("contacts/export.csv", views.contact_export, name="export"),
    path("contacts/<int:pk>/", views.contact_detail, name="detail"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="edit"),
    path("contacts/<int:pk>/timeline/", views.contact_timeline, name="timeline"),
    path("contacts/<int:pk>/log/", views.contact_log, name="log"),
    path("organisations/", views.organisation_list, name="org-list"),
    path("organisations/new/", views.organisation_create, name="org-create"),
    path("organisations/<int:pk>/", views.organisation_detail, name="org-detail"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="org-edit"),
]

"""Segment pages."""

from django.urls import path

from rapport.segments import views

app_name = "segments"
urlpatterns = [
    path("segments/", views.segment_list, name="list"),
    path("segments/new/", views.segment_create, name="create"),
    path("segments/preview/", views.segment_preview, name="preview"),
    path("segments/lifecycle/", views.lifecycle_view, name="lifecycle"),
    path("segments/<int:pk>/", views.segment_detail, name="detail"),
    path("segments/<int:pk>/edit/", views.segment_edit, name="edit"),
    path("segments/<int:pk>/delete/", views.segment_delete, name="delete"),
    path("segments/<int:pk>/export.csv", views.segment_export, name="export"),
]

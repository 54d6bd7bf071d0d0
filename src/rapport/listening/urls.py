"""Listening pages: mentions with filters and charts, and alerts."""

from django.urls import path

from rapport.listening import views

app_name = "listening"
urlpatterns = [
    path("mentions/", views.mentions, name="mentions"),
    path("mentions/alerts/", views.alerts, name="alerts"),
    path("mentions/export.csv", views.mentions_export, name="export"),
]

"""Listening pages: mentions with filters and charts, alerts, and the dead-letter list."""

from django.urls import path

from rapport.listening import views

app_name = "listening"
urlpatterns = [
    path("mentions/", views.mentions, name="mentions"),
    path("mentions/alerts/", views.alerts, name="alerts"),
    path("mentions/dead-letters/", views.dead_letters, name="dead-letters"),
    path("mentions/dead-letters/replay/", views.replay_dead_letters, name="dead-letters-replay"),
]

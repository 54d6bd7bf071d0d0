"""Pipeline pages: the dead-letter list (under mentions, where rejected posts are looked for)."""

from django.urls import path

from rapport.pipeline import views

app_name = "pipeline"
urlpatterns = [
    path("mentions/dead-letters/", views.dead_letters, name="dead-letters"),
    path("mentions/dead-letters/replay/", views.replay_dead_letters, name="dead-letters-replay"),
]

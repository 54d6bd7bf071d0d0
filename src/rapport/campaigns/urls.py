"""Campaign pages, and the public ends of the tracking links."""

from django.urls import path

from rapport.campaigns import track_views

app_name = "campaigns"
urlpatterns = [
    path("r/<str:token>", track_views.click, name="click"),
    path("o/<str:token>.gif", track_views.open_image, name="open"),
]

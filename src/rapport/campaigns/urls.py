"""Campaign pages, and the public ends of the tracking links."""

from django.urls import path

from rapport.campaigns import track_views, views

app_name = "campaigns"
urlpatterns = [
    path("campaigns/", views.campaign_list, name="list"),
    path("campaigns/new/", views.campaign_create, name="create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="detail"),
    path("campaigns/<int:pk>/send/", views.campaign_send, name="send"),
    path("r/<str:token>", track_views.click, name="click"),
    path("o/<str:token>.gif", track_views.open_image, name="open"),
]

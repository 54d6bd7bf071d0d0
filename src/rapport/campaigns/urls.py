"""Campaign pages, and the public ends of the tracking links."""

from django.urls import path

from rapport.campaigns import bounce_views, journey_views, mail_views, track_views, views

app_name = "campaigns"
urlpatterns = [
    path("campaigns/", views.campaign_list, name="list"),
    path("campaigns/new/", views.campaign_create, name="create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="detail"),
    path("campaigns/<int:pk>/send/", views.campaign_send, name="send"),
    path("campaigns/<int:pk>/test/", views.campaign_test, name="test"),
    path("campaigns/<int:pk>/schedule/", views.campaign_schedule, name="schedule"),
    path("journeys/", journey_views.journey_list, name="journeys"),
    path("journeys/new/", journey_views.journey_create, name="journey-create"),
    path("journeys/<int:pk>/", journey_views.journey_detail, name="journey-detail"),
    path("journeys/<int:pk>/test/", journey_views.journey_test, name="journey-test"),
    path("journeys/<int:pk>/edit/", journey_views.journey_edit, name="journey-edit"),
    path("journeys/policy/", journey_views.messaging_policy, name="policy"),
    path("campaigns/mail-settings/", mail_views.mail_settings, name="mail-settings"),
    path("mail/bounces/<str:key>", bounce_views.receive, name="bounces"),
    path("r/<str:token>", track_views.click, name="click"),
    path("o/<str:token>.gif", track_views.open_image, name="open"),
]

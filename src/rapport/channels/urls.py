"""Webhook endpoints, one per network family, addressed by the channel's secret key."""

from django.urls import path

from rapport.channels import webhooks

app_name = "webhooks"
urlpatterns = [
    path("meta/<str:key>", webhooks.meta, name="meta"),
    path("x/<str:key>", webhooks.x, name="x"),
    path("generic/<str:key>", webhooks.generic, name="generic"),
    path("email/<str:key>", webhooks.inbound_email, name="email"),
]

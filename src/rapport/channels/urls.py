"""Webhook endpoints: one view for every network, addressed by the webhook's name and the channel's secret key.

Each name a connector folder declares (`meta`, `x`, `generic`, `email`, ...) also gets a named route
(`webhooks:meta`, ...) for reverse(); a network added later is served by the last route without a change here.
"""

from django.urls import path

from rapport.channels import webhooks
from rapport.pipeline.connectors.registry import webhook_names

app_name = "webhooks"
urlpatterns = [
    *(path(f"{name}/<str:key>", webhooks.receive, {"name": name}, name=name) for name in webhook_names()),
    path("<str:name>/<str:key>", webhooks.receive, name="receive"),
]

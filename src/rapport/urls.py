"""URL map: the web UI, the API under /api/v1, the back office under /admin, and /healthz."""

from django.contrib import admin
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from rapport.api.urls import api
from rapport.channels import chat


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability for load balancers and `rapport serve` callers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("webhooks/", include("rapport.channels.urls")),
    path("chat/<str:key>/messages", chat.messages, name="chat-messages"),
    path("chat/<str:key>/widget.js", chat.widget, name="chat-widget"),
    path("", include("rapport.listening.urls")),
    path("", include("rapport.pipeline.urls")),
    path("", include("rapport.identity.urls")),
    path("", include("rapport.web.urls")),
]

handler500 = "rapport.web.views.server_error"

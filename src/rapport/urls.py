"""URL map: the web UI, the API under /api/v1, the back office under /admin, and /healthz."""

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path

from rapport.api.urls import api
from rapport.care import chat


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability for load balancers and `rapport serve` callers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})




def back_office_login(request: HttpRequest, extra_context=None) -> HttpResponse:
    """The back office signs in through the product's sign-in (and its code step), never around it; a signed-in
    user the back office refuses is told so rather than sent round in a circle."""
    if request.user.is_authenticated:
        raise PermissionDenied("the back office is for staff accounts")
    return redirect_to_login(request.GET.get("next") or "/admin/")


admin.site.login = back_office_login

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("webhooks/", include("rapport.channels.urls")),
    path("chat/<str:key>/messages", chat.messages, name="chat-messages"),
    path("chat/<str:key>/widget.js", chat.widget, name="chat-widget"),
    path("", include("rapport.channels.settings_urls")),
    path("", include("rapport.listening.urls")),
    path("", include("rapport.influence.urls")),
    path("", include("rapport.pipeline.urls")),
    path("", include("rapport.identity.urls")),
    path("", include("rapport.commerce.urls")),
    path("", include("rapport.segments.urls")),
    path("", include("rapport.campaigns.urls")),
    path("", include("rapport.community.settings_urls")),
    path("community/", include("rapport.community.urls")),
    path("", include("rapport.web.urls")),
]

handler500 = "rapport.web.views.server_error"

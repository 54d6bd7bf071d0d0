"""The NinjaAPI root under /api/v1: mounts every app's router; authentication and error shapes live here."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from rapport.campaigns.api import contact_router as recommendations_router
from rapport.campaigns.api import router as campaigns_router
from rapport.campaigns.journeys_api import policy_router as messaging_policy_router
from rapport.campaigns.journeys_api import router as journeys_router
from rapport.care.api import canned_router
from rapport.care.api import router as conversations_router
from rapport.channels.api import router as channels_router
from rapport.commerce.api import orders_router, vouchers_router
from rapport.commerce.api import router as value_router
from rapport.community.api import conversation_router as community_conversation_router
from rapport.community.api import router as community_router
from rapport.consent.api import enrichment_router, privacy_router
from rapport.consent.api import router as consent_router
from rapport.contacts.api import organisations_router
from rapport.contacts.api import router as contacts_router
from rapport.core.api import router as auth_router
from rapport.core.apiauth import BearerToken
from rapport.core.errors import FieldErrors
from rapport.core.pagination import BadCursor
from rapport.core.services import PermissionDenied
from rapport.identity.api import merge_router, merges_router, review_router
from rapport.influence.api import contact_router as influence_contact_router
from rapport.influence.api import router as influence_router
from rapport.listening.api import alerts_router, mentions_router, rules_router
from rapport.pipeline.api import posts_router
from rapport.segments.api import router as segments_router


def docs_gate(view):
    """The interactive docs need a signed-in user outside demo mode; the OpenAPI schema itself is the published
    contract (routes and shapes, no data) and stays readable by the tools that generate clients from it."""

    @wraps(view)
    def gated(request: HttpRequest, *args, **kwargs):
        if request.path.endswith("/docs") and not settings.DEMO_MODE and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return gated


api = NinjaAPI(
    title="Rapport API",
    version="1",
    description=(
        "Rapport, the open-source Social CRM. Every call but `POST /auth/token` needs `Authorization: Bearer <token>`."
    ),
    auth=BearerToken(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    docs_decorator=docs_gate,
)


@api.exception_handler(FieldErrors)
def field_errors(request: HttpRequest, exc: FieldErrors):
    """Invalid fields: 422 naming each field, the same shape as schema validation errors."""
    return api.create_response(request, {"detail": exc.detail()}, status=422)


@api.exception_handler(BadCursor)
def bad_cursor(request: HttpRequest, exc: BadCursor):
    """A cursor this API did not issue."""
    return api.create_response(
        request, {"detail": [{"loc": ["query", "cursor"], "msg": str(exc), "type": "value_error"}]}, status=422
    )


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied):
    """The role may not do this."""
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError):
    """No or bad token."""
    response = api.create_response(
        request, {"detail": "authentication required: send Authorization: Bearer <token>"}, status=401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404):
    """Unknown record, or one in another workspace (indistinguishable on purpose)."""
    return api.create_response(request, {"detail": "not found"}, status=404)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError):
    """Schema validation: 422 with the field's location."""
    return api.create_response(request, {"detail": exc.errors}, status=422)


api.add_router("/auth", auth_router)
api.add_router("/contacts", contacts_router)
api.add_router("/contacts", merge_router)
api.add_router("/contacts", influence_contact_router)
api.add_router("/influence", influence_router)
api.add_router("/contacts", consent_router)
api.add_router("/privacy", privacy_router)
api.add_router("/enrichment", enrichment_router)
api.add_router("/contacts", value_router)
api.add_router("/orders", orders_router)
api.add_router("/vouchers", vouchers_router)
api.add_router("/merges", merges_router)
api.add_router("/identity", review_router)
api.add_router("/organisations", organisations_router)
api.add_router("/posts", posts_router)
api.add_router("/mentions", mentions_router)
api.add_router("/rules", rules_router)
api.add_router("/alerts", alerts_router)
api.add_router("/channels", channels_router)
api.add_router("/conversations", conversations_router)
api.add_router("/canned-replies", canned_router)
api.add_router("/conversations", community_conversation_router)
api.add_router("/community", community_router)
api.add_router("/segments", segments_router)
api.add_router("/campaigns", campaigns_router)
api.add_router("/journeys", journeys_router)
api.add_router("/messaging-policy", messaging_policy_router)
api.add_router("/contacts", recommendations_router)

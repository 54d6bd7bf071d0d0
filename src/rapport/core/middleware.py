"""Request middleware: body size caps answered with a clear 413, the signed-in user's workspace and role, and the
language each request is answered in."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation

from rapport.core.models import Member

SESSION_KEY = "rapport_workspace_id"


class WorkspaceMiddleware:
    """Sets request.member, request.workspace and request.role for the web UI (API tokens carry their own)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.member = request.workspace = request.role = None  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            members = Member.objects.select_related("workspace").filter(user=user)
            wanted = request.session.get(SESSION_KEY)
            member = (members.filter(workspace_id=wanted).first() if wanted else None) or members.order_by("id").first()
            if member is not None:
                request.member, request.workspace, request.role = member, member.workspace, member.role  # type: ignore[attr-defined]
        return self.get_response(request)


# Routes whose callers read JSON, not pages (the mail provider's bounce notifications included).
MACHINE_PREFIXES = ("/api/", "/webhooks/", "/chat/", "/mail/bounces/")
# Machine-read answers stay in English whatever the caller's language.
ENGLISH_ONLY_PREFIXES = ("/api/", "/webhooks/", "/mail/bounces/")
LANGUAGE_PARAMETER = "lang"  # ?lang=da on any page (the public pages' language links) chooses and remembers it


def supported_language(code: str | None) -> str | None:
    """The shipped language a code names ("da", "de-AT" -> "de", "no" -> "nb"), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code.strip().lower())
    except LookupError:
        return None


class UserLanguageMiddleware:
    """Which language a request is answered in, after Django's LocaleMiddleware chose one from the language cookie
    or Accept-Language: a `?lang=` on the address wins (and is remembered in the language cookie, so a public
    page's language links stick), then the signed-in user's own choice (their account page); the API and webhooks
    always answer in English (their callers read the messages, not people)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(ENGLISH_ONLY_PREFIXES):
            chosen, asked = settings.LANGUAGE_CODE, None
        else:
            asked = supported_language(request.GET.get(LANGUAGE_PARAMETER))
            user = getattr(request, "user", None)
            own = supported_language(user.language) if user is not None and user.is_authenticated else None
            chosen = asked or own
        if chosen:
            translation.activate(chosen)
            request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]
        response = self.get_response(request)
        if asked and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != asked:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                asked,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


class BodyLimitMiddleware:
    """Refuse a request body past the cap before anything reads it: 413 with JSON on API, webhook and chat routes
    (a page elsewhere). File uploads (multipart forms) have a cap of their own, RAPPORT_MAX_UPLOAD_MB."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        multipart = (request.META.get("CONTENT_TYPE") or "").startswith("multipart/")
        cap = settings.RAPPORT_MAX_UPLOAD_BYTES if multipart else settings.RAPPORT_MAX_BODY_BYTES
        if length > cap:
            detail = f"request body of {length} bytes is over the {cap} byte limit"
            if request.path.startswith(MACHINE_PREFIXES):
                return JsonResponse({"detail": detail}, status=413)
            page = f"<!doctype html><title>Too large</title><h1>Too large</h1><p>{detail}.</p>"
            return HttpResponse(page, status=413)
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """A Content-Security-Policy on every page: scripts only from Rapport itself or carrying this response's nonce
    (`request.csp_nonce`), no framing, no plugins, forms and connections to Rapport only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        if "Content-Security-Policy" not in response and response.get("Content-Type", "").startswith("text/html"):
            response["Content-Security-Policy"] = (
                f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
                "form-action 'self'; object-src 'none'"
            )
        return response

"""The embeddable web chat: a small script on the brand's site talks to these public endpoints.

A visitor is identified by a signed token handed out with their first message (kept in the browser's
localStorage); with it they read the answers to their own conversation and nothing else. Tokens expire after
RAPPORT_CHAT_TOKEN_DAYS without a message (each message renews it), so a token copied from a shared computer
stops reading the conversation; a visitor writing with an expired token starts a new one. Messages enter the same
pipeline as every other channel, so they open or join the visitor's conversation in the inbox.

A customer signed in on the brand's site is recognised without asking: the site's server computes
`identifier_hash = HMAC-SHA256(identity_secret, identifier)` for the customer's number or email (the chat
channel's `identity_secret` credential, set in the channel's settings) and the widget sends both. A message whose
hash checks out links its visitor to that customer at once; one whose hash does not is refused and nothing is
kept. An email typed into the chat without that proof is only a claim an agent confirms.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from rapport.care.models import Message
from rapport.channels.models import Channel
from rapport.contacts.validation import clean_email
from rapport.core import ratelimit
from rapport.core.loginguard import client_ip
from rapport.pipeline.connectors.base import PayloadError, check_text, utc_iso
from rapport.pipeline.services import submit_posts

SALT = "rapport.channels.chat"
MAX_TEXT = 4000


def _channel(key: str) -> Channel | None:
    return Channel.objects.filter(webhook_key=key, network="chat", active=True).first()


def _cors(request: HttpRequest, channel: Channel, response: HttpResponse) -> HttpResponse:
    """Allow the brand's own sites (channel config "allowed_origins") to call from the browser."""
    origin = request.headers.get("Origin", "")
    allowed = channel.config.get("allowed_origins") or []
    if origin and (origin in allowed or "*" in allowed):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Vary"] = "Origin"
    return response


def _error(request, channel, field: str, msg: str, status: int = 422) -> HttpResponse:
    return _cors(request, channel, JsonResponse({"detail": [{"loc": ["body", field], "msg": msg}]}, status=status))


def _string_problem(value: object) -> str | None:
    """Why a field of the message body is unusable (not a string, or text no database can store), or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        return f"expected a string, got {type(value).__name__}"
    try:
        check_text(value, "")
    except PayloadError as exc:
        return str(exc).removeprefix(": ")
    return None


class _Expired(Exception):
    pass


def _visitor(token: str, channel: Channel) -> str | None:
    """The visitor id of a live token of this channel, None for a forged one; raises _Expired for an old one."""
    try:
        data = signing.loads(token, salt=SALT, max_age=timedelta(days=settings.RAPPORT_CHAT_TOKEN_DAYS))
    except signing.SignatureExpired:
        raise _Expired from None
    except signing.BadSignature:
        return None
    return data.get("v") if isinstance(data, dict) and data.get("c") == channel.pk else None


def visitor_of(token: str, channel: Channel) -> str | None:
    """The visitor id a live token was issued for on this channel, or None (forged, other channel, expired)."""
    try:
        return _visitor(token, channel)
    except _Expired:
        return None


def issue_visitor_token(visitor: str, channel: Channel) -> str:
    """A signed, timestamped token for one visitor of one chat channel."""
    return signing.dumps({"v": visitor, "c": channel.pk}, salt=SALT)


def signed_in_as(channel: Channel, identifier: str, identifier_hash: str) -> str | None:
    """The identifier when its hash is the HMAC-SHA256 of it under the channel's identity secret, else None."""
    secret = (channel.credentials or {}).get("identity_secret") or ""
    if not secret:
        return None
    expected = hmac.new(secret.encode(), identifier.encode(), hashlib.sha256).hexdigest()
    return identifier if hmac.compare_digest(expected, identifier_hash.strip().lower()) else None


def _rate_limited(request: HttpRequest, channel: Channel) -> HttpResponse | None:
    """Anonymous visitors are limited per address and the whole widget per channel (a minute's window each), so
    a script cannot flood the inbox or guess tokens; the widget's own polling stays well inside the GET limit."""
    ip = client_ip(request)
    if request.method == "GET":
        limits = ((f"chat:get:ip:{ip}", settings.RAPPORT_CHAT_READS_PER_MINUTE),)
    else:
        limits = (
            (f"chat:post:ip:{ip}", settings.RAPPORT_CHAT_MESSAGES_PER_MINUTE),
            (f"chat:post:channel:{channel.pk}", settings.RAPPORT_CHAT_CHANNEL_MESSAGES_PER_MINUTE),
        )
    for key, limit in limits:
        if not ratelimit.hit(key, limit=limit, window=60):
            response = JsonResponse({"detail": "too many requests: wait a minute and try again"}, status=429)
            response["Retry-After"] = "60"
            return _cors(request, channel, response)
    return None


@csrf_exempt
@require_http_methods(["GET", "POST", "OPTIONS"])
def messages(request: HttpRequest, key: str) -> HttpResponse:
    """POST a visitor's message ({text, name?, email?, token?}); GET ?token= the visitor's conversation."""

    channel = _channel(key)
    if channel is None:
        return JsonResponse({"detail": "not found"}, status=404)
    if request.method == "OPTIONS":
        return _cors(request, channel, HttpResponse(status=204))
    if (limited := _rate_limited(request, channel)) is not None:
        return limited
    if request.method == "GET":
        try:
            visitor = _visitor(request.GET.get("token", ""), channel)
        except _Expired:
            return _error(request, channel, "token", "expired visitor token", status=403)
        if visitor is None:
            return _error(request, channel, "token", "unknown or forged visitor token", status=403)
        rows = (
            Message.objects.filter(
                workspace_id=channel.workspace_id, network="chat", conversation__identity__external_id=visitor
            )
            .exclude(direction="note")
            .order_by("-created_at", "-id")[:50]
        )
        items = [{"direction": m.direction, "text": m.text, "created_at": m.created_at.isoformat()} for m in rows]
        return _cors(request, channel, JsonResponse({"items": items[::-1]}))
    try:
        body = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _error(request, channel, "body", "not JSON")
    if not isinstance(body, dict):
        return _error(request, channel, "body", "expected an object")
    for name in ("text", "name", "email", "token", "page", "identifier", "identifier_hash"):
        problem = _string_problem(body.get(name))
        if problem:
            return _error(request, channel, name, problem)
    text = (body.get("text") or "").strip()
    if not text or len(text) > MAX_TEXT:
        return _error(request, channel, "text", f"a message needs 1 to {MAX_TEXT} characters")
    try:
        email = clean_email(body.get("email") or "")
    except ValueError as exc:
        return _error(request, channel, "email", str(exc))
    identifier = (body.get("identifier") or "").strip()
    signed_in = None
    if identifier or body.get("identifier_hash"):
        if not identifier or len(identifier) > 254:
            return _error(
                request, channel, "identifier", "a signed-in customer needs an identifier of 1 to 254 characters"
            )
        if not (channel.credentials or {}).get("identity_secret"):
            return _error(
                request,
                channel,
                "identifier",
                "this chat channel verifies no sign-ins: set an identity_secret in the channel's credentials",
            )
        signed_in = signed_in_as(channel, identifier, body.get("identifier_hash") or "")
        if signed_in is None:
            return _error(
                request,
                channel,
                "identifier_hash",
                "does not match the identifier (HMAC-SHA256 of it with the channel's identity secret)",
                status=403,
            )
    token = body.get("token") or ""
    try:
        visitor = _visitor(token, channel) if token else None
    except _Expired:
        visitor = token = None  # the message is kept; it opens a new conversation under a new token
    if token and visitor is None:
        return _error(request, channel, "token", "unknown or forged visitor token", status=403)
    if visitor is None:
        visitor = f"visitor-{uuid.uuid4().hex}"
    token = issue_visitor_token(visitor, channel)  # renewed with every message
    post = {
        "network": "chat",
        "external_id": f"chat-{uuid.uuid4().hex}",
        "created_at": utc_iso(timezone.now()),
        "text": text,
        "kind": "direct_message",
        "in_reply_to": None,
        "url": None,
        "metrics": {},
        "author": {
            "external_id": visitor,
            "handle": email or None,
            "name": (body.get("name") or "")[:200] or None,
            "followers": None,
        },
        "raw": {"page": (body.get("page") or "")[:500], **({"signed_in": signed_in} if signed_in else {})},
    }
    submit_posts(workspace_id=channel.workspace_id, posts=[post], source=f"chat:{channel.pk}")
    return _cors(request, channel, JsonResponse({"token": token, "received": True}, status=201))


def widget(request: HttpRequest, key: str) -> HttpResponse:
    """The script a brand embeds: `<script src="https://rapport.example/chat/KEY/widget.js" async></script>`."""
    channel = _channel(key)
    if channel is None:
        return JsonResponse({"detail": "not found"}, status=404)
    endpoint = request.build_absolute_uri(f"/chat/{key}/messages")
    context = {"endpoint": json.dumps(endpoint), "title": json.dumps(channel.name or gettext("Chat with us"))}
    response = render(request, "care/widget.js", context, content_type="application/javascript")
    return _cors(request, channel, response)

"""Inbound webhooks: Meta, X and Rapport's generic signed JSON, routed to a channel by its secret path key.

A request with a bad signature gets 401 and nothing is stored. A correctly signed payload that cannot be
understood is dead-lettered and acknowledged with 202, so the network does not retry it forever.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from rapport.channels.models import Channel
from rapport.core import ratelimit
from rapport.core.actors import Actor
from rapport.core.services import record_audit
from rapport.core.signing import TOLERANCE_SECONDS
from rapport.pipeline.connectors.base import PayloadError, SignatureError
from rapport.pipeline.connectors.generic import GenericWebhookConnector
from rapport.pipeline.connectors.meta import MetaConnector
from rapport.pipeline.connectors.x import XConnector
from rapport.pipeline.services import dead_letter, dead_letter_rejections, submit_posts

MAX_BODY = 5 * 1024 * 1024
# X sends a CRC when a webhook is registered and about hourly after; a few a minute is already generous.
CRC_PER_CHANNEL = (10, 60)  # (requests, seconds)
CRC_PER_IP = (30, 60)
# How long a handled signed request is remembered: Rapport's signatures expire with their timestamp window; Meta's and
# X's carry no timestamp, so an hour covers their retries.
REPLAY_WINDOW_S = {"meta": 3600, "x": 3600, "generic": TOLERANCE_SECONDS, "email": TOLERANCE_SECONDS}


def _channel(key: str, networks: tuple[str, ...]) -> Channel | None:
    return (
        Channel.objects.filter(webhook_key=key, active=True, network__in=networks).select_related("workspace").first()
    )


def _denied(reason: str) -> JsonResponse:
    return JsonResponse({"detail": f"signature check failed: {reason}"}, status=401)


def _accept(channel: Channel, kind: str, body: bytes, posts: list[dict[str, Any]]) -> JsonResponse:
    result = submit_posts(workspace_id=channel.workspace_id, posts=posts, source=f"webhook:{kind}:{channel.pk}")
    return JsonResponse({"received": result.received, "stored": result.stored, "duplicates": result.duplicates})


def _dead(channel: Channel, kind: str, body: bytes, reason: str) -> JsonResponse:
    letter = dead_letter(
        workspace_id=channel.workspace_id,
        source=f"webhook:{kind}:{channel.pk}",
        fmt=kind,
        payload=body.decode("utf-8", "replace"),
        reason=reason,
    )
    return JsonResponse({"detail": reason, "dead_letter_id": letter.pk}, status=202)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:  # ValueError: JSONDecodeError, or an integer of 4,300+ digits
        raise PayloadError(f"body: invalid JSON ({exc})") from None
    except RecursionError:
        raise PayloadError("body: invalid JSON (nested too deeply)") from None


def _replay_key(channel: Channel, kind: str, signature: str) -> str:
    return "webhook-seen:" + hashlib.sha256(f"{channel.pk}:{kind}:{signature}".encode()).hexdigest()


def _replayed(channel: Channel, kind: str, signature: str | None) -> JsonResponse | None:
    """A signed request already handled (a replay, or the sender's retry of a delivery that went through) is
    acknowledged and not handled again: a replayed bad body does not make a new dead letter each time."""
    if signature and cache.get(_replay_key(channel, kind, signature)):
        detail = "this signed request was already received"
        return JsonResponse({"received": 0, "stored": 0, "duplicates": 0, "replayed": True, "detail": detail})
    return None


def _handled(channel: Channel, kind: str, signature: str | None, response: HttpResponse) -> HttpResponse:
    """Remember a signed request once it was handled (stored or dead-lettered), for its replay window."""
    if signature:
        cache.set(_replay_key(channel, kind, signature), True, timeout=REPLAY_WINDOW_S[kind])
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def meta(request: HttpRequest, key: str) -> HttpResponse:
    """Facebook / Instagram: the hub.challenge handshake (GET) and X-Hub-Signature-256 signed events (POST)."""
    channel = _channel(key, ("facebook", "instagram"))
    if channel is None:
        return JsonResponse({"detail": "not found"}, status=404)
    creds = channel.credentials
    if request.method == "GET":
        try:
            challenge = MetaConnector.verify_handshake(request.GET, verify_token=creds.get("verify_token", ""))
        except SignatureError as exc:
            return JsonResponse({"detail": str(exc)}, status=403)
        return HttpResponse(challenge, content_type="text/plain")
    body = request.body[: MAX_BODY + 1]
    signature = request.headers.get(MetaConnector.signature_header)
    try:
        MetaConnector.verify_signature(body, signature, app_secret=creds.get("app_secret", ""))
    except SignatureError as exc:
        return _denied(str(exc))
    if (replay := _replayed(channel, "meta", signature)) is not None:
        return replay
    try:
        posts = MetaConnector.normalise(_json(body))
    except PayloadError as exc:
        return _handled(channel, "meta", signature, _dead(channel, "meta", body, str(exc)))
    return _handled(channel, "meta", signature, _accept(channel, "meta", body, posts))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def x(request: HttpRequest, key: str) -> HttpResponse:
    """X Account Activity: the CRC check (GET crc_token) and x-twitter-webhooks-signature signed events (POST)."""
    channel = _channel(key, ("twitter",))
    if channel is None:
        return JsonResponse({"detail": "not found"}, status=404)
    secret = channel.credentials.get("consumer_secret", "")
    if request.method == "GET":
        return _x_crc(request, channel, secret)
    body = request.body[: MAX_BODY + 1]
    signature = request.headers.get(XConnector.signature_header)
    try:
        XConnector.verify_signature(body, signature, consumer_secret=secret)
    except SignatureError as exc:
        return _denied(str(exc))
    if (replay := _replayed(channel, "x", signature)) is not None:
        return replay
    try:
        posts = XConnector.normalise(_json(body))
    except PayloadError as exc:
        return _handled(channel, "x", signature, _dead(channel, "x", body, str(exc)))
    return _handled(channel, "x", signature, _accept(channel, "x", body, posts))


def _x_crc(request: HttpRequest, channel: Channel, secret: str) -> HttpResponse:
    """Answer X's challenge, rate-limited per channel and per address, and audited either way."""
    ip = request.META.get("REMOTE_ADDR", "")
    limits = ((f"x-crc:channel:{channel.pk}", CRC_PER_CHANNEL), (f"x-crc:ip:{ip}", CRC_PER_IP))
    for key, (limit, window) in limits:
        if not ratelimit.hit(key, limit=limit, window=window):
            response = JsonResponse({"detail": "too many CRC challenges; try again later"}, status=429)
            response["Retry-After"] = str(window)
            return response
    token = request.GET.get("crc_token", "")
    try:
        answer, refused = XConnector.crc_response(token, consumer_secret=secret), ""
    except SignatureError as exc:
        answer, refused = None, str(exc)
    record_audit(
        workspace=channel.workspace,
        actor=Actor.system("x crc challenge"),
        action="channel.crc_answered" if answer else "channel.crc_refused",
        object_type="channel",
        object_id=channel.pk,
        after={"ip": ip, "token_length": len(token), **({"reason": refused} if refused else {})},
    )
    if answer is None:
        return JsonResponse({"detail": refused}, status=400)
    return JsonResponse(answer)


def _rapport_signature(request: HttpRequest, channel: Channel, body: bytes) -> JsonResponse | None:
    """Rapport's own signing (HMAC over "timestamp.body" with the channel's secret): None when it checks out."""
    try:
        GenericWebhookConnector.verify_signature(
            body,
            request.headers.get(GenericWebhookConnector.signature_header),
            request.headers.get(GenericWebhookConnector.timestamp_header),
            secret=channel.credentials.get("secret", ""),
        )
    except SignatureError as exc:
        return _denied(str(exc))
    return None


@csrf_exempt
@require_http_methods(["POST"])
def generic(request: HttpRequest, key: str) -> HttpResponse:
    """Rapport's generic webhook: posts in the JSON-line shape, HMAC-signed over "timestamp.body"."""
    channel = _channel(key, ("generic",))
    if channel is None:
        return JsonResponse({"detail": "not found"}, status=404)
    body = request.body[: MAX_BODY + 1]
    if (denied := _rapport_signature(request, channel, body)) is not None:
        return denied
    signature = request.headers.get(GenericWebhookConnector.signature_header)
    if (replay := _replayed(channel, "generic", signature)) is not None:
        return replay
    try:
        posts, rejections = GenericWebhookConnector.normalise(body)
    except PayloadError as exc:
        return _handled(channel, "generic", signature, _dead(channel, "generic", body, str(exc)))
    if rejections:
        dead_letter_rejections(
            workspace_id=channel.workspace_id,
            source=f"webhook:generic:{channel.pk}:item",
            fmt="post",
            rejections=rejections,
        )
    response = _accept(channel, "generic", body, posts)
    data = json.loads(response.content)
    data["rejected"] = [{"index": r.line - 1, "reason": r.reason} for r in rejections]
    return _handled(channel, "generic", signature, JsonResponse(data, status=200))


@csrf_exempt
@require_http_methods(["POST"])
def inbound_email(request: HttpRequest, key: str) -> HttpResponse:
    """Inbound email: one raw RFC 5322 message (as a mail provider's inbound route posts it), signed like the
    generic webhook (X-Rapport-Signature over "timestamp.body")."""
    from rapport.pipeline.connectors.email import message_to_post

    channel = _channel(key, ("email",))
    if channel is None:
        return JsonResponse({"detail": "not found"}, status=404)
    body = request.body[: MAX_BODY + 1]
    if (denied := _rapport_signature(request, channel, body)) is not None:
        return denied
    signature = request.headers.get(GenericWebhookConnector.signature_header)
    if (replay := _replayed(channel, "email", signature)) is not None:
        return replay
    try:
        post = message_to_post(body)
    except PayloadError as exc:
        return _handled(channel, "email", signature, _dead(channel, "email", body, str(exc)))
    return _handled(channel, "email", signature, _accept(channel, "email", body, [post]))

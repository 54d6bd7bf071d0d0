"""Inbound webhooks: one view for every network, routed to a channel by its secret path key.

`/webhooks/<name>/<key>`: the name is the one a network's `webhook` declares in its connector folder (`meta` for
Facebook and Instagram, `x`, `generic`, `email`, ...), and the connector registry says how its requests are
checked and read. The steps around that are the same for every network and are taken here once:

1. the name and the key find an active channel of a network that receives webhooks under that name (else 404);
2. a body past the cap is refused with JSON 413;
3. GET is the network's check of the URL (Meta's hub.challenge, X's CRC), rate-limited and audited as it declares;
4. a request whose signature does not check out gets 401 and nothing is stored;
5. a signed request already handled (a replay, or the sender's retry) is acknowledged and not handled again;
6. a signed body that cannot be understood is dead-lettered and acknowledged with 202, so the network does not retry
   it forever; items rejected one by one are dead-lettered each, and the answer lists them;
7. the posts go to `pipeline.services.submit_posts`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from rapport.channels.models import Channel
from rapport.core import ratelimit, signing
from rapport.core.actors import Actor
from rapport.core.services import record_audit
from rapport.pipeline.connectors import registry
from rapport.pipeline.connectors.base import PayloadError, SignatureError
from rapport.pipeline.connectors.base_channel import Webhook
from rapport.pipeline.services import dead_letter, dead_letter_rejections, submit_posts


def _not_found(name: str) -> JsonResponse:
    """A clear 404 for a name no network receives webhooks under."""
    if name in registry.NETWORK_MODULES or name in registry.NETWORK_MODULES.values():
        detail = f"{name} receives no webhooks"
    else:
        detail = f"unknown webhook {name!r}; known: {', '.join(registry.webhook_names())}"
    return JsonResponse({"detail": detail}, status=404)


def _too_large(size: int | None, cap: int) -> JsonResponse:
    what = f"request body of {size} bytes" if size is not None else "request body"
    return JsonResponse({"detail": f"{what} is over the {cap} byte limit"}, status=413)


def _not_allowed(hook: Webhook, method: str) -> JsonResponse:
    response = JsonResponse({"detail": f"method {method} not allowed; use {' or '.join(hook.methods)}"}, status=405)
    response["Allow"] = ", ".join(hook.methods)
    return response


def _replayed(channel: Channel, name: str, signature: str) -> JsonResponse | None:
    """A signed request already handled (a replay, or the sender's retry of a delivery that went through) is
    acknowledged and not handled again: a replayed bad body does not make a new dead letter each time."""
    if signing.seen(f"webhook:{channel.pk}:{name}", signature):
        detail = "this signed request was already received"
        return JsonResponse({"received": 0, "stored": 0, "duplicates": 0, "replayed": True, "detail": detail})
    return None


def _handled(channel: Channel, hook: Webhook, signature: str, response: HttpResponse) -> HttpResponse:
    """Remember a signed request once it was handled (stored or dead-lettered), for the webhook's replay window."""
    signing.remember(f"webhook:{channel.pk}:{hook.name}", signature, seconds=hook.replay_window)
    return response


def _challenge(request: HttpRequest, channel: Channel, hook: Webhook) -> HttpResponse:
    """Answer the network's GET check of the URL, within its rate limits, audited when it says so."""
    challenge = hook.challenge
    assert challenge is not None  # GET is only allowed when the webhook declares one
    ip = request.META.get("REMOTE_ADDR", "")
    scopes = {"channel": channel.pk, "ip": ip}
    for scope, limit, window in challenge.limits:
        if not ratelimit.hit(f"{hook.name}-{challenge.name}:{scope}:{scopes[scope]}", limit=limit, window=window):
            detail = f"too many {challenge.name} challenges; try again later"
            response = JsonResponse({"detail": detail}, status=429)
            response["Retry-After"] = str(window)
            return response
    answer: str | dict[str, Any] | None
    try:
        answer, refused = challenge.answer(request.GET, channel.credentials), ""
    except SignatureError as exc:
        answer, refused = None, str(exc)
    if challenge.audit is not None:
        record_audit(
            workspace=channel.workspace,
            actor=Actor.system(f"{hook.name} {challenge.name} challenge"),
            action=f"channel.{challenge.name}_{'answered' if answer is not None else 'refused'}",
            object_type="channel",
            object_id=channel.pk,
            after={"ip": ip, **challenge.audit(request.GET), **({"reason": refused} if refused else {})},
        )
    if answer is None:
        return JsonResponse({"detail": refused}, status=challenge.refused_status)
    if isinstance(answer, str):
        return HttpResponse(answer, content_type="text/plain")
    return JsonResponse(answer)


def _dead(channel: Channel, hook: Webhook, body: bytes, reason: str) -> JsonResponse:
    letter = dead_letter(
        workspace_id=channel.workspace_id,
        source=f"webhook:{hook.name}:{channel.pk}",
        fmt=hook.name,
        payload=body.decode("utf-8", "replace"),
        reason=reason,
    )
    return JsonResponse({"detail": reason, "dead_letter_id": letter.pk}, status=202)


def _deliver(channel: Channel, hook: Webhook, body: bytes) -> HttpResponse:
    """Read a verified body and hand its posts to the pipeline; what cannot be read is dead-lettered."""
    try:
        posts, rejections = hook.parse(body)
    except PayloadError as exc:
        return _dead(channel, hook, body, str(exc))
    source = f"webhook:{hook.name}:{channel.pk}"
    if rejections:
        dead_letter_rejections(
            workspace_id=channel.workspace_id, source=f"{source}:item", fmt="post", rejections=rejections
        )
    result = submit_posts(workspace_id=channel.workspace_id, posts=posts, source=source)
    data: dict[str, Any] = {"received": result.received, "stored": result.stored, "duplicates": result.duplicates}
    if hook.itemised:
        data["rejected"] = [{"index": r.line - 1, "reason": r.reason} for r in rejections]
    return JsonResponse(data)


@csrf_exempt
def receive(request: HttpRequest, name: str, key: str) -> HttpResponse:
    """Every network's webhook: the channel by its key, then the network's own checks and reading, from the registry."""
    networks = registry.webhook_networks(name)
    if not networks:
        return _not_found(name)
    hook = registry.webhook(networks[0])
    assert hook is not None
    if request.method not in hook.methods:
        return _not_allowed(hook, request.method or "")
    channel = (
        Channel.objects.filter(webhook_key=key, active=True, network__in=networks).select_related("workspace").first()
    )
    if channel is None:
        return JsonResponse({"detail": "not found"}, status=404)
    if request.method == "GET":
        return _challenge(request, channel, hook)
    cap = settings.RAPPORT_MAX_BODY_BYTES
    try:
        body = request.body
    except RequestDataTooBig:
        return _too_large(None, cap)
    if len(body) > cap:  # a body sent without a length, which the middleware could not refuse before reading
        return _too_large(len(body), cap)
    try:
        signature = hook.verify(body, request.headers, channel.credentials)
    except SignatureError as exc:
        return JsonResponse({"detail": f"signature check failed: {exc}"}, status=401)
    if (replay := _replayed(channel, hook.name, signature)) is not None:
        return replay
    return _handled(channel, hook, signature, _deliver(channel, hook, body))

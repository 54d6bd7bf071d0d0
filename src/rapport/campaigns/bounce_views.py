"""The bounce webhook: `POST /mail/bounces/<key>`, where a mail provider (or the workspace's bounce mailbox, through
a forwarder) reports bounces and complaints. No sign-in: the key names the workspace and Rapport's signature
(X-Rapport-Signature over "timestamp.body" with the workspace's bounce secret, X-Rapport-Timestamp) authenticates.

The body is a JSON notification (application/json) or a raw report (an RFC 3464 DSN or an RFC 5965 complaint, as
message/rfc822 or multipart/report). Bad input gets 422 naming the field; nothing of it is recorded."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from rapport.campaigns import bounces, mail
from rapport.campaigns.models import MailSettings
from rapport.channels.crypto import CredentialsUnreadable
from rapport.core import signing
from rapport.core.errors import FieldErrors


@csrf_exempt
@require_POST
def receive(request: HttpRequest, key: str) -> HttpResponse:
    row = MailSettings.objects.filter(bounce_key=key).first()
    if row is None:
        return JsonResponse({"detail": "not found"}, status=404)
    cap = settings.RAPPORT_MAX_BODY_BYTES
    try:
        body = request.body
    except RequestDataTooBig:
        return JsonResponse({"detail": f"request body is over the {cap} byte limit"}, status=413)
    if len(body) > cap:
        return JsonResponse({"detail": f"request body of {len(body)} bytes is over the {cap} byte limit"}, status=413)
    try:
        secret = mail.bounce_secret(row)
        signing.verify_signature(
            body,
            request.headers.get(signing.SIGNATURE_HEADER),
            request.headers.get(signing.TIMESTAMP_HEADER),
            secret=secret,
        )
    except signing.SignatureError as exc:
        return JsonResponse({"detail": f"signature check failed: {exc}"}, status=401)
    except CredentialsUnreadable:
        return JsonResponse({"detail": "the bounce secret cannot be read: set a new one in the mail settings"}, 503)
    signature, scope = request.headers.get(signing.SIGNATURE_HEADER), f"bounces:{row.pk}"
    if signing.seen(scope, signature):  # a replay, or the provider's retry of a delivery that went through
        return JsonResponse({"recorded": 0, "suppressed": 0, "matched": 0, "replayed": True})
    ctype = (request.content_type or "").lower()
    try:
        if ctype == "application/json":
            reports, source = bounces.parse_json(body), "json"
        elif ctype in ("message/rfc822", "multipart/report", "text/plain", "application/octet-stream"):
            reports = bounces.parse_report(body)
            source = "arf" if reports and reports[0].kind == "complaint" else "dsn"
        else:
            raise FieldErrors({"content-type": f"{ctype or 'none'}: application/json or message/rfc822"})
    except FieldErrors as exc:
        return JsonResponse({"detail": exc.detail()}, status=422)
    result = bounces.record(row.workspace_id, reports, source=source)
    signing.remember(scope, signature, seconds=2 * signing.TOLERANCE_SECONDS)
    return JsonResponse(result)

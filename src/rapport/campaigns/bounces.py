"""Bounces and complaints of the mail campaigns and journeys sent: read from a provider's JSON notification or from
a raw report (an RFC 3464 delivery status notification, or an RFC 5965 ARF complaint), tied to the send whose
Message-ID they quote, and turned into consent's suppressions.

- A hard bounce (a permanent 5.x.x failure about the address) and a complaint suppress the address at once.
- A soft bounce (4.x.x, a delay, a full mailbox 5.2.2, or a 5.7.x refusal, which is about the sender's reputation
  or content rather than the address) is counted; the workspace's `soft_bounce_limit` of them within
  SOFT_WINDOW_DAYS suppresses the address.

Only consent's keyed hash of an address is stored, and the server's diagnostic with the address taken out."""

from __future__ import annotations

import email
import email.policy
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from django.db import transaction
from django.utils import timezone

from rapport.campaigns import mail
from rapport.campaigns.models import Bounce, BounceKind, CampaignSend, StepRun
from rapport.consent import services as consent
from rapport.consent.models import ContactChannel, SuppressionReason
from rapport.core.apitypes import CONTROL
from rapport.core.errors import FieldErrors

SOFT_WINDOW_DAYS = 30
MAX_EVENTS = 500
_STATUS = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")
_ADDRESS = re.compile(r"[^\s<>()\[\]\"';:,]+@[^\s<>()\[\]\"';:,]+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class Report:
    kind: str  # hard, soft, complaint
    address: str
    status: str = ""
    diagnostic: str = ""
    message_id: str = ""


def classify(status: str, action: str = "failed") -> str | None:
    """hard, soft, or None for a report that is not a failure (delivered, relayed, expanded)."""
    action = (action or "").strip().lower()
    if action in ("delivered", "relayed", "expanded"):
        return None
    if action == "delayed" or status.startswith("4."):
        return BounceKind.SOFT
    if status.startswith("5."):
        if status == "5.2.2" or status.startswith("5.7."):
            return BounceKind.SOFT
        return BounceKind.HARD
    return BounceKind.HARD if action == "failed" else None


# --- a provider's JSON notification ---------------------------------------------------------------------------------


def parse_json(raw: bytes) -> list[Report]:
    """{"type": "bounce"|"complaint", "email", "bounce_type": "hard"|"soft" (or a "status" to classify by),
    "status": "5.1.1", "diagnostic", "message_id"}, or {"events": [...]} of them; FieldErrors names each bad field."""
    try:
        data = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise FieldErrors({"body": f"not JSON: {exc}"}) from None
    if isinstance(data, dict) and "events" in data:
        events, prefix = data["events"], "events"
        if not isinstance(events, list):
            raise FieldErrors({"events": "a list of notifications"})
    else:
        events, prefix = [data], ""
    if len(events) > MAX_EVENTS:
        raise FieldErrors({prefix or "body": f"at most {MAX_EVENTS} notifications a request"})
    errors: dict[str, str] = {}
    out: list[Report] = []
    for i, ev in enumerate(events):
        at = f"{prefix}.{i}." if prefix else ""
        if not isinstance(ev, dict):
            errors[at.rstrip(".") or "body"] = "a notification is an object"
            continue
        kind = str(ev.get("type") or "").lower()
        address = str(ev.get("email") or "").strip()
        status = str(ev.get("status") or "").strip()
        if kind not in ("bounce", "complaint"):
            errors[f"{at}type"] = f"unknown type {kind!r}: bounce or complaint"
        if not _EMAIL.match(address):
            errors[f"{at}email"] = "an email address is needed"
        if status and not _STATUS.match(status):
            errors[f"{at}status"] = f"{status!r} is not an enhanced status code such as 5.1.1"
        if kind == "bounce":
            bounce_type = str(ev.get("bounce_type") or "").lower()
            if bounce_type not in ("hard", "soft", "") or (not bounce_type and not status):
                errors[f"{at}bounce_type"] = "hard or soft (or give a status code to classify by)"
                continue
            kind = bounce_type or classify(status) or BounceKind.SOFT
        if any(k.startswith(at) for k in errors):
            continue
        out.append(
            Report(
                kind=BounceKind.COMPLAINT if kind == "complaint" else kind,
                address=address,
                status=status,
                diagnostic=str(ev.get("diagnostic") or ""),
                message_id=str(ev.get("message_id") or ""),
            )
        )
    if errors:
        raise FieldErrors(errors)
    return out


# --- a raw report: RFC 3464 DSN or RFC 5965 ARF -------------------------------------------------------------------


def _text(part) -> str:
    """A text part's content; a charset Python does not know (or bytes it cannot decode) reads as UTF-8 with the
    undecodable bytes replaced, rather than failing the whole report."""
    try:
        return part.get_content()
    except (LookupError, UnicodeError):
        raw = part.get_payload(decode=True) or b""
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _fields(part) -> list[dict[str, str]]:
    """The field groups of a message/delivery-status or message/feedback-report part (per-message, then each
    recipient), as lower-cased names."""
    payload = part.get_payload()
    blocks: list[str] = []
    if isinstance(payload, list):  # the email package reads delivery-status as a list of header blocks
        for block in payload:
            blocks.append("".join(f"{k}: {v}\n" for k, v in block.items()))
    else:
        text = payload if isinstance(payload, str) else _text(part)
        blocks = re.split(r"\r?\n\s*\r?\n", text.strip())
    groups = []
    for block in blocks:
        group: dict[str, str] = {}
        for line in re.sub(r"\r?\n[ \t]+", " ", block).splitlines():
            name, sep, value = line.partition(":")
            if sep:
                group[name.strip().lower()] = value.strip()
        if group:
            groups.append(group)
    return groups


def _typed_address(value: str) -> str:
    """'rfc822; ann@example.com' -> ann@example.com."""
    return value.partition(";")[2].strip().strip("<>") if ";" in value else value.strip().strip("<>")


def _original_id(msg: EmailMessage) -> str:
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) else inner
            if inner is not None and inner.get("Message-ID"):
                return str(inner["Message-ID"])
        if ctype in ("text/rfc822-headers", "message/rfc822-headers", "text/global-headers"):
            headers = email.message_from_string(_text(part), policy=email.policy.default)
            if headers.get("Message-ID"):
                return str(headers["Message-ID"])
    return ""


def parse_report(raw: bytes) -> list[Report]:
    """The failures of a delivery status notification, or the complaint of an abuse report."""
    if not raw or not raw.strip():
        raise FieldErrors({"body": "an empty report"})
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    if msg.get_content_type() != "multipart/report":
        raise FieldErrors({"content-type": f"a report is multipart/report, not {msg.get_content_type()}"})
    report_type = (msg.get_param("report-type") or "").lower()
    message_id = _original_id(msg)
    if report_type == "delivery-status":
        part = next(
            (
                p
                for p in msg.walk()
                if p.get_content_type() in ("message/delivery-status", "message/global-delivery-status")
            ),
            None,
        )
        if part is None:
            raise FieldErrors({"message/delivery-status": "the report has no delivery-status part"})
        out = []
        for group in _fields(part):  # the per-message group names no recipient and is passed over
            address = _typed_address(group.get("final-recipient") or group.get("original-recipient") or "")
            if not address:
                continue
            status = (group.get("status") or "").split()[0] if group.get("status") else ""
            kind = classify(status, group.get("action", ""))
            if kind is None:
                continue
            if not _EMAIL.match(address):
                raise FieldErrors({"final-recipient": f"{address!r} is not an email address"})
            out.append(Report(kind, address, status, group.get("diagnostic-code", ""), message_id))
        if not out and not any("final-recipient" in g for g in _fields(part)):
            raise FieldErrors({"final-recipient": "the delivery-status part names no recipient"})
        return out
    if report_type == "feedback-report":
        part = next((p for p in msg.walk() if p.get_content_type() == "message/feedback-report"), None)
        if part is None:
            raise FieldErrors({"message/feedback-report": "the report has no feedback-report part"})
        fields: dict[str, str] = {}
        for g in _fields(part):
            fields |= g
        address = _typed_address(fields.get("original-rcpt-to", ""))
        if not _EMAIL.match(address):
            raise FieldErrors({"original-rcpt-to": "the complaint names no recipient address"})
        return [Report(BounceKind.COMPLAINT, address, "", fields.get("feedback-type", "abuse"), message_id)]
    raise FieldErrors({"report-type": f"unknown report type {report_type!r}: delivery-status or feedback-report"})


# --- recording ----------------------------------------------------------------------------------------------------


def _scrub(text: str) -> str:
    """A diagnostic as stored: addresses masked, control characters (NUL: no PostgreSQL text holds one) dropped."""
    return " ".join(_ADDRESS.sub("<address>", CONTROL.sub("", text or "")).split())[:200]


@transaction.atomic
def record(workspace_id: int, reports: list[Report], *, source: str) -> dict[str, Any]:
    """Store each report against the send it names (when it names one of this workspace's), and suppress what must
    be: {"recorded", "suppressed", "matched"}."""
    settings_row = mail.settings_row(workspace_id)
    since = timezone.now() - timedelta(days=SOFT_WINDOW_DAYS)
    out = {"recorded": 0, "suppressed": 0, "matched": 0}
    for r in reports:
        digest = consent.address_hash(workspace_id, ContactChannel.EMAIL, r.address)
        send = step_run = None
        named = mail.parse_message_id(r.message_id)
        if named and named[0] == "c":
            send = CampaignSend.objects.filter(workspace_id=workspace_id, pk=named[1]).first()
        elif named and named[0] == "j":
            step_run = StepRun.objects.filter(workspace_id=workspace_id, pk=named[1]).first()
        out["matched"] += bool(send or step_run)
        suppress = r.kind in (BounceKind.HARD, BounceKind.COMPLAINT)
        if r.kind == BounceKind.SOFT:
            earlier = Bounce.objects.filter(
                workspace_id=workspace_id, address_hash=digest, kind=BounceKind.SOFT, created_at__gte=since
            ).count()
            suppress = earlier + 1 >= settings_row.soft_bounce_limit
        already = consent.is_suppressed(workspace_id, ContactChannel.EMAIL, r.address)
        Bounce.objects.create(
            workspace_id=workspace_id,
            kind=r.kind,
            address_hash=digest,
            campaign_id=send.campaign_id if send else None,
            send=send,
            step_run=step_run,
            status=r.status[:16],
            diagnostic=_scrub(r.diagnostic),
            source=source,
            suppressed=suppress and not already,
        )
        out["recorded"] += 1
        if suppress and not already:
            reason = SuppressionReason.COMPLAINT if r.kind == BounceKind.COMPLAINT else SuppressionReason.BOUNCE
            detail = f"{r.kind} {r.status}".strip() + (" (soft bounces)" if r.kind == BounceKind.SOFT else "")
            consent.suppress(workspace_id, ContactChannel.EMAIL, r.address, reason=reason, detail=detail)
            out["suppressed"] += 1
    return out

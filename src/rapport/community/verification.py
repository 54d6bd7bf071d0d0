"""Confirming a new member's email address, as consent's double opt-in does: the public sign-up mails a signed link
that expires after VERIFY_DAYS and works once (it carries a nonce the member row holds until the link is used; a new
link replaces the old one). Until then the member may sign in and read, but not post, answer, vote or report.

Members created by trusted code (the inbox, imports, the demo) are not asked: their address came from the CRM."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.community.models import CommunityMember
from rapport.core.links import public_url

VERIFY_DAYS = 3
SALT = "rapport.community.verify"


class BadLink(Exception):
    """The link is invalid, expired or already used (the message says which)."""


def token(member: CommunityMember) -> str:
    """A fresh link's token; any earlier link of this member stops working."""
    nonce = secrets.token_hex(16)
    CommunityMember.objects.filter(pk=member.pk).update(verify_nonce=nonce)
    member.verify_nonce = nonce
    return signing.dumps({"m": member.pk, "w": member.workspace_id, "n": nonce}, salt=SALT, compress=True)


def send(member: CommunityMember) -> str:
    """Mail the confirmation link to the member's address; returns the link."""
    url = public_url(reverse("community:verify", kwargs={"ws": member.workspace.slug, "token": token(member)}))
    send_mail(
        f"Confirm your email for the {member.workspace.name} community",
        f"Someone, hopefully you, joined the {member.workspace.name} community as {member.handle} with this address."
        f"\n\nConfirm within {VERIFY_DAYS} days to ask, answer and vote: {url}\n\n"
        "If it was not you, ignore this message.",
        None,
        [member.email],
    )
    return url


@transaction.atomic
def confirm(workspace_id: int, raw: str, *, now: datetime | None = None) -> CommunityMember:
    """Use a link: the member's address is confirmed, and the link is spent."""
    try:
        data = signing.loads(raw, salt=SALT, max_age=VERIFY_DAYS * 86400)
    except signing.SignatureExpired:
        raise BadLink(_("This link has expired: sign in and ask for a new one.")) from None
    except signing.BadSignature:
        raise BadLink(_("This link is not valid.")) from None
    if not isinstance(data, dict) or data.get("w") != workspace_id:
        raise BadLink(_("This link is not valid."))
    member = CommunityMember.objects.select_for_update().filter(pk=data.get("m"), workspace_id=workspace_id).first()
    if member is None:
        raise BadLink(_("This link is not valid."))
    if not member.verify_nonce or member.verify_nonce != str(data.get("n", "")):
        raise BadLink(_("This link was already used or replaced by a newer one."))
    member.email_verified_at = now or timezone.now()
    member.verify_nonce = ""
    member.save(update_fields=["email_verified_at", "verify_nonce"])
    return member

"""Notifications for agents: an assignment, an @mention in a note, an SLA about to breach, a callback due.

Shown in the inbox (the nav's Inbox link carries the unread count); emailed too to agents who asked for it
(their profile's email_alerts). Nobody is told about what they did themselves.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from rapport.care.models import AgentProfile, Conversation, Notification, NotificationKind
from rapport.core.links import public_url
from rapport.core.models import Member, User

log = logging.getLogger(__name__)
_MENTION = re.compile(r"(?<![\w.])@([\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?)")


def _who(conversation: Conversation) -> str:
    if conversation.person_id and conversation.person is not None:
        return f"{conversation.person.first_name} {conversation.person.last_name}".strip()
    if conversation.identity_id and conversation.identity is not None:
        return f"@{conversation.identity.handle}"
    return f"conversation #{conversation.pk}"


def notify(*, user_id: int, conversation: Conversation, kind: str, text: str) -> Notification:
    """Store one notification, and email it when the agent asked for email alerts."""
    note = Notification.objects.create(
        workspace_id=conversation.workspace_id,
        user_id=user_id,
        kind=kind,
        conversation=conversation,
        text=text[:300],
    )
    wants_email = AgentProfile.objects.filter(
        workspace_id=note.workspace_id, user_id=user_id, email_alerts=True
    ).exists()
    if wants_email:
        user = User.objects.filter(pk=user_id).first()
        link = f"\n\n{public_url(reverse('care:conversation', kwargs={'pk': conversation.pk}))}"
        try:
            send_mail(f"[Rapport] {text[:120]}", f"{text}{link}", None, [user.email], fail_silently=False)
            Notification.objects.filter(pk=note.pk).update(emailed=True)
        except Exception:  # a mail server being down must not undo the assignment or warning that caused it
            log.warning("could not email notification %s to user %s", note.pk, user_id, exc_info=True)
    return note


def assigned(*, conversation: Conversation, user: User | None, by: User | None = None) -> Notification | None:
    """Tell an agent a conversation was assigned to them (not when they took it themselves)."""
    if user is None or (by is not None and by.pk == user.pk):
        return None
    who = f" by {by.first_name or by.email}" if by is not None else ""
    return notify(
        user_id=user.pk,
        conversation=conversation,
        kind=NotificationKind.ASSIGNED,
        text=f"{_who(conversation)} was assigned to you{who}: {conversation.subject[:120]}",
    )


def mentioned_users(*, workspace_id: int, text: str) -> list[User]:
    """Members named in a note as @ben, @ben@example.com or @Ben (first name), in this workspace only."""
    names = {m.lower().rstrip(".") for m in _MENTION.findall(text)}
    if not names:
        return []
    members = User.objects.filter(pk__in=Member.objects.filter(workspace_id=workspace_id).values("user_id"))
    return [
        u
        for u in members
        if u.email.lower() in names or u.email.split("@")[0].lower() in names or (u.first_name or "").lower() in names
    ]


def mentions(*, conversation: Conversation, author: User, text: str) -> list[Notification]:
    """Notify everyone a note names with @."""
    return [
        notify(
            user_id=user.pk,
            conversation=conversation,
            kind=NotificationKind.MENTIONED,
            text=f"{author.first_name or author.email} mentioned you on {_who(conversation)}: {text[:160]}",
        )
        for user in mentioned_users(workspace_id=conversation.workspace_id, text=text)
        if user.pk != author.pk
    ]


TARGET_WORDS = {
    "first_response": "first reply",
    "next_response": "next reply",
    "resolution": "resolution",
}


def on_sla_warning(event: str, payload: dict[str, Any]) -> list[Notification]:
    """Handler of conversation.sla_warning: the assignee is told, or the team's online agents if nobody has it."""
    conv = (
        Conversation.objects.filter(pk=payload.get("conversation_id"))
        .select_related("person", "identity")
        .first()
    )
    if conv is None:
        return []
    if conv.assignee_id:
        users = [conv.assignee_id]
    elif conv.team_id:
        users = list(AgentProfile.objects.filter(teams=conv.team_id).values_list("user_id", flat=True))
    else:
        users = []
    target = TARGET_WORDS.get(str(payload.get("target")), "SLA target")
    due = conv.sla_due_at
    from rapport.care.sla import sla_left

    when = f" in {sla_left(due)}" if due and due > timezone.now() else ""
    return [
        notify(
            user_id=uid,
            conversation=conv,
            kind=NotificationKind.SLA_WARNING,
            text=f"SLA about to breach: {target} for {_who(conv)} due{when}",
        )
        for uid in users
    ]


def unread(*, workspace_id: int, user: User, limit: int = 20) -> list[Notification]:
    return list(
        Notification.objects.filter(workspace_id=workspace_id, user=user, read_at__isnull=True)
        .select_related("conversation")
        .order_by("-id")[:limit]
    )


def unread_count(*, workspace_id: int, user: User) -> int:
    return Notification.objects.filter(workspace_id=workspace_id, user=user, read_at__isnull=True).count()


def mark_read(*, workspace_id: int, user: User, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(workspace_id=workspace_id, user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())

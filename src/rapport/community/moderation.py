"""Moderation: members flag posts, enough flags from distinct members hide a post until a moderator looks; new
members' first posts and spam-like posts (too many links, a text already posted) wait in a queue; moderators
approve, hide or delete, each action in the audit log.

A post's `hidden` flag is what every public page filters on; `moderation` says why and is what the queue reads.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from rapport.community import levels, markdown
from rapport.community.models import (
    HIDDEN_STATES,
    Answer,
    CommunityMember,
    CommunitySettings,
    Flag,
    FlagReason,
    Moderation,
    Question,
    Suspension,
)
from rapport.core.actors import Actor
from rapport.core.apitypes import CONTROL
from rapport.core.errors import FieldErrors
from rapport.core.models import User, Workspace

DUPLICATE_WINDOW = timedelta(days=7)
DUPLICATE_MIN_LENGTH = 20  # "thanks!" twice is not spam
ACTIONS = ("approve", "hide", "delete")
MAX_FLAGS_TO_HIDE = 50
MAX_LINKS = 20
MAX_RETURN_HOURS = 24 * 30
SURROGATE = re.compile(r"[\ud800-\udfff]")


class ModerationError(Exception):
    """This post cannot be moderated so (already deleted)."""


def settings_for(workspace: Workspace | int) -> CommunitySettings:
    """The workspace's moderation rules (the defaults when it never changed them; not saved)."""
    ws_id = workspace if isinstance(workspace, int) else workspace.pk
    return CommunitySettings.objects.filter(workspace_id=ws_id).first() or CommunitySettings(workspace_id=ws_id)


def settings_errors(*, flags_to_hide: int, new_member_max_links: int, return_after_hours: int | None) -> dict:
    errors = {}
    if not 1 <= flags_to_hide <= MAX_FLAGS_TO_HIDE:
        errors["flags_to_hide"] = f"1 to {MAX_FLAGS_TO_HIDE}"
    if not 0 <= new_member_max_links <= MAX_LINKS:
        errors["new_member_max_links"] = f"0 to {MAX_LINKS}"
    if return_after_hours is not None and not 0 <= return_after_hours <= MAX_RETURN_HOURS:
        errors["return_after_hours"] = f"0 (never) to {MAX_RETURN_HOURS}"
    return errors


def update_settings(
    *,
    workspace: Workspace,
    actor: Actor,
    flags_to_hide: int,
    moderate_first_posts: bool,
    new_member_max_links: int,
    return_after_hours: int | None = None,
) -> CommunitySettings:
    from rapport.core.services import record_audit

    errors = settings_errors(
        flags_to_hide=flags_to_hide, new_member_max_links=new_member_max_links, return_after_hours=return_after_hours
    )
    if errors:
        raise FieldErrors(errors)
    current = settings_for(workspace)
    before = {
        "flags_to_hide": current.flags_to_hide,
        "moderate_first_posts": current.moderate_first_posts,
        "new_member_max_links": current.new_member_max_links,
        "return_after_hours": current.return_after_hours,
    }
    current.flags_to_hide = flags_to_hide
    current.moderate_first_posts = moderate_first_posts
    current.new_member_max_links = new_member_max_links
    if return_after_hours is not None:
        current.return_after_hours = return_after_hours
    current.save()
    after = {k: getattr(current, k) for k in before}
    record_audit(
        workspace=workspace,
        actor=actor,
        action="community.settings_changed",
        object_type="community.settings",
        object_id=workspace.pk,
        before=before,
        after=after,
    )
    return current


# --- holding posts when they are written -------------------------------------------------------------------------


def fingerprint(text: str) -> str:
    """The same words with different case or spacing are the same text."""
    normal = " ".join((text or "").lower().split())
    return hashlib.sha256(normal.encode("utf-8", "surrogatepass")).hexdigest() if normal else ""


def hold_reason(*, member: CommunityMember | None, text: str, workspace_id: int, now: datetime) -> str:
    """Why a new post waits for a moderator, or "" when it goes public at once. Posts an agent makes from the inbox
    (no member) are never held: the agent wrote the anonymised text."""
    if member is None:
        return ""
    rules = settings_for(workspace_id)
    level = levels.current(member, now=now)
    if rules.moderate_first_posts and level == 0:
        return gettext_noop("first post of a new member")  # stored in English, shown translated
    links = markdown.link_count(text)
    if level < levels.MAY_LINK and links > rules.new_member_max_links:
        return f"{links} link{'s' * (links != 1)} from a member not yet trusted with links"
    fp = fingerprint(text)
    if len(" ".join(text.split())) >= DUPLICATE_MIN_LENGTH:
        since = now - DUPLICATE_WINDOW
        for model in (Question, Answer):
            if model.objects.filter(workspace_id=workspace_id, fingerprint=fp, created_at__gte=since).exists():
                return gettext_noop("the same text was posted in the last 7 days")
    return ""


def may_flag(member: CommunityMember) -> bool:
    return member.trust_level >= levels.MAY_FLAG


# --- flags -------------------------------------------------------------------------------------------------------


def clean_note(value: str, name: str = "note", limit: int = 300) -> str:
    value = (value or "").strip()
    if CONTROL.search(value) or SURROGATE.search(value):
        raise FieldErrors({name: _("must not contain control characters or broken characters")})
    if len(value) > limit:
        raise FieldErrors({name: _("at most %(n)d characters") % {"n": limit}})
    return value


@transaction.atomic
def flag(
    *,
    member: CommunityMember,
    reason: str,
    note: str = "",
    question: Question | None = None,
    answer: Answer | None = None,
    now: datetime | None = None,
) -> Flag:
    """A member reports a post. When the post's open flags reach the workspace's threshold it is hidden until a
    moderator reviews it."""
    from rapport.community.services import CommunityError

    now = now or timezone.now()
    if (question is None) == (answer is None):
        raise ValueError("flag a question or an answer")
    if reason not in FlagReason.values:
        raise FieldErrors({"reason": _("one of %(values)s") % {"values": ", ".join(FlagReason.values)}})
    note = clean_note(note)
    post = question or answer
    assert post is not None
    from rapport.community.services import _active

    _active(member)
    if member.workspace_id != post.workspace_id:
        raise CommunityError(_("not a member of this community"))
    if post.author_id == member.pk:
        raise CommunityError(_("you cannot flag your own post"))
    levels.current(member, now=now)
    if not may_flag(member):
        raise CommunityError(
            f"reporting posts opens up at the {levels.table(member.workspace_id)[levels.MAY_FLAG].name} level"
        )
    model = type(post)
    locked = model.objects.select_for_update().get(pk=post.pk)
    if locked.hidden:
        raise CommunityError(_("this post is already waiting for a moderator"))
    try:
        with transaction.atomic():
            f = Flag.objects.create(
                workspace_id=post.workspace_id,
                member=member,
                question=question,
                answer=answer,
                reason=reason,
                note=note,
                created_at=now,
            )
    except IntegrityError:
        raise CommunityError(_("you have already flagged this post")) from None
    open_flags = Flag.objects.filter(**{model.__name__.lower(): locked}, resolved_at__isnull=True).count()
    if open_flags >= settings_for(post.workspace_id).flags_to_hide or flag_hides_at_once(member):
        locked.hidden = True
        locked.moderation = Moderation.FLAGGED
        locked.moderation_reason = f"{open_flags} flag{'s' * (open_flags != 1)} from members"
        locked.save(update_fields=["hidden", "moderation", "moderation_reason"])
        _hidden_changed(locked)
    return f


def _hidden_changed(post: Question | Answer) -> None:
    """A post went off or back onto the public pages: what it counts for elsewhere follows."""
    from rapport.community import expertise, search

    if isinstance(post, Question):
        expertise.refresh_question(post)
        search.refresh([post.pk])
    else:
        expertise.refresh_answer(post)
        search.refresh([post.question_id])


def flag_hides_at_once(member: CommunityMember) -> bool:
    return member.trust_level >= levels.FLAG_HIDES


# --- the queue ---------------------------------------------------------------------------------------------------


@dataclass
class QueueItem:
    kind: str  # "question" or "answer"
    post: Question | Answer
    flags: list[Flag] = field(default_factory=list)

    @property
    def state(self) -> str:
        return self.post.moderation or "visible"

    @property
    def question(self) -> Question:
        return self.post if isinstance(self.post, Question) else self.post.question


def queue(workspace: Workspace, *, limit: int = 200) -> list[QueueItem]:
    """Posts waiting for a moderator (held or hidden by flags), then public posts with open flags; oldest first."""
    items: list[QueueItem] = []
    for kind, model, related in (
        ("question", Question, ("author", "category")),
        ("answer", Answer, ("author", "question", "question__category")),
    ):
        waiting = Q(moderation__in=[Moderation.PENDING, Moderation.FLAGGED])
        open_flags = Flag.objects.filter(workspace=workspace, resolved_at__isnull=True, **{f"{kind}__isnull": False})
        flagged = Q(pk__in=open_flags.values(f"{kind}_id"))
        posts = (
            model.objects.filter(workspace=workspace)
            .filter(waiting | flagged)
            .exclude(moderation=Moderation.DELETED)
            .annotate(n=Count("flags", filter=Q(flags__resolved_at__isnull=True)))
            .select_related(*related)
            .order_by("created_at", "pk")[:limit]
        )
        posts = list(posts)
        by_post: dict[int, list[Flag]] = {}
        for f in (
            Flag.objects.filter(**{f"{kind}__in": posts}, resolved_at__isnull=True)
            .select_related("member")
            .order_by("created_at", "pk")
        ):
            by_post.setdefault(getattr(f, f"{kind}_id"), []).append(f)
        items += [QueueItem(kind=kind, post=p, flags=by_post.get(p.pk, [])) for p in posts]
    waiting_first = {Moderation.PENDING: 0, Moderation.FLAGGED: 0}
    items.sort(key=lambda i: (waiting_first.get(i.post.moderation, 1), i.post.created_at, i.kind, i.post.pk))
    return items[:limit]


def find(workspace: Workspace, kind: str, pk: int) -> Question | Answer | None:
    model = {"question": Question, "answer": Answer}.get(kind)
    return None if model is None else model.objects.filter(workspace=workspace, pk=pk).first()


@transaction.atomic
def moderate(*, post: Question | Answer, action: str, user: User, note: str = "", now: datetime | None = None):
    """Approve (public again; open flags closed), hide or delete a post. Deleting keeps the row for the audit trail
    and the reputation ledger but it never shows again. Each action is written to the audit log."""
    from rapport.core.services import record_audit

    now = now or timezone.now()
    if action not in ACTIONS:
        raise FieldErrors({"action": "one of " + ", ".join(ACTIONS)})
    note = clean_note(note)
    model = type(post)
    post = model.objects.select_for_update().get(pk=post.pk)
    if post.moderation == Moderation.DELETED:
        raise ModerationError("this post was deleted")
    before = {"moderation": post.moderation or "visible", "hidden": post.hidden, "reason": post.moderation_reason}
    post.moderation = {"approve": Moderation.APPROVED, "hide": Moderation.HIDDEN, "delete": Moderation.DELETED}[action]
    post.hidden = post.moderation in HIDDEN_STATES
    post.moderation_reason = note or {"approve": "", "hide": "hidden by a moderator", "delete": "deleted"}[action]
    post.save(update_fields=["moderation", "hidden", "moderation_reason"])
    if post.hidden != before["hidden"]:
        _hidden_changed(post)
    if post.author is not None:
        levels.refresh(post.author, now=now)  # a post made public or taken down changes what its author did
    closed = Flag.objects.filter(**{model.__name__.lower(): post}, resolved_at__isnull=True).update(resolved_at=now)
    kind = model.__name__.lower()
    record_audit(
        workspace=post.workspace,
        actor=Actor.for_user(user),
        action=f"community.{action}",
        object_type=f"community.{kind}",
        object_id=post.pk,
        before=before,
        after={"moderation": post.moderation, "hidden": post.hidden, "note": note, "flags_closed": closed},
    )
    return post


# --- suspending members ------------------------------------------------------------------------------------------

MAX_SUSPENSION_DAYS = 3650


def suspend(
    *,
    member: CommunityMember,
    user: User,
    reason: str,
    until: datetime | None = None,
    now: datetime | None = None,
) -> Suspension:
    """A moderator suspends a member (until a date, or until lifted): they may still read and sign in, but not post,
    answer, vote or report. Written to the audit log with the reason."""
    from rapport.core.services import record_audit

    now = now or timezone.now()
    if until is not None and timezone.is_naive(until):
        until = timezone.make_aware(until)
    reason = clean_note(reason, "reason")
    errors = {}
    if len(reason) < 3:
        errors["reason"] = "say why, in 3 to 300 characters (the member is not shown it)"
    if until is not None and (until <= now or until > now + timedelta(days=MAX_SUSPENSION_DAYS)):
        errors["until"] = f"a moment in the next {MAX_SUSPENSION_DAYS} days, or empty for until lifted"
    if errors:
        raise FieldErrors(errors)
    with transaction.atomic():
        locked = CommunityMember.objects.select_for_update().get(pk=member.pk)
        before = _suspension_state(locked)
        open_ = Suspension.objects.filter(member=locked, lifted_at__isnull=True)
        open_.update(lifted_at=now, lifted_by=user, lift_note="replaced by a new suspension")
        s = Suspension.objects.create(
            workspace_id=locked.workspace_id, member=locked, by_user=user, reason=reason, until=until, created_at=now
        )
        locked.suspended, locked.suspended_until, locked.suspension_reason = True, until, reason
        locked.save(update_fields=["suspended", "suspended_until", "suspension_reason"])
        record_audit(
            workspace=locked.workspace,
            actor=Actor.for_user(user),
            action="community.member_suspended",
            object_type="community.member",
            object_id=locked.pk,
            before=before,
            after=_suspension_state(locked),
        )
    member.suspended, member.suspended_until, member.suspension_reason = True, until, reason
    return s


def lift(*, member: CommunityMember, user: User | None, note: str = "", now: datetime | None = None) -> CommunityMember:
    """End a member's suspension (a moderator, or the end date passing: `user` None). Audited."""
    from rapport.core.services import record_audit

    now = now or timezone.now()
    note = clean_note(note)
    with transaction.atomic():
        locked = CommunityMember.objects.select_for_update().get(pk=member.pk)
        if not locked.suspended:
            raise ModerationError("this member is not suspended")
        if locked.handle.startswith("erased-") and not locked.email:
            raise ModerationError("this member was erased")
        before = _suspension_state(locked)
        Suspension.objects.filter(member=locked, lifted_at__isnull=True).update(
            lifted_at=now, lifted_by=user, lift_note=note or ("lifted" if user else "expired")
        )
        locked.suspended, locked.suspended_until, locked.suspension_reason = False, None, ""
        locked.save(update_fields=["suspended", "suspended_until", "suspension_reason"])
        record_audit(
            workspace=locked.workspace,
            actor=Actor.for_user(user) if user else Actor.system("community suspension ended"),
            action="community.member_unsuspended",
            object_type="community.member",
            object_id=locked.pk,
            before=before,
            after={**_suspension_state(locked), "note": note or ("lifted" if user else "expired")},
        )
    member.suspended, member.suspended_until, member.suspension_reason = False, None, ""
    return member


def _suspension_state(m: CommunityMember) -> dict:
    return {
        "suspended": m.suspended,
        "until": m.suspended_until.isoformat() if m.suspended_until else None,
        "reason": m.suspension_reason,
    }


def lift_if_ended(member: CommunityMember | None, *, now: datetime | None = None) -> CommunityMember | None:
    """A suspension whose end date has passed is lifted the moment the member next shows up (and by the tick)."""
    now = now or timezone.now()
    if member is not None and member.suspended and member.suspended_until and member.suspended_until <= now:
        with contextlib.suppress(ModerationError):  # erased meanwhile
            lift(member=member, user=None, now=now)
    return member


def lift_ended(*, now: datetime | None = None) -> int:
    """Every suspension whose end date has passed (the periodic tick)."""
    now = now or timezone.now()
    n = 0
    for m in CommunityMember.objects.filter(suspended=True, suspended_until__lte=now).iterator():
        lift_if_ended(m, now=now)
        n += 1
    return n


def suspended_members(workspace: Workspace) -> list[CommunityMember]:
    """Members a moderator suspended (not erased ones), newest suspension first, with their suspension record."""
    members = list(
        CommunityMember.objects.filter(workspace=workspace, suspended=True)
        .exclude(suspension_reason="")
        .order_by("handle")
    )
    latest: dict[int, Suspension] = {}
    for s in Suspension.objects.filter(member__in=members, lifted_at__isnull=True).select_related("by_user"):
        latest.setdefault(s.member_id, s)
    for m in members:
        m.current_suspension = latest.get(m.pk)  # type: ignore[attr-defined]
    return members


def member_by_handle(workspace: Workspace, handle: str) -> CommunityMember | None:
    if CONTROL.search(handle or "") or len(handle or "") > 40:
        return None
    return CommunityMember.objects.filter(workspace=workspace, handle=handle).first()

"""Community services: joining (a member becomes a person), asking, answering, helpful votes, accepting, the
reputation ledger with its anti-gaming rules, topic experts and the hero of the month, and asking from the inbox."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.community import expertise, levels, moderation
from rapport.community import search as search_index
from rapport.community.expertise import ACCEPTED_POINTS, EXPERT_HALF_LIFE_DAYS, HELPFUL_POINTS  # noqa: F401
from rapport.community.models import (
    Answer,
    Category,
    CommunityMember,
    Expertise,
    Moderation,
    Question,
    ReputationEntry,
    ReputationReason,
    Vote,
)
from rapport.core import events
from rapport.core.actors import Actor
from rapport.core.apitypes import CONTROL
from rapport.core.errors import FieldErrors
from rapport.core.models import User, Workspace

DAILY_CAP = 200  # points a member may earn from helpful votes in one day (accepted answers are not capped)
HANDLE_RE = re.compile(r"^[A-Za-z0-9_.-]{3,40}$")


class CommunityError(Exception):
    """A member may not do this (self-vote, accepting someone else's question, a suspended member)."""


# --- members -------------------------------------------------------------------------------------------------


@transaction.atomic
def join(
    *,
    workspace: Workspace,
    handle: str,
    email: str,
    password: str | None,
    away_notice: str = "",
    confirm_email: bool = False,
) -> CommunityMember:
    """A new member; linked to the person with this email when the CRM knows them, otherwise a new person.
    `confirm_email` (the public sign-up): the address is unconfirmed until the member uses the link mailed to it
    (rapport.community.verification), and they may not post before."""
    from rapport.contacts import services as contacts  # here: the CLI starts without the phone-number library

    handle = handle.strip()
    email = email.strip().lower()
    errors = {}
    if not HANDLE_RE.fullmatch(handle):
        errors["handle"] = _("3 to 40 letters, digits, dots, dashes or underscores")
    if "@" not in email or len(email) > 254 or CONTROL.search(email) or any(c.isspace() for c in email):
        errors["email"] = _("an email address")
    if password is not None and len(password) < 10:
        errors["password"] = _("at least 10 characters")
    # Looked up only when well formed: a NUL byte never reaches the database (PostgreSQL refuses it).
    if "handle" not in errors and CommunityMember.objects.filter(workspace=workspace, handle__iexact=handle).exists():
        errors["handle"] = _("this name is taken")
    if "email" not in errors and CommunityMember.objects.filter(workspace=workspace, email=email).exists():
        errors["email"] = _("a member with this email exists: sign in instead")
    if errors:
        raise FieldErrors(errors)
    person = contacts.people(workspace=workspace).filter(email__iexact=email).order_by("pk").first()
    if person is None:
        person = contacts.create_person(
            workspace=workspace,
            actor=Actor.system("community sign-up"),
            data={"email": email},
        )
    member = CommunityMember.objects.create(
        workspace=workspace,
        person=person,
        handle=handle,
        email=email,
        password=make_password(password) if password else "",
        away_notice=away_notice,
        email_verified_at=None if confirm_email else timezone.now(),
    )
    if confirm_email:
        from rapport.community import verification

        transaction.on_commit(lambda: verification.send(member))
    events.emit(
        "community.member_joined", {"workspace_id": workspace.pk, "member_id": member.pk, "person_id": person.pk}
    )
    return member


def authenticate(*, workspace: Workspace, email: str, password: str) -> CommunityMember | None:
    """The member with this email and password, or None (same answer for unknown email and wrong password)."""
    email = email.strip().lower()
    member = (
        None
        if CONTROL.search(email)  # no member has such an email; PostgreSQL would refuse the lookup
        else CommunityMember.objects.filter(workspace=workspace, email=email).first()
    )
    if member is None or not member.password:
        make_password(password)  # the same work either way
        return None
    return member if check_password(password, member.password) else None


# --- questions and answers ---------------------------------------------------------------------------------------


def visible_questions(workspace: Workspace) -> QuerySet[Question]:
    return Question.objects.filter(workspace=workspace, hidden=False)


def search(workspace: Workspace, text: str, *, limit: int = 50) -> list[Question]:
    """Public questions whose title, body or a public answer contains every word of `text`, best match first
    (PostgreSQL full text or SQLite FTS5: see rapport.community.search)."""
    return search_index.search(workspace, text, limit=limit)


def _clean_text(errors: dict, name: str, value: str, *, low: int, high: int) -> str:
    value = (value or "").strip()
    if CONTROL.search(value):
        errors[name] = _("must not contain control characters")
    elif moderation.SURROGATE.search(value):
        errors[name] = _("must not contain broken characters (lone surrogates)")
    elif not low <= len(value) <= high:
        errors[name] = _("%(low)d to %(high)d characters") % {"low": low, "high": high}
    return value


def _clean_tags(errors: dict, tags: list[str] | None) -> list[str]:
    if any(CONTROL.search(t) or moderation.SURROGATE.search(t) for t in tags or []):
        errors["tags"] = _("must not contain control characters")
    return list(dict.fromkeys(t.strip().lower()[:40] for t in (tags or []) if t.strip()))[:8]


def _active(member: CommunityMember | None) -> None:
    """Suspended members, and members who have not confirmed their address yet, may read but not post, answer,
    vote, accept or report."""
    if member is None:
        return
    if member.email_verified_at is None:
        raise CommunityError(_("confirm your email address first: use the link we sent you (or ask for a new one)"))
    if not member.suspended:
        return
    moderation.lift_if_ended(member)
    if member.suspended:
        until = member.suspended_until
        raise CommunityError(
            _("your membership is suspended until %(until)s UTC by a moderator") % {"until": f"{until:%Y-%m-%d %H:%M}"}
            if until
            else _("your membership is suspended by a moderator")
        )


@transaction.atomic
def ask(
    *,
    category: Category,
    title: str,
    body: str,
    author: CommunityMember | None = None,
    tags: list[str] | None = None,
    conversation=None,
    asked_by_user: User | None = None,
) -> Question:
    _active(author)
    errors: dict[str, str] = {}
    title = _clean_text(errors, "title", title, low=8, high=200)
    body = _clean_text(errors, "body", body, low=1, high=10_000)
    tags = _clean_tags(errors, tags)
    if errors:
        raise FieldErrors(errors)
    held = moderation.hold_reason(
        member=author, text=f"{title}\n\n{body}", workspace_id=category.workspace_id, now=timezone.now()
    )
    q = Question.objects.create(
        workspace_id=category.workspace_id,
        category=category,
        author=author,
        title=title,
        body=body,
        tags=tags,
        conversation=conversation,
        asked_by_user=asked_by_user,
        fingerprint=moderation.fingerprint(body),
        hidden=bool(held),
        moderation=Moderation.PENDING if held else Moderation.VISIBLE,
        moderation_reason=held,
    )
    expertise.index_question(q)
    search_index.refresh([q.pk])
    if author is not None and not held:
        levels.refresh(author)
    events.emit("community.question_asked", {"workspace_id": q.workspace_id, "question_id": q.pk, "held": bool(held)})
    return q


@transaction.atomic
def answer(*, question: Question, author: CommunityMember, body: str, now: datetime | None = None) -> Answer:
    _active(author)
    if author.workspace_id != question.workspace_id:
        raise CommunityError(_("not a member of this community"))
    errors: dict[str, str] = {}
    body = _clean_text(errors, "body", body, low=2, high=10_000)
    if errors:
        raise FieldErrors(errors)
    held = moderation.hold_reason(
        member=author, text=body, workspace_id=question.workspace_id, now=now or timezone.now()
    )
    a = Answer.objects.create(
        workspace_id=question.workspace_id,
        question=question,
        author=author,
        body=body,
        fingerprint=moderation.fingerprint(body),
        hidden=bool(held),
        moderation=Moderation.PENDING if held else Moderation.VISIBLE,
        moderation_reason=held,
    )
    if now is not None:
        Answer.objects.filter(pk=a.pk).update(created_at=now)
        a.created_at = now
    if not held:
        levels.refresh(author, now=now)
        expertise.refresh_answer(a)
        search_index.refresh([question.pk])
    events.emit("community.answer_posted", {"workspace_id": a.workspace_id, "answer_id": a.pk, "held": bool(held)})
    return a


def _earned_today(member: CommunityMember, reason: str, now: datetime) -> int:
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    got = ReputationEntry.objects.filter(member=member, reason=reason, created_at__gte=start, created_at__lte=now)
    return got.aggregate(s=Sum("points"))["s"] or 0


@transaction.atomic
def vote_helpful(*, answer: Answer, voter: CommunityMember, now: datetime | None = None) -> Vote:
    """One helpful vote; the answer's author earns points up to the daily cap. No self-votes, one vote each."""
    _active(voter)
    now = now or timezone.now()
    if voter.workspace_id != answer.workspace_id:
        raise CommunityError(_("not a member of this community"))
    if voter.pk == answer.author_id:
        raise CommunityError(_("members cannot vote for their own answers"))
    try:
        with transaction.atomic():
            vote = Vote.objects.create(workspace_id=answer.workspace_id, answer=answer, member=voter)
    except IntegrityError:
        raise CommunityError(_("you already found this answer helpful")) from None
    author = CommunityMember.objects.select_for_update().get(pk=answer.author_id)
    points = min(HELPFUL_POINTS, DAILY_CAP - _earned_today(author, ReputationReason.HELPFUL, now))
    if points > 0:
        ReputationEntry.objects.create(
            workspace_id=answer.workspace_id,
            member=author,
            points=points,
            reason=ReputationReason.HELPFUL,
            answer=answer,
            category_id=answer.question.category_id,
            created_at=now,
        )
    levels.refresh(author, now=now)
    expertise.refresh_answer(answer)
    return vote


@transaction.atomic
def accept(
    *,
    answer: Answer,
    by_member: CommunityMember | None = None,
    by_user: User | None = None,
    now: datetime | None = None,
) -> Answer:
    """Accept an answer: by the member who asked, or, for a question asked from the inbox, by an agent. The author earns
    points (not for their own question); a question asked from the inbox gets the answer as a note and is resolved
    as deflected."""
    now = now or timezone.now()
    _active(by_member)
    question = Question.objects.select_for_update().get(pk=answer.question_id)
    if by_member is not None:
        if question.author_id is None or question.author_id != by_member.pk:
            raise CommunityError(_("only the member who asked may accept an answer"))
    elif by_user is None or question.conversation_id is None:
        raise CommunityError(_("only the member who asked may accept an answer"))
    if answer.workspace_id != question.workspace_id or answer.hidden:
        raise CommunityError(_("no such answer"))
    if question.accepted_answer_id is not None:
        raise CommunityError(_("this question already has an accepted answer"))
    question.accepted_answer = answer
    question.save(update_fields=["accepted_answer"])
    answer.accepted_at = now
    answer.save(update_fields=["accepted_at"])
    if answer.author_id != question.author_id:
        ReputationEntry.objects.create(
            workspace_id=answer.workspace_id,
            member_id=answer.author_id,
            points=ACCEPTED_POINTS,
            reason=ReputationReason.ACCEPTED,
            answer=answer,
            category_id=question.category_id,
            created_at=now,
        )
    levels.refresh(answer.author, now=now)
    expertise.refresh_answer(answer)
    events.emit(
        "community.answer_accepted",
        {
            "workspace_id": answer.workspace_id,
            "question_id": question.pk,
            "answer_id": answer.pk,
            # The people behind the two members, so that listeners need not read community's models.
            "asker_person_id": question.author.person_id if question.author_id else None,
            "answerer_person_id": answer.author.person_id if answer.author_id else None,
        },
    )
    if question.conversation_id is not None:
        _back_to_care(question=question, answer=answer, agent=by_user or question.asked_by_user, now=now)
    return answer


def _back_to_care(*, question: Question, answer: Answer, agent: User | None, now: datetime) -> None:
    from rapport.care import services as care

    conversation = question.conversation  # the question's own link: no reading care's tables here
    if agent is not None:
        care.add_note(
            conversation=conversation,
            agent=agent,
            text=f"Answered in the community by {answer.author.handle} (accepted):\n\n{answer.body}",
            now=now,
        )
    care.set_tags(conversation=conversation, tags=[*conversation.tags, "deflected"])
    actor = Actor.for_user(agent) if agent else Actor.system("community")
    care.resolve(conversation=conversation, actor=actor, now=now)


def score(member: CommunityMember) -> int:
    return ReputationEntry.objects.filter(member=member).aggregate(s=Sum("points"))["s"] or 0


# --- experts and heroes ------------------------------------------------------------------------------------------


@dataclass
class Expert:
    member: CommunityMember
    score: float = 0.0
    accepted: int = 0
    helpful: int = 0
    answers: int = 0
    last_at: datetime | None = None
    reasons: list[str] = field(default_factory=list)


def topic_categories(workspace: Workspace, topic: str) -> QuerySet[Category]:
    topic = topic.strip()
    return Category.objects.filter(workspace=workspace).filter(Q(slug__iexact=topic) | Q(name__iexact=topic))


def experts(*, workspace: Workspace, topic: str, limit: int = 10, now: datetime | None = None) -> list[Expert]:
    """Members ranked by accepted answers (15) and helpful votes (10 each) on the topic (a category's name or slug,
    or a question tag), each weighted by recency: a contribution halves in value every 180 days.

    One indexed read of the topic's top rows in the expertise table kept up to date on write (see expertise)."""
    now = now or timezone.now()
    key = expertise.normalise(topic)
    if not key:
        return []
    rows = (
        Expertise.objects.filter(workspace=workspace, topic=key, weight__gt=0, member__suspended=False)
        .select_related("member")
        .order_by("-weight", "member_id")[:limit]
    )
    factor = expertise.decay_factor(now)
    topic = topic.strip()
    ranked = []
    for row in rows:
        e = Expert(
            member=row.member,
            score=round(row.weight * factor, 2),
            accepted=row.accepted,
            helpful=row.helpful,
            answers=row.answers,
            last_at=row.last_at,
        )
        e.reasons = [f"{e.accepted} accepted answer{'s' * (e.accepted != 1)} on {topic}"]
        if e.helpful:
            e.reasons.append(f"{e.helpful} helpful vote{'s' * (e.helpful != 1)} on {topic}")
        if e.last_at is not None:
            days = max((now - e.last_at).days, 0)
            e.reasons.append("last answered today" if days == 0 else f"last answered {days} days ago")
        if e.member.away_notice:
            e.reasons.append(f"away: {e.member.away_notice}")
        ranked.append(e)
    return ranked


def month_bounds(month: str | None, *, today: date | None = None) -> tuple[datetime, datetime, str]:
    """[start, end) of a YYYY-MM month (default: last month) as aware datetimes, and its label."""
    if month:
        m = re.fullmatch(r"(\d{4})-(\d{2})", month)
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise FieldErrors({"month": "a month as YYYY-MM"})
        year, mon = int(m.group(1)), int(m.group(2))
    else:
        first = (today or timezone.localdate()).replace(day=1) - timedelta(days=1)
        year, mon = first.year, first.month
    tz = timezone.get_current_timezone()
    start = datetime(year, mon, 1, tzinfo=tz)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=tz)
    return start, end, f"{year:04d}-{mon:02d}"


@dataclass
class Hero:
    member: CommunityMember
    month: str
    points: int
    reasons: list[str]


def hero(*, workspace: Workspace, month: str | None = None, today: date | None = None) -> Hero | None:
    """The member who earned the most reputation in the month (ties: more accepted answers, then joined first)."""
    start, end, label = month_bounds(month, today=today)
    lines = ReputationEntry.objects.filter(
        workspace=workspace, created_at__gte=start, created_at__lt=end, member__suspended=False
    )
    per: dict[int, dict] = defaultdict(lambda: {"points": 0, "accepted": 0, "helpful": 0, "cats": defaultdict(int)})
    for member_id, points, reason, cat in lines.values_list("member_id", "points", "reason", "category__name"):
        p = per[member_id]
        p["points"] += points
        p[reason] += 1
        if cat:
            p["cats"][cat] += points
    if not per:
        return None
    best = min(per, key=lambda m: (-per[m]["points"], -per[m]["accepted"], m))
    p = per[best]
    reasons = [f"{p['points']} reputation points in {label}", f"{p['accepted']} accepted answers"]
    if p["helpful"]:
        reasons.append(f"{p['helpful']} helpful votes")
    if p["cats"]:
        top = max(p["cats"], key=lambda c: p["cats"][c])
        reasons.append(f"most active in {top}")
    return Hero(member=CommunityMember.objects.get(pk=best), month=label, points=p["points"], reasons=reasons)


# --- from the inbox ----------------------------------------------------------------------------------------------


def anonymise(text: str, *, names: list[str]) -> str:
    """The customer's words without their names, handles, emails, phone numbers or links."""
    text = re.sub(r"[\w.+-]+@[\w-]+\.[\w.]+", "[email]", text)
    text = re.sub(r"https?://\S+", "[link]", text)
    text = re.sub(r"\+?\d[\d ()/-]{6,}\d", "[phone]", text)
    text = re.sub(r"@\w+", "@…", text)
    for n in sorted({n for n in names if n and len(n) > 1}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(n)}(?!\w)", "[name]", text, flags=re.IGNORECASE)
    return text.strip()


@transaction.atomic
def ask_from_conversation(*, conversation, category: Category, agent: User, title: str = "") -> Question:
    """Post a care conversation's question to the community, anonymised, with the topic's experts suggested."""
    from rapport.care.models import Message, MessageDirection

    waiting = Question.objects.filter(conversation=conversation, accepted_answer__isnull=True)
    if waiting.filter(returned_to_care_at__isnull=True).exists():
        raise FieldErrors({"conversation": "this conversation is already waiting for a community answer"})
    inbound = list(
        Message.objects.filter(conversation=conversation, direction=MessageDirection.INBOUND).order_by(
            "created_at", "id"
        )
    )
    if not inbound:
        raise FieldErrors({"conversation": "the customer has not written anything to ask about"})
    names: list[str] = [m.author_label for m in inbound]
    person = conversation.person
    if person is not None:
        names += [person.first_name, person.last_name, person.email, person.phone]
        names += [i.handle for i in person.identities.all()]
    if conversation.identity_id:
        names.append(conversation.identity.handle)
    body = "\n\n".join(anonymise(m.text, names=names) for m in inbound)
    title = anonymise(title or conversation.subject or body.splitlines()[0], names=names)[:200]
    if len(title) < 8:
        title = f"A customer asks about {category.name}"
    q = ask(category=category, title=title, body=body, conversation=conversation, asked_by_user=agent)
    found = experts(workspace=conversation.workspace, topic=category.slug, limit=3)
    q.suggested_experts = [e.member.pk for e in found]
    q.save(update_fields=["suggested_experts"])
    q._experts = found  # type: ignore[attr-defined]
    return q


def return_unanswered(*, now: datetime | None = None, workspace_id: int | None = None) -> dict[str, int]:
    """Questions asked from the inbox with no accepted answer within the workspace's time limit go back to care:
    the conversation gets a note (how many answers came, where to read them), the tag "community-unanswered", and
    is open again unless someone resolved it meanwhile. Each question returns once (claimed by a conditional
    update, so two runs never return it twice); an answer accepted later still flows back and resolves the case."""
    from rapport.care import services as care
    from rapport.care.models import ConversationStatus
    from rapport.community.models import CommunitySettings

    now = now or timezone.now()
    hours = dict(CommunitySettings.objects.values_list("workspace_id", "return_after_hours"))
    default = CommunitySettings._meta.get_field("return_after_hours").default
    candidates = Question.objects.filter(
        conversation__isnull=False, accepted_answer__isnull=True, returned_to_care_at__isnull=True
    ).select_related("conversation", "asked_by_user", "workspace")
    if workspace_id is not None:
        candidates = candidates.filter(workspace_id=workspace_id)
    counts = {"returned": 0, "already_resolved": 0}
    for q in candidates.order_by("created_at", "pk").iterator(chunk_size=500):
        limit = hours.get(q.workspace_id, default)
        if not limit or q.created_at > now - timedelta(hours=limit):
            continue
        with transaction.atomic():
            if not Question.objects.filter(pk=q.pk, returned_to_care_at__isnull=True).update(returned_to_care_at=now):
                continue  # another run took it
            conversation = q.conversation
            if conversation.status == ConversationStatus.RESOLVED:
                counts["already_resolved"] += 1
                continue
            n = q.answers.filter(hidden=False).count()
            got = "no answer" if n == 0 else f"{n} answer{'s' * (n != 1)}, none accepted"
            if q.asked_by_user is not None:
                care.add_note(
                    conversation=conversation,
                    agent=q.asked_by_user,
                    text=(
                        f"Back from the community after {limit} hours: {got}. "
                        f"The question: /community/{q.workspace.slug}/q/{q.pk}/"
                    ),
                    now=now,
                )
            care.set_tags(conversation=conversation, tags=[*conversation.tags, "community-unanswered"])
            care.set_status(
                conversation=conversation, actor=Actor.system("community"), status=ConversationStatus.OPEN, now=now
            )
            counts["returned"] += 1
    return counts

"""Community API for staff: topic experts, the hero of the month, and asking the community from the inbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.db.models import Count
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from rapport.care import routing
from rapport.community import categories, levels, moderation, services
from rapport.community.models import Answer, Category, Question
from rapport.core.apiauth import require
from rapport.core.apitypes import Id, Text
from rapport.core.errors import FieldErrors

router = Router(tags=["community"])
conversation_router = Router(tags=["community"])


class ExpertOut(Schema):
    member_id: int
    name: str = Field(description="the member's public community name")
    score: float
    accepted: int
    helpful: int
    away_notice: str
    level: int = Field(description="the member's trust level, 0 (new) to 3 (regular)")
    level_name: str
    reasons: list[str]


class ExpertsOut(Schema):
    topic: str
    items: list[ExpertOut]


class ExpertsQuery(Schema):
    topic: Text(100) = Field(..., description="a category's name or slug, or a tag")


class HeroOut(Schema):
    month: str
    member_id: int | None
    name: str | None
    points: int
    reasons: list[str]


class AskIn(Schema):
    category: Text(64) = Field(..., description="the slug of the community category to post in")
    title: Text(200) = ""


class AskOut(Schema):
    question_id: int
    url: str
    title: str
    body: str
    experts: list[ExpertOut]


def expert_out(e: services.Expert) -> dict:
    return {
        "member_id": e.member.pk,
        "name": e.member.handle,
        "score": e.score,
        "accepted": e.accepted,
        "helpful": e.helpful,
        "away_notice": e.member.away_notice,
        "level": e.member.trust_level,
        "level_name": e.member.level_name,
        "reasons": e.reasons,
    }


@router.get("/experts", response=ExpertsOut)
def experts(request: HttpRequest, q: Query[ExpertsQuery]):
    """Members ranked for a topic from their accepted and helpful answers, recent ones counting more."""
    require(request, "care.view")
    topic = q.topic.strip()
    if not topic:
        raise FieldErrors({"topic": "a topic is required"})
    found = services.experts(workspace=request.workspace, topic=topic)
    return {"topic": topic, "items": [expert_out(e) for e in found]}


@router.get("/hero", response=HeroOut)
def hero(request: HttpRequest, month: Text(7) = ""):
    """The hero of the month (default: last month): the most reputation earned, with the reasons."""
    require(request, "care.view")
    h = services.hero(workspace=request.workspace, month=month or None)
    if h is None:
        label = services.month_bounds(month or None)[2]
        return {"month": label, "member_id": None, "name": None, "points": 0, "reasons": []}
    return {
        "month": h.month,
        "member_id": h.member.pk,
        "name": h.member.handle,
        "points": h.points,
        "reasons": h.reasons,
    }


@conversation_router.post("/{conversation_id}/ask-community", response={201: AskOut})
def ask_community(request: HttpRequest, conversation_id: Id, payload: AskIn):
    """Post the conversation's question to the community, anonymised, and suggest the topic's experts. When an
    answer is accepted it is added to the conversation as a note and the conversation is resolved as deflected."""
    require(request, "care.reply")
    qs = routing.visible_conversations(workspace_id=request.workspace.pk, user=request.actor.user, role=request.role)
    conversation = get_object_or_404(qs.select_related("person", "identity", "workspace"), pk=conversation_id)
    category = Category.objects.filter(workspace=request.workspace, slug=payload.category.strip()).first()
    if category is None:
        raise FieldErrors({"category": "no community category with this slug"})
    question = services.ask_from_conversation(
        conversation=conversation, category=category, agent=request.actor.user, title=payload.title
    )
    return Status(
        201,
        {
            "question_id": question.pk,
            "url": f"/community/{request.workspace.slug}/q/{question.pk}/",
            "title": question.title,
            "body": question.body,
            "experts": [expert_out(e) for e in question._experts],
        },
    )


class AnswerOut(Schema):
    id: int
    author_member_id: int
    author: str
    body: str
    helpful: int
    accepted: bool
    created_at: datetime


class QuestionOut(Schema):
    id: int
    url: str
    title: str
    body: str
    category: str
    conversation_id: int | None
    accepted_answer_id: int | None
    answers: list[AnswerOut]


def question_out(q: Question) -> dict:
    answers = q.answers.filter(hidden=False).select_related("author").annotate(n=Count("votes")).order_by("created_at")
    return {
        "id": q.pk,
        "url": f"/community/{q.workspace.slug}/q/{q.pk}/",
        "title": q.title,
        "body": q.body,
        "category": q.category.slug,
        "conversation_id": q.conversation_id,
        "accepted_answer_id": q.accepted_answer_id,
        "answers": [
            {
                "id": a.pk,
                "author_member_id": a.author_id,
                "author": a.author.handle,
                "body": a.body,
                "helpful": a.n,
                "accepted": a.pk == q.accepted_answer_id,
                "created_at": a.created_at,
            }
            for a in answers
        ],
    }


def _conversation_visible(request: HttpRequest, q: Question) -> bool:
    """A question asked from the inbox is the agent's to read and close only when the inbox shows them its case."""
    if q.conversation_id is None:
        return True
    qs = routing.visible_conversations(workspace_id=request.workspace.pk, user=request.actor.user, role=request.role)
    return qs.filter(pk=q.conversation_id).exists()


@router.get("/questions/{question_id}", response=QuestionOut)
def get_question(request: HttpRequest, question_id: Id):
    """A community question with its answers, for the agent following a question asked from the inbox."""
    require(request, "care.view")
    q = get_object_or_404(
        Question.objects.filter(workspace=request.workspace).select_related("workspace", "category"), pk=question_id
    )
    if not _conversation_visible(request, q):
        raise Http404
    return question_out(q)


@router.post("/answers/{answer_id}/accept", response=QuestionOut)
def accept_answer(request: HttpRequest, answer_id: Id):
    """Accept an answer to a question asked from the inbox: it is added to the conversation as a note, and the
    conversation is resolved as deflected. Questions members asked are accepted by the member who asked."""
    require(request, "care.reply")
    a = get_object_or_404(
        Answer.objects.filter(workspace=request.workspace, hidden=False).select_related("question"), pk=answer_id
    )
    if not _conversation_visible(request, a.question):
        raise Http404  # the agent may not see the conversation the accepted answer would be noted in and resolve
    try:
        services.accept(answer=a, by_user=request.actor.user)
    except services.CommunityError as e:
        raise FieldErrors({"answer": str(e)}) from None
    q = Question.objects.select_related("workspace", "category").get(pk=a.question_id)
    return question_out(q)


# --- moderation --------------------------------------------------------------------------------------------------


class FlagOut(Schema):
    member: str = Field(description="the reporting member's public name")
    reason: str
    note: str
    created_at: datetime


class QueueItemOut(Schema):
    kind: Literal["question", "answer"]
    id: int
    question_id: int
    state: str = Field(description="pending (held when written), flagged (hidden by reports), or visible/approved")
    reason: str
    title: str = Field(description="the question's title (for an answer: the question it answers)")
    body: str = Field(description="the post's Markdown source")
    author: str | None
    created_at: datetime
    flags: list[FlagOut]


class QueueOut(Schema):
    items: list[QueueItemOut]


class ModerateIn(Schema):
    action: Literal["approve", "hide", "delete"]
    note: Text(300) = ""


class ModerationSettingsIO(Schema):
    flags_to_hide: int = Field(3, ge=1, le=moderation.MAX_FLAGS_TO_HIDE)
    moderate_first_posts: bool = True
    new_member_max_links: int = Field(0, ge=0, le=moderation.MAX_LINKS)
    return_after_hours: int = Field(
        48,
        ge=0,
        le=moderation.MAX_RETURN_HOURS,
        description="hours until a question asked from the inbox with no accepted answer returns to care (0: never)",
    )


def queue_item_out(i: moderation.QueueItem) -> dict:
    return {
        "kind": i.kind,
        "id": i.post.pk,
        "question_id": i.question.pk,
        "state": i.state,
        "reason": i.post.moderation_reason,
        "title": i.question.title,
        "body": i.post.body,
        "author": i.post.author.handle if i.post.author else None,
        "created_at": i.post.created_at,
        "flags": [
            {"member": f.member.handle, "reason": f.reason, "note": f.note, "created_at": f.created_at} for f in i.flags
        ],
    }


@router.get("/moderation", response=QueueOut)
def moderation_queue(request: HttpRequest):
    """Posts waiting for a moderator (held when written, or hidden by members' reports), then public posts with
    open reports."""
    require(request, "community.moderate")
    return {"items": [queue_item_out(i) for i in moderation.queue(request.workspace)]}


@router.post("/moderation/{kind}/{post_id}", response=QueueItemOut)
def moderate(request: HttpRequest, kind: Literal["question", "answer"], post_id: Id, payload: ModerateIn):
    """Approve (public again, open reports closed), hide or delete a post; written to the audit log."""
    require(request, "community.moderate")
    post = moderation.find(request.workspace, kind, post_id)
    if post is None:
        raise Http404
    try:
        post = moderation.moderate(post=post, action=payload.action, user=request.actor.user, note=payload.note)
    except moderation.ModerationError as e:
        raise FieldErrors({"action": str(e)}) from None
    return queue_item_out(moderation.QueueItem(kind=kind, post=post, flags=[]))


@router.get("/moderation/settings", response=ModerationSettingsIO)
def get_moderation_settings(request: HttpRequest):
    require(request, "community.moderate")
    return moderation.settings_for(request.workspace)


class ModerationSettingsPatch(Schema):
    flags_to_hide: int | None = Field(None, ge=1, le=moderation.MAX_FLAGS_TO_HIDE)
    moderate_first_posts: bool | None = None
    new_member_max_links: int | None = Field(None, ge=0, le=moderation.MAX_LINKS)
    return_after_hours: int | None = Field(None, ge=0, le=moderation.MAX_RETURN_HOURS)


@router.patch("/moderation/settings", response=ModerationSettingsIO)
def patch_moderation_settings(request: HttpRequest, payload: ModerationSettingsPatch):
    """Change any of: how many reports from different members hide a post, whether new members' first posts wait
    for a moderator, how many links a post from a member not yet trusted with links may carry, and when an
    unanswered question asked from the inbox returns to care. Fields left out keep their value."""
    require(request, "community.moderate")
    current = moderation.settings_for(request.workspace)
    given = {k: v for k, v in payload.dict().items() if v is not None}
    merged = {k: given.get(k, getattr(current, k)) for k in ModerationSettingsPatch.model_fields}
    return moderation.update_settings(workspace=request.workspace, actor=request.actor, **merged)


# --- suspensions and edit history --------------------------------------------------------------------------------


class SuspendIn(Schema):
    reason: Text(300) = Field(..., description="why (for moderators; the member only sees that they are suspended)")
    until: datetime | None = Field(None, description="when the suspension ends by itself; empty: until lifted")


class SuspensionOut(Schema):
    member_id: int
    name: str
    suspended: bool
    until: datetime | None
    reason: str


class SuspensionsOut(Schema):
    items: list[SuspensionOut]


def suspension_out(m) -> dict:
    return {
        "member_id": m.pk,
        "name": m.handle,
        "suspended": m.suspended,
        "until": m.suspended_until,
        "reason": m.suspension_reason,
    }


def _member_or_404(request: HttpRequest, member_id: int):
    from rapport.community.models import CommunityMember

    return get_object_or_404(CommunityMember, workspace=request.workspace, pk=member_id)


@router.get("/suspensions", response=SuspensionsOut)
def list_suspensions(request: HttpRequest):
    """Members a moderator has suspended, with the reason and the end date."""
    require(request, "community.moderate")
    return {"items": [suspension_out(m) for m in moderation.suspended_members(request.workspace)]}


@router.post("/members/{member_id}/suspension", response=SuspensionOut)
def suspend_member(request: HttpRequest, member_id: Id, payload: SuspendIn):
    """Suspend a member: they may read but not post, answer, vote or report until `until` (or until lifted)."""
    require(request, "community.moderate")
    member = _member_or_404(request, member_id)
    moderation.suspend(member=member, user=request.actor.user, reason=payload.reason, until=payload.until)
    return suspension_out(member)


@router.delete("/members/{member_id}/suspension", response=SuspensionOut)
def lift_suspension(request: HttpRequest, member_id: Id):
    require(request, "community.moderate")
    member = _member_or_404(request, member_id)
    try:
        moderation.lift(member=member, user=request.actor.user)
    except moderation.ModerationError as e:
        raise FieldErrors({"member_id": str(e)}) from None
    return suspension_out(member)


class EditOut(Schema):
    edited_at: datetime
    editor: str | None = Field(description="the member's community name, or the moderator's email")
    title_before: str
    title_after: str
    body_before: str
    body_after: str


class EditsOut(Schema):
    kind: Literal["question", "answer"]
    id: int
    items: list[EditOut]


@router.get("/moderation/{kind}/{post_id}/edits", response=EditsOut)
def post_edits(request: HttpRequest, kind: Literal["question", "answer"], post_id: Id):
    """A post's edit history, oldest first (append-only: the text before and after each edit)."""
    from rapport.community import edits

    require(request, "community.moderate")
    post = moderation.find(request.workspace, kind, post_id)
    if post is None:
        raise Http404
    items = [
        {
            "edited_at": e.edited_at,
            "editor": e.editor.handle if e.editor else (e.editor_user.email if e.editor_user else None),
            "title_before": e.title_before,
            "title_after": e.title_after,
            "body_before": e.body_before,
            "body_after": e.body_after,
        }
        for e in edits.history(post)
    ]
    return {"kind": kind, "id": post.pk, "items": items}


# --- trust levels ------------------------------------------------------------------------------------------------


class LevelOut(Schema):
    number: int
    name: str
    posts: int = Field(description="public questions and answers needed")
    accepted: int = Field(description="accepted answers needed")
    helpful: int = Field(description="helpful votes received needed")
    days: int = Field(description="days of membership needed")
    unlocks: list[str]


class LevelsOut(Schema):
    items: list[LevelOut]


class Thresholds(Schema):
    posts: int | None = None
    accepted: int | None = None
    helpful: int | None = None
    days: int | None = None


class LevelsIn(Schema):
    thresholds: dict[Literal["1", "2", "3"], Thresholds] = Field(
        ..., description='per level, what it asks; e.g. {"2": {"posts": 5, "helpful": 3, "days": 7}}'
    )


def levels_out(table) -> dict:
    return {
        "items": [
            {
                "number": lv.number,
                "name": lv.name,
                "posts": lv.posts,
                "accepted": lv.accepted,
                "helpful": lv.helpful,
                "days": lv.days,
                "unlocks": list(lv.unlocks),
            }
            for lv in table
        ]
    }


@router.get("/levels", response=LevelsOut)
def get_levels(request: HttpRequest):
    """The workspace's trust levels: what each asks and unlocks."""
    require(request, "community.moderate")
    return levels_out(levels.table(request.workspace.pk))


@router.patch("/levels", response=LevelsOut)
def patch_levels(request: HttpRequest, payload: LevelsIn):
    """Set what levels 1 to 3 ask (a dimension left out keeps its current value); each level must ask at least what
    the one below asks. Audited; every member's level is recomputed in the background."""
    require(request, "community.moderate")
    current = levels.thresholds_of(levels.table(request.workspace.pk))
    merged = {
        n: {
            **row,
            **{
                k: v
                for k, v in (payload.thresholds.get(n).dict() if n in payload.thresholds else {}).items()
                if v is not None
            },
        }
        for n, row in current.items()
    }
    table = levels.update_thresholds(workspace=request.workspace, actor=request.actor, thresholds=merged)
    return levels_out(table)


# --- analytics ---------------------------------------------------------------------------------------------------


class WeekOut(Schema):
    week: date
    members: int = Field(description="members who asked, answered or voted helpful that week")
    questions: int
    answers: int


class AnalyticsOut(Schema):
    start: datetime
    end: datetime
    questions: int = Field(description="public questions asked in the period")
    answered: int
    accepted: int
    answer_rate: float | None = Field(description="share of the period's questions with a public answer")
    acceptance_rate: float | None = Field(description="share of the period's questions with an accepted answer")
    first_answer_hours_median: float | None
    first_answer_hours_p90: float | None
    from_inbox: int = Field(description="questions asked from the care inbox in the period")
    deflected: int = Field(description="inbox cases whose community answer was accepted in the period")
    returned_to_care: int
    weeks: list[WeekOut]


@router.get("/analytics", response=AnalyticsOut)
def get_analytics(request: HttpRequest, days: int = 90):
    """The community report over the last `days` (1 to 730): deflected cases, time to first answer, answer and
    acceptance rates, active members per week."""
    from rapport.community import analytics

    require(request, "community.moderate")
    return analytics.as_dict(analytics.report(request.workspace, days=days))


# --- categories --------------------------------------------------------------------------------------------------


class CategoryIn(Schema):
    slug: Text(64)  # type: ignore[valid-type]
    name: Text(100)  # type: ignore[valid-type]
    description: Text(300) = ""  # type: ignore[valid-type]


class CategoryPatch(Schema):
    slug: Text(64) | None = None  # type: ignore[valid-type]
    name: Text(100) | None = None  # type: ignore[valid-type]
    description: Text(300) | None = None  # type: ignore[valid-type]


class CategoryOut(Schema):
    id: int
    slug: str
    name: str
    description: str
    questions: int


class CategoryDeleteQuery(Schema):
    move_to: Text(64) = Field("", description="the slug of the category its questions move to (needed if it holds any)")  # type: ignore[valid-type]


def _category_out(c: Category, questions: int | None = None) -> dict:
    """A category as the API shows it; `questions` when the caller counted them already (the list annotates)."""
    if questions is None:
        questions = Question.objects.filter(category=c).count()
    return {"id": c.pk, "slug": c.slug, "name": c.name, "description": c.description, "questions": questions}


@router.get("/categories", response=list[CategoryOut])
def list_categories(request: HttpRequest):
    """The community's categories, by name, with how many questions each holds."""
    require(request, "community.moderate")
    rows = Category.objects.filter(workspace=request.workspace).annotate(n=Count("questions")).order_by("name")
    return [_category_out(c, c.n) for c in rows]


@router.post("/categories", response={201: CategoryOut})
def create_category(request: HttpRequest, payload: CategoryIn):
    require(request, "community.moderate")
    c = categories.save(workspace=request.workspace, actor=request.actor, **payload.model_dump())
    return Status(201, _category_out(c))


@router.patch("/categories/{category_id}", response=CategoryOut)
def update_category(request: HttpRequest, category_id: Id, payload: CategoryPatch):
    """Rename a category or change its address: its questions' topics and their answerers' expertise follow."""
    require(request, "community.moderate")
    c = get_object_or_404(Category, workspace=request.workspace, pk=category_id)
    data = {"slug": c.slug, "name": c.name, "description": c.description}
    data.update({k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None})
    c = categories.save(workspace=request.workspace, actor=request.actor, category=c, **data)
    return _category_out(c)


@router.delete("/categories/{category_id}", response={204: None})
def delete_category(request: HttpRequest, category_id: Id, query: Query[CategoryDeleteQuery]):
    """Delete a category; one that holds questions needs ?move_to=<slug> of the category they move to."""
    require(request, "community.moderate")
    c = get_object_or_404(Category, workspace=request.workspace, pk=category_id)
    target = None
    if query.move_to:
        target = Category.objects.filter(workspace=request.workspace, slug=query.move_to.strip()).first()
        if target is None:
            raise FieldErrors({"move_to": f"no category {query.move_to.strip()!r} in this community"})
    categories.delete(workspace=request.workspace, actor=request.actor, category=c, move_to=target)
    return Status(204, None)

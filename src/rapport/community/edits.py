"""Editing posts: a member edits their own question or answer (a moderator may edit any, e.g. to take out someone's
private details). Every edit appends a PostEdit with the text before and after; the public pages only say "edited",
moderators read the history. The search index and the duplicate fingerprint follow the new text."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from rapport.community import levels, markdown, moderation, search
from rapport.community.models import Answer, CommunityMember, PostEdit, Question
from rapport.core.errors import FieldErrors
from rapport.core.models import User


class EditError(Exception):
    """This post may not be edited by this member (not theirs, deleted, suspended)."""


def _clean(errors: dict, name: str, value: str, *, low: int, high: int) -> str:
    from rapport.community.services import _clean_text

    return _clean_text(errors, name, value, low=low, high=high)


@transaction.atomic
def edit(
    *,
    post: Question | Answer,
    body: str,
    title: str | None = None,
    member: CommunityMember | None = None,
    user: User | None = None,
    now: datetime | None = None,
) -> PostEdit | None:
    """Change a post's text (a question's title too). By its author (`member`) or a moderator (`user`); returns the
    history entry, or None when nothing changed."""
    from rapport.community.services import CommunityError, _active

    now = now or timezone.now()
    if (member is None) == (user is None):
        raise ValueError("an edit is made by a member or by a moderator")
    model = type(post)
    post = model.objects.select_for_update().get(pk=post.pk)
    if member is not None:
        try:
            _active(member)
        except CommunityError as e:
            raise EditError(str(e)) from None
        if member.workspace_id != post.workspace_id or post.author_id != member.pk:
            raise EditError("only the author may edit this post")
        if post.moderation == "deleted" or (post.hidden and post.moderation != "pending"):
            raise EditError("this post was taken down by a moderator")
    elif post.moderation == "deleted":
        raise EditError("this post was deleted")
    errors: dict[str, str] = {}
    is_question = isinstance(post, Question)
    new_title = (
        _clean(errors, "title", title if title is not None else post.title, low=8, high=200) if is_question else ""
    )
    new_body = _clean(errors, "body", body, low=1 if is_question else 2, high=10_000)
    if member is not None and not errors:
        rules = moderation.settings_for(post.workspace_id)
        links = markdown.link_count(f"{new_title}\n{new_body}")
        if levels.current(member, now=now) < levels.MAY_LINK and links > rules.new_member_max_links:
            errors["body"] = f"at most {rules.new_member_max_links} links until you are trusted with links"
    if errors:
        raise FieldErrors(errors)
    old_title = post.title if is_question else ""
    if new_body == post.body and new_title == old_title:
        return None
    entry = PostEdit.objects.create(
        workspace_id=post.workspace_id,
        question=post if is_question else None,
        answer=None if is_question else post,
        editor=member,
        editor_user=user,
        title_before=old_title,
        title_after=new_title,
        body_before=post.body,
        body_after=new_body,
        edited_at=now,
    )
    fields = ["body", "fingerprint", "edited_at"]
    if is_question:
        post.title = new_title
        fields.append("title")
    post.body = new_body
    post.fingerprint = moderation.fingerprint(new_body)
    post.edited_at = now
    post.save(update_fields=fields)
    search.refresh([post.pk if is_question else post.question_id])
    if user is not None:
        from rapport.core.actors import Actor
        from rapport.core.services import record_audit

        record_audit(
            workspace=post.workspace,
            actor=Actor.for_user(user),
            action="community.post_edited",
            object_type=f"community.{model.__name__.lower()}",
            object_id=post.pk,
            before={"title": old_title, "body": entry.body_before},
            after={"title": new_title, "body": new_body},
        )
    return entry


def history(post: Question | Answer) -> list[PostEdit]:
    """Every edit of the post, oldest first (for moderators)."""
    return list(post.edits.select_related("editor", "editor_user").order_by("edited_at", "pk"))

"""Small builders for community tests."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from django.utils import timezone

from rapport.community import services
from rapport.community.models import Category, CommunityMember, CommunitySettings
from rapport.core.models import Workspace

MEMBER_PASSWORD = "member-pass-2931"


def category(
    workspace: Workspace, name: str = "iPhone 5", slug: str = "iphone-5", *, hold_first_posts: bool = False
) -> Category:
    """A category. Unless `hold_first_posts`, the workspace lets new members' first posts through at once (the
    tests of the Q&A flow are not about moderation; the moderation tests turn it on)."""
    CommunitySettings.objects.update_or_create(workspace=workspace, defaults={"moderate_first_posts": hold_first_posts})
    return Category.objects.create(workspace=workspace, name=name, slug=slug)


def member(workspace: Workspace, handle: str, email: str | None = None) -> CommunityMember:
    return services.join(
        workspace=workspace, handle=handle, email=email or f"{handle}@mail.example", password=MEMBER_PASSWORD
    )


@contextmanager
def first_posts_public(workspace: Workspace):
    """Build a member's history without the queue in the way, then restore the workspace's rule."""
    rules, _ = CommunitySettings.objects.get_or_create(workspace=workspace)
    held = rules.moderate_first_posts
    CommunitySettings.objects.filter(pk=rules.pk).update(moderate_first_posts=False)
    try:
        yield
    finally:
        CommunitySettings.objects.filter(pk=rules.pk).update(moderate_first_posts=held)


def established(workspace: Workspace, handle: str, cat: Category) -> CommunityMember:
    """A member with one public post behind them: level 1 (Basic)."""
    m = member(workspace, handle)
    with first_posts_public(workspace):
        services.ask(author=m, category=cat, title=f"An earlier question by {handle}", body=f"earlier {handle}")
    m.refresh_from_db()
    assert m.trust_level == 1
    return m


def veteran(workspace: Workspace, handle: str, cat: Category) -> CommunityMember:
    """A member of 8 days with 5 public posts and 3 helpful votes received: level 2 (Member)."""
    m = member(workspace, handle)
    CommunityMember.objects.filter(pk=m.pk).update(created_at=timezone.now() - timedelta(days=8))
    m.refresh_from_db()
    with first_posts_public(workspace):
        for i in range(4):
            services.ask(author=m, category=cat, title=f"Question {i} by {handle}", body=f"q{i} {handle}")
        q = services.ask(
            author=member(workspace, f"{handle}-asker"), category=cat, title="Asked of a veteran", body="?"
        )
        a = services.answer(question=q, author=m, body=f"answered by {handle}")
    for i in range(3):
        services.vote_helpful(answer=a, voter=member(workspace, f"{handle}-fan{i}"))
    m.refresh_from_db()
    assert m.trust_level == 2
    return m

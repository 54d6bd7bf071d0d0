"""Small builders for community tests."""

from __future__ import annotations

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

"""Stream linking after each stored batch: authors who give an identifier link themselves, with their history."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.apps import apps
from django.db import transaction

from rapport.contacts.models import Person, Touchpoint
from rapport.contacts.touchpoints import post_touchpoint
from rapport.core.events import emit
from rapport.core.models import Workspace
from rapport.identity.models import SocialIdentity

log = logging.getLogger(__name__)
# Every identifier has a digit (phone and customer numbers) or an @ with a dot after it (an email address): a text
# with neither is passed over without running the phone-number matcher, the costly part of a batch.
_MAY_IDENTIFY = re.compile(r"\d|@[^\s@]*\.")


def _post_model():
    try:
        return apps.get_model("listening", "Post")
    except LookupError:
        return None


def attach_history(*, identity: SocialIdentity, person: Person) -> int:
    """Give a newly linked person the earlier posts of the identity: set their person, add timeline entries."""
    post_model = _post_model()
    if post_model is None:
        return 0
    posts = list(post_model.objects.filter(workspace_id=identity.workspace_id, author=identity, person__isnull=True))
    if not posts:
        return 0
    ids = [p.pk for p in posts]
    post_model.objects.filter(pk__in=ids).update(person=person)
    have = set(
        Touchpoint.objects.filter(
            workspace_id=identity.workspace_id, source="post", source_id__in=[str(i) for i in ids]
        ).values_list("source_id", flat=True)
    )
    Touchpoint.objects.bulk_create(
        [
            post_touchpoint(
                workspace_id=identity.workspace_id,
                person_id=person.pk,
                post_id=p.pk,
                network=p.network,
                kind=p.kind,
                text=p.text,
                occurred_at=p.created_at,
                external_id=p.external_id,
                url=p.url,
                extra={"sentiment": p.sentiment_label, "language": p.language},
            )
            for p in posts
            if str(p.pk) not in have
        ]
    )
    return len(posts)


def link_posts(*, workspace: Workspace, post_ids: list[int]) -> int:
    """Link the unknown authors of these posts whose text gives an email, phone or customer number; return how many."""
    post_model = _post_model()
    if post_model is None or not post_ids:
        return 0
    # The matchers (phone numbers, fuzzy names) load on the first batch, not when Django starts.
    from rapport.identity.matching.identifiers import extract_identifiers
    from rapport.identity.stream import link_from_text

    linked = 0
    # Plain rows, not model instances: most posts hold no identifier, and building objects for them is the cost.
    rows = (
        post_model.objects.filter(
            workspace=workspace, pk__in=post_ids, person__isnull=True, author__isnull=False, author__person__isnull=True
        )
        .order_by("created_at", "id")
        .values_list("network", "text", "author_id", "author__handle", "author__external_id")
    )
    for network, body, author_id, handle, external_id in rows:
        # An email's sender address is itself an identifier: it links like an address written in a message.
        text = body or ""
        if network in ("email", "chat"):  # the sender's address (email) or the address a chat visitor gave
            text = f"{handle or ''} {external_id}\n{text}"
        if not _MAY_IDENTIFY.search(text) or not extract_identifiers(text):
            continue
        identity = SocialIdentity.objects.get(pk=author_id)  # fresh: an earlier post may have linked it
        if identity.person_id is not None:
            continue
        person, how = link_from_text(workspace=workspace, identity=identity, text=text, name=identity.display_name)
        if person is not None:
            with transaction.atomic():
                attach_history(identity=identity, person=person)
            linked += 1
    return linked


def on_posts_stored(event: str, payload: dict[str, Any]) -> None:
    """Handler of listening.posts_stored: link the authors, then announce `identity.posts_linked` for the same posts.

    Whoever needs posts on their person (the inbox) subscribes to that event, so no order of apps matters.
    """
    post_ids = list(payload.get("post_ids") or [])
    if not post_ids:
        return
    workspace = Workspace.objects.filter(pk=payload.get("workspace_id")).first()
    if workspace is None:
        return
    linked = link_posts(workspace=workspace, post_ids=post_ids)
    emit("identity.posts_linked", {"workspace_id": workspace.pk, "post_ids": post_ids, "linked": linked})

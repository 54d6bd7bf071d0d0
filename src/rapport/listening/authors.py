"""Posts and the people behind them, after each stored batch: authors the network vouches for are linked through
identity's linker (with their earlier posts), identifiers given in a message make identity's claims. Listening owns
the posts, identity the rules: identity reaches a newly linked person's posts through `identity.history`, which
this module fills."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Value, When

from rapport.contacts.models import Touchpoint
from rapport.contacts.touchpoints import post_touchpoint
from rapport.core.events import emit
from rapport.core.models import Workspace
from rapport.listening.models import Post

log = logging.getLogger(__name__)
# Every identifier has a digit (phone and customer numbers) or an @ with a dot after it (an email address): a text
# with neither is passed over without running the phone-number matcher, the costly part of a batch.
_MAY_IDENTIFY = re.compile(r"\d|@[^\s@]*\.")


def extract_identifiers(text: str):
    """The identifiers in a text; the matchers (phone numbers, fuzzy names) load on first use, not at start-up."""
    from rapport.identity.matching.identifiers import extract_identifiers as extract

    return extract(text)


def attach_histories(*, workspace_id: int, links: dict[int, int]) -> int:
    """For identity id -> person id: set the person on the identities' unowned posts and add their timeline
    entries; four queries whatever the number of identities and posts. Returns how many posts were attached."""
    if not links:
        return 0
    columns = ("pk", "author_id", "network", "kind", "text", "created_at", "external_id", "url")
    rows = list(
        Post.objects.filter(
            workspace_id=workspace_id, author_id__in=list(links), person__isnull=True
        ).values_list(*columns, "sentiment_label", "language")
    )
    if not rows:
        return 0
    ids = [r[0] for r in rows]
    whens = [When(author_id=i, then=Value(p)) for i, p in links.items()]
    Post.objects.filter(pk__in=ids).update(person_id=Case(*whens))
    have = set(
        Touchpoint.objects.filter(
            workspace_id=workspace_id, source="post", source_id__in=[str(i) for i in ids]
        ).values_list("source_id", flat=True)
    )
    Touchpoint.objects.bulk_create(
        [
            post_touchpoint(
                workspace_id=workspace_id,
                person_id=links[author_id],
                post_id=pk,
                network=network,
                kind=kind,
                text=text,
                occurred_at=created_at,
                external_id=external_id,
                url=url,
                extra={"sentiment": sentiment, "language": language},
            )
            for pk, author_id, network, kind, text, created_at, external_id, url, sentiment, language in rows
            if str(pk) not in have
        ]
    )
    return len(rows)


def _sender_verified(authenticated_by: object) -> bool:
    """Did a receiving mail server the operator trusts vouch for the sender (DMARC, or aligned DKIM, passed)?"""
    trusted = {t.strip().lower() for t in settings.RAPPORT_EMAIL_AUTHSERV_IDS if t.strip()}
    return isinstance(authenticated_by, str) and authenticated_by.lower() in trusted


def link_posts(*, workspace: Workspace, post_ids: list[int]) -> int:
    """Link the unknown authors of these posts whom the network vouches for; claims for the rest; return links made.

    Only an authenticated identifier links by itself: an email's sender address when a trusted receiving server
    verified it. An email, phone or customer number written in a message (or typed into the web chat) makes a
    pending claim instead (`claims.claim_many`), which an agent confirms or the person proves by email. One read of
    the posts' few columns, a lookup per kind of identifier for the whole batch: a fixed number of queries.
    """
    from rapport.identity.claims import claim_many
    from rapport.identity.stream import Candidate, link_many

    if not post_ids:
        return 0
    # Plain rows, not model instances: most posts hold no identifier, and building objects for them is the cost.
    rows = (
        Post.objects.filter(
            workspace=workspace, pk__in=post_ids, person__isnull=True, author__isnull=False, author__person__isnull=True
        )
        .order_by("created_at", "id")
        .values_list(
            "pk",
            "network",
            "text",
            "raw__sender_authenticated_by",
            "author_id",
            "author__network",
            "author__handle",
            "author__external_id",
            "author__display_name",
        )
    )
    senders, claims = [], []
    for pk, network, body, authenticated_by, author_id, author_network, handle, external_id, display_name in rows:
        label = f"{author_network}:{handle or external_id}"
        name = display_name or ""
        text = body or ""
        if network == "email":  # the sender's address is itself an identifier, proven only when verified
            address = f"{handle or ''} {external_id}"
            if _sender_verified(authenticated_by):
                found = extract_identifiers(address)
                if found.emails:
                    senders.append(Candidate(author_id, label, name, address, found, pk))
            else:
                text = f"{address}\n{text}"
        elif network == "chat":  # the address a chat visitor typed: anyone can type anyone's address
            text = f"{handle or ''} {external_id}\n{text}"
        if not _MAY_IDENTIFY.search(text):
            continue
        found = extract_identifiers(text)
        if found:
            claims.append(Candidate(author_id, label, name, text, found, pk))
    links = link_many(workspace=workspace, candidates=senders)
    if links:
        with transaction.atomic():
            attach_histories(workspace_id=workspace.pk, links={i: p.pk for i, (p, _how) in links.items()})
    claim_many(workspace=workspace, candidates=[c for c in claims if c.identity_id not in links])
    return len(links)


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

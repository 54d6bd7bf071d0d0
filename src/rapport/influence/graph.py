"""Building the interaction graph from stored posts: cheap, bulk and bounded, so the stream keeps its pace.

Edges come from what the networks' payloads say (X's `entities.user_mentions`, `quoted_status` and
`in_reply_to_user_id_str`; Mastodon's `mentions` and `in_reply_to_account_id`; Bluesky's mention facets and
quote embeds) and from the normalised fields every connector fills (`in_reply_to`, `kind`, `@handles` in the text).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from rapport.core.bulk import insert_ignore, select_in, upsert
from rapport.influence.models import FollowerSnapshot, Interaction, InteractionKind, PendingUpdate

HANDLE = re.compile(r"(?<![\w@/])@([A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,60}[A-Za-z0-9_])?(?:@[A-Za-z0-9.-]+\.[a-z]{2,})?)")
REPOST_KINDS = {"repost": InteractionKind.REPOST, "share": InteractionKind.REPOST, "quote": InteractionKind.QUOTE}
MAX_TARGETS_PER_POST = 20  # a post naming fifty accounts is a list, not fifty interactions


def _handle_key(handle: Any) -> str:
    return str(handle or "").strip().lstrip("@").lower()


def _dicts(value: Any) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def targets_in(network: str, raw: Any, text: str) -> list[tuple[str, str, str, str]]:
    """(kind, by, value, parent external id) for each account a post names: by is "handle" or "id"."""
    out: list[tuple[str, str, str, str]] = []
    raw = raw if isinstance(raw, dict) else {}
    if network == "mastodon" and isinstance(raw.get("status"), dict):  # a mention notification keeps its status
        raw = raw["status"]
    entities = raw.get("extended_tweet", {}).get("entities") if isinstance(raw.get("extended_tweet"), dict) else None
    entities = entities or raw.get("entities")
    if isinstance(entities, dict):
        for m in _dicts(entities.get("user_mentions")):
            if m.get("id_str") or m.get("id"):
                out.append((InteractionKind.MENTION, "id", str(m.get("id_str") or m.get("id")), ""))
            elif m.get("screen_name"):
                out.append((InteractionKind.MENTION, "handle", _handle_key(m["screen_name"]), ""))
    for m in _dicts(raw.get("mentions")):  # Mastodon
        if m.get("id"):
            out.append((InteractionKind.MENTION, "id", str(m["id"]), ""))
        elif m.get("acct"):
            out.append((InteractionKind.MENTION, "handle", _handle_key(m["acct"]), ""))
    record = raw.get("record") if isinstance(raw.get("record"), dict) else raw
    for facet in _dicts(record.get("facets")):  # Bluesky
        for feature in _dicts(facet.get("features")):
            if str(feature.get("$type", "")).endswith("#mention") and feature.get("did"):
                out.append((InteractionKind.MENTION, "id", str(feature["did"]), ""))
    quoted = raw.get("quoted_status")
    if isinstance(quoted, dict) and isinstance(quoted.get("user"), dict):
        user = quoted["user"]
        if user.get("id_str") or user.get("id"):
            parent = str(quoted.get("id_str") or quoted.get("id") or "")
            out.append((InteractionKind.QUOTE, "id", str(user.get("id_str") or user.get("id")), parent))
    embed = record.get("embed") if isinstance(record.get("embed"), dict) else {}
    uri = str((embed.get("record") or {}).get("uri", "")) if isinstance(embed.get("record"), dict) else ""
    if uri.startswith("at://did:"):
        out.append((InteractionKind.QUOTE, "id", uri[5:].split("/", 1)[0], uri))
    for key in ("in_reply_to_user_id_str", "in_reply_to_account_id"):
        if raw.get(key):
            out.append((InteractionKind.REPLY, "id", str(raw[key]), ""))
    if not any(k == InteractionKind.MENTION for k, *_ in out):  # no structured mentions: read the text
        for handle in HANDLE.findall(text or ""):
            out.append((InteractionKind.MENTION, "handle", _handle_key(handle), ""))
    return out[: MAX_TARGETS_PER_POST * 2]


def ingest_posts(workspace_id: int, post_ids: Iterable[int]) -> dict[str, int]:
    """Add the interactions of these stored posts, today's follower counts of their authors, and queue the
    authors and targets for an incremental update. Idempotent: a post seen twice adds nothing twice."""
    from rapport.identity.models import SocialIdentity
    from rapport.listening.models import Post

    ids = list(post_ids)
    if not ids:
        return {"interactions": 0, "snapshots": 0}
    wanted: Any = ids
    if connection.vendor == "postgresql":  # one array parameter rather than a placeholder per id to bind
        wanted = RawSQL("SELECT unnest(%s::bigint[])", [ids])
    posts = list(
        Post.objects.filter(workspace_id=workspace_id, pk__in=wanted, private=False, author__isnull=False).values_list(
            "id", "network", "author_id", "kind", "in_reply_to", "text", "raw", "created_at"
        )
    )
    if not posts:
        return {"interactions": 0, "snapshots": 0}
    # The posts answered, reposted or quoted, when stored: their authors are the targets.
    parent_keys = {(net, str(parent)) for _, net, _, _, parent, *_ in posts if parent}
    candidates: list[tuple[int, str, int, str, str, datetime]] = []  # post, kind, source, by, value, at
    parent_of: dict[tuple[int, str], str] = {}
    for pk, net, author_id, kind, parent, text, raw, at in posts:
        named = targets_in(net, raw, text)
        if parent:
            edge = REPOST_KINDS.get(kind, InteractionKind.REPLY)
            candidates.append((pk, edge, author_id, "post", str(parent), at))
        for edge, by, value, parent_ext in named:
            if value:
                candidates.append((pk, edge, author_id, by, value, at))
                if parent_ext:
                    parent_keys.add((net, parent_ext))
                    parent_of[(pk, edge)] = parent_ext
    net_of = {pk: net for pk, net, *_ in posts}
    quote = connection.ops.quote_name
    post_table, ident_table = quote(Post._meta.db_table), quote(SocialIdentity._meta.db_table)
    parents: dict[tuple[str, str], tuple[int, int | None]] = {}
    for net in {n for n, _ in parent_keys}:
        exts = [e for n, e in parent_keys if n == net]
        for ext, ppk, aid in select_in(
            f"SELECT external_id, id, author_id FROM {post_table} WHERE workspace_id = %s AND network = %s "  # noqa: S608 (table names and constants only)
            "AND external_id IN ({in})",
            [workspace_id, net],
            exts,
        ):
            parents[(net, ext)] = (ppk, aid)
    by_id: dict[tuple[str, str], int] = {}
    by_handle: dict[tuple[str, str], int] = {}
    for net in set(net_of.values()):
        id_values = {v for pk, _, _, by, v, _ in candidates if by == "id" and net_of[pk] == net}
        handles = {v for pk, _, _, by, v, _ in candidates if by == "handle" and net_of[pk] == net}
        if id_values:
            for pk, ext in select_in(
                f"SELECT id, external_id FROM {ident_table} WHERE workspace_id = %s AND network = %s "  # noqa: S608 (table names and constants only)
                "AND external_id IN ({in})",
                [workspace_id, net],
                sorted(id_values),
            ):
                by_id[(net, ext)] = pk
        if handles:
            for pk, key in select_in(
                f"SELECT id, handle_key FROM {ident_table} WHERE workspace_id = %s AND network = %s "  # noqa: S608 (table names and constants only)
                "AND handle_key IN ({in})",
                [workspace_id, net],
                sorted(handles),
            ):
                by_handle[(net, key)] = pk
    rows: dict[tuple[int, str, str], tuple] = {}
    per_post: dict[int, int] = {}
    for pk, edge, source, by, value, at in candidates:
        net = net_of[pk]
        target_post = None
        if by == "post":
            parent = parents.get((net, value))
            if parent is None:
                continue  # the answered post is not stored: the reply's payload may still name its author
            target_post, target = parent
        elif by == "id":
            target = by_id.get((net, value))
            if (pk, edge) in parent_of:
                target_post = (parents.get((net, parent_of[(pk, edge)])) or (None, None))[0]
        else:
            target = by_handle.get((net, value))
        if target == source:
            continue  # talking to oneself is not influence
        key = f"{net}:i{target}" if target else f"{net}:{'#' if by == 'id' else '@'}{value}"[:220]
        if (pk, edge, key) in rows or per_post.get(pk, 0) >= MAX_TARGETS_PER_POST:
            continue
        per_post[pk] = per_post.get(pk, 0) + 1
        rows[(pk, edge, key)] = (workspace_id, source, target, key, edge, pk, target_post, at)
    # Plain multi-row INSERTs (no model instances): this runs after every stored batch.
    columns = ("workspace", "source", "target", "target_key", "kind", "post", "target_post", "created_at")
    authors = {a for _, _, a, *_ in posts}
    today = timezone.now().astimezone(UTC).date()
    snaps = [
        (workspace_id, pk, today, n)
        for pk, n in select_in(
            f"SELECT id, followers FROM {ident_table} WHERE followers IS NOT NULL AND id IN ({{in}})",  # noqa: S608 (table names and constants only)
            [],
            sorted(authors),
        )
    ]
    touched = authors | {r[2] for r in rows.values() if r[2]}
    now = timezone.now()
    with transaction.atomic():  # one commit for the batch's three writes
        insert_ignore(Interaction, columns, list(rows.values()), conflict=("post", "kind", "target_key"))
        upsert(  # a count already noted today is not written again
            FollowerSnapshot,
            ("workspace", "identity", "day", "followers"),
            snaps,
            conflict=("identity", "day"),
            update=("followers",),
            only_changed=("followers",),
        )
        insert_ignore(
            PendingUpdate,
            ("workspace", "identity", "queued_at"),
            [(workspace_id, i, now) for i in touched],
            conflict=("identity",),
        )
    return {"interactions": len(rows), "snapshots": len(snaps)}

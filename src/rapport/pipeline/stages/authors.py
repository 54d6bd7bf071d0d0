"""Author linking: find or create each author's social identity in bulk, and copy its person onto the post."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from rapport.identity.models import SocialIdentity, normalise_handle
from rapport.pipeline.sql import insert_ignore, select_in

if TYPE_CHECKING:
    from rapport.pipeline.stages.analyse import Item

IDENTITY_COLUMNS = ("workspace", "network", "external_id", "handle", "handle_key", "display_name", "followers")
_KNOWN_NETWORKS = {"twitter", "facebook", "instagram", "mastodon", "bluesky", "linkedin", "rss", "email", "chat"}


def identity_network(network: str) -> str:
    """Networks the identity model knows keep their name; anything else is filed as 'rss' (web sources)."""
    return network if network in _KNOWN_NETWORKS else "rss"


def _other_columns() -> tuple[tuple[str, ...], tuple]:
    """The identity columns this stage does not fill, with the value a model save would give them."""
    now = timezone.now()
    names, values = [], []
    for field in SocialIdentity._meta.concrete_fields:
        if field.primary_key or field.attname in IDENTITY_COLUMNS or field.name in IDENTITY_COLUMNS:
            continue
        names.append(field.name)
        values.append(
            now if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False) else field.get_default()
        )
    return tuple(names), tuple(values)


def _lookup(workspace_id: int, ext: set[tuple[str, str]], handles: set[tuple[str, str]]):
    by_ext: dict[tuple[str, str], tuple[int, int | None]] = {}
    by_handle: dict[tuple[str, str], tuple[int, int | None, str]] = {}
    table = SocialIdentity._meta.db_table
    base = f"SELECT id, person_id, external_id, handle_key FROM {table} WHERE workspace_id = %s AND network = %s AND "  # noqa: S608
    rows: list[tuple] = []
    for net in {n for n, _ in ext} | {n for n, _ in handles}:
        ext_ids = sorted(e for n, e in ext if n == net)
        keys = sorted(h for n, h in handles if n == net)
        if ext_ids:
            rows += [(net, *r) for r in select_in(base + "external_id IN ({in})", [workspace_id, net], ext_ids)]
        if keys:
            rows += [(net, *r) for r in select_in(base + "handle_key IN ({in})", [workspace_id, net], keys)]
    for net, pk, person, external_id, handle_key in rows:
        if external_id:
            by_ext[(net, external_id)] = (pk, person)
        if handle_key:
            by_handle[(net, handle_key)] = (pk, person, external_id)
    return by_ext, by_handle


Key = tuple[str, str, str]  # (identity network, author external id, handle key), computed once per item


def _keys(items: list[Item]) -> list[Key]:
    keys = []
    for item in items:
        author = item.post.get("author") or {}
        keys.append(
            (
                identity_network(item.post["network"]),
                author.get("external_id") or "",
                normalise_handle(author.get("handle")),
            )
        )
    return keys


def _resolve(key: Key, by_ext, by_handle) -> tuple[int, int | None] | None:
    net, ext, handle_key = key
    if ext and (net, ext) in by_ext:
        return by_ext[(net, ext)]
    if handle_key and (net, handle_key) in by_handle:
        pk, person, known_ext = by_handle[(net, handle_key)]
        # A handle now held by a different account id is someone else (handles get reused).
        if not ext or not known_ext or known_ext == ext:
            return pk, person
    return None


def link_authors(*, workspace_id: int, items: list[Item]) -> int:
    """Set author_id/person_id on every item, creating identities for new authors; return how many were created."""
    keys = _keys(items)
    ext: set[tuple[str, str]] = set()
    handles: set[tuple[str, str]] = set()
    for item, (net, ext_id, handle_key) in zip(items, keys, strict=True):
        if ext_id:
            ext.add((net, ext_id))
        if (item.post.get("author") or {}).get("handle"):
            handles.add((net, handle_key))
    by_ext, by_handle = _lookup(workspace_id, ext, handles)
    missing: dict[tuple[str, str, str], tuple] = {}
    fill_ext: dict[int, str] = {}
    for item, key in zip(items, keys, strict=True):
        found = _resolve(key, by_ext, by_handle)
        net, ext_id, handle_key = key
        if found is not None:
            item.author_id, item.person_id = found
            if ext_id and (net, handle_key) in by_handle and not by_handle[(net, handle_key)][2]:
                fill_ext[found[0]] = ext_id  # identity known by handle only: remember the network's stable id
            continue
        author = item.post.get("author") or {}
        handle = (author.get("handle") or "").strip().lstrip("@")
        if not ext_id and not handle:
            continue
        mkey = (net, ext_id, normalise_handle(handle))
        if mkey not in missing:
            followers = author.get("followers")
            missing[mkey] = (
                workspace_id,
                net,
                ext_id[:200],
                handle[:200],
                normalise_handle(handle)[:200],
                (author.get("name") or "")[:200],
                followers if isinstance(followers, int) and 0 <= followers < 2**31 else None,
            )
    for pk, ext_id in fill_ext.items():
        SocialIdentity.objects.filter(pk=pk, external_id="").update(external_id=ext_id[:200])
    if not missing:
        return 0
    # A handle now used by another account id was given up by its old holder (handles get reused): the old identity
    # keeps its id, person and history but no longer answers to the handle, so the new account can take it.
    released = [
        by_handle[(net, key)][0]
        for net, ext_id, key in missing
        if ext_id and key and (net, key) in by_handle and by_handle[(net, key)][2] not in ("", ext_id)
    ]
    if released:
        SocialIdentity.objects.filter(pk__in=released).update(handle="", handle_key="")
    # Concurrent workers may create the same identity: conflicts are skipped and the winner's row is read back.
    extra, values = _other_columns()
    insert_ignore(
        SocialIdentity, IDENTITY_COLUMNS + extra, [(*row, *values) for row in missing.values()], conflict=None
    )
    by_ext, by_handle = _lookup(
        workspace_id, {(n, e) for n, e, _ in missing if e}, {(n, h) for n, _, h in missing if h}
    )
    for item, key in zip(items, keys, strict=True):
        if item.author_id is None:
            found = _resolve(key, by_ext, by_handle)
            if found is not None:
                item.author_id, item.person_id = found
    return len(missing)

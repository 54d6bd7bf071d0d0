"""Author linking: each post's author resolves to a social identity (created when new), in bulk, through identity's
one find-or-create; the identity's person is copied onto the post."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rapport.identity.accounts import Account, account_network, resolve_accounts

if TYPE_CHECKING:
    from rapport.pipeline.stages.analyse import Item

identity_network = account_network  # the network a post's author is filed under


def _account(item: Item) -> Account:
    author = item.post.get("author") or {}
    return Account(
        item.post["network"],
        author.get("external_id") or "",
        author.get("handle") or "",
        author.get("name") or "",
        author.get("followers"),
    )


def link_authors(*, workspace_id: int, items: list[Item]) -> int:
    """Set author_id/person_id on every item, creating identities for new authors; return how many were created.

    The accounts go in sorted by network, id and handle: two workers creating overlapping sets of new authors then
    take the rows' locks in one order and wait for each other instead of deadlocking."""
    accounts = [_account(i) for i in items]
    order = sorted(range(len(items)), key=lambda n: accounts[n][:3])
    found, created = resolve_accounts(workspace_id=workspace_id, accounts=[accounts[n] for n in order])
    for n, hit in zip(order, found, strict=True):
        if hit is not None:
            items[n].author_id, items[n].person_id = hit
    return created

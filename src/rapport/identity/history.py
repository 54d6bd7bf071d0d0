"""A newly linked person's earlier posts: identity decides the link, the app that keeps posts attaches them.

Identity sits below listening, so it cannot read posts itself; listening registers the function that gives the
person an account's earlier posts (and their timeline entries) when it starts. Linking calls `attach` in the same
transaction, so a confirmed claim or an imported handle shows its history at once.
"""

from __future__ import annotations

from collections.abc import Callable

Attacher = Callable[..., int]  # attach(workspace_id=..., links={identity id: person id}) -> posts attached
_attachers: list[Attacher] = []


def register(attacher: Attacher) -> None:
    if attacher not in _attachers:
        _attachers.append(attacher)


def attach(*, workspace_id: int, links: dict[int, int]) -> int:
    """Give each linked person (identity id -> person id) the account's earlier posts; returns how many."""
    if not links:
        return 0
    return sum(a(workspace_id=workspace_id, links=links) for a in _attachers)

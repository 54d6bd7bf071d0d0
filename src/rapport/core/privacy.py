"""One rule for private messages (direct messages, email, web chat), for every app that lists, searches or exports.

A private message's text may be read by whoever may open its conversation in the care inbox: admins (the
`messages.read_private` permission) and the agents the inbox shows the conversation to. Everyone else sees that a
private message exists on a person's timeline (its time, channel and direction) but not what it says, and the
public-listening views (mentions, their search and charts) leave private messages out for every role: they
measure what is said in public.

The rule is stated with data every floor has: a `private` flag computed once where a post or its timeline entry is
created (`is_private`), and the reader's role. Which conversations an agent may open is care's knowledge; care
registers it here (`register_private_audience`) so that apps below care ask this module, never care itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rapport.core.models import User

PRIVATE_KINDS: frozenset[str] = frozenset({"direct_message"})
# Every message on these networks is addressed to the brand alone, whatever kind its connector gave it.
PRIVATE_NETWORKS: frozenset[str] = frozenset({"email", "chat"})
READ_PRIVATE = "messages.read_private"


def is_private(*, kind: str | None, network: str | None) -> bool:
    """Whether a post of this kind on this network is a private message."""
    return (kind or "") in PRIVATE_KINDS or (network or "") in PRIVATE_NETWORKS


@dataclass(frozen=True)
class Reader:
    """Who is reading: the workspace, the user (None for a job or an anonymous caller) and their role there."""

    workspace_id: int
    user: User | None
    role: str | None

    @property
    def reads_every_private(self) -> bool:
        from rapport.core.services import has_permission  # models import this module; services import models

        return has_permission(role=self.role, permission=READ_PRIVATE)


def reader_for(request: Any) -> Reader:
    """The reader behind a web or API request (the token's user for the API, the session's for the UI)."""
    actor = getattr(request, "actor", None)
    user = getattr(actor, "user", None) or getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    workspace = getattr(request, "workspace", None)
    return Reader(workspace_id=workspace.pk if workspace else 0, user=user, role=getattr(request, "role", None))


# fn(reader=..., post_ids=[...]) -> the ids among post_ids whose private text the reader may read.
Audience = Callable[..., Iterable[int]]
_audiences: list[Audience] = []


def register_private_audience(fn: Audience) -> None:
    """Let an app (care) say which private posts a reader may read besides those every admin may; idempotent."""
    if fn not in _audiences:
        _audiences.append(fn)


def readable_private_posts(*, reader: Reader | None, post_ids: Iterable[int]) -> set[int]:
    """The ids among these private posts whose text the reader may read: all for admins, else as care says.

    One call per page of rows, never one per row: the registered audiences answer for the whole set at once.
    """
    ids = {int(i) for i in post_ids}
    if not ids or reader is None or reader.role is None:
        return set()
    if reader.reads_every_private:
        return ids
    allowed: set[int] = set()
    for fn in _audiences:
        allowed |= {int(i) for i in fn(reader=reader, post_ids=sorted(ids - allowed))}
        if allowed >= ids:
            break
    return allowed & ids

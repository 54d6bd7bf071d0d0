"""Orders of the mentions list that apps above listening supply ("most influential authors first").

Listening sits below the apps that know more about an author (influence) and never imports them. Such an app
registers, from its AppConfig.ready, a named order: an integer expression per post (higher first, 0 when it knows
nothing of the author) computed in the database, so the list is sorted and paged by keyset like the newest-first
order. The mentions page and `GET /api/v1/mentions?sort=` offer the registered orders beside "newest".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NEWEST = "newest"


@dataclass(frozen=True)
class MentionOrder:
    name: str  # the value of ?sort=
    label: str  # what the page's sort menu says
    value_label: str  # what a row's value is called beside the author ("influence")
    # value(workspace_id): a Django expression, evaluated per Post row, giving a non-negative integer
    value: Callable[[int], Any]


_ORDERS: dict[str, MentionOrder] = {}


def register_mention_order(order: MentionOrder) -> None:
    """Called from an AppConfig.ready; the first registration of a name stays."""
    if order.name != NEWEST:
        _ORDERS.setdefault(order.name, order)


def mention_orders() -> list[MentionOrder]:
    return list(_ORDERS.values())


def mention_order(name: str) -> MentionOrder | None:
    """The registered order of that name; None for "newest" (the default) and for names nobody registered."""
    return _ORDERS.get(name)


def sort_names() -> list[str]:
    return [NEWEST, *_ORDERS]

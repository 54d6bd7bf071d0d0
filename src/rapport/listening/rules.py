"""Tracking rules compiled once per workspace and cached until a rule changes."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Count, Max

from rapport.listening.query import PostView, Predicate, QueryError, compile_query


@dataclass(frozen=True)
class CompiledRule:
    """A rule ready to test posts: its query predicate plus language and network restrictions."""

    id: int
    name: str
    predicate: Predicate
    languages: frozenset[str]
    networks: frozenset[str]
    query: str = ""

    @property
    def spec(self) -> tuple:
        """A picklable description from which compile_specs rebuilds the rule in another process."""
        return (self.id, self.name, self.query, tuple(sorted(self.languages)), tuple(sorted(self.networks)))

    def matches(self, view: PostView) -> bool:
        """Whether the post matches the rule's filters and query."""
        if self.languages and view.language not in self.languages:
            return False
        if self.networks and view.network not in self.networks:
            return False
        return self.predicate(view)


def matching_ids(rules: list[CompiledRule], view: PostView) -> list[int]:
    """Ids of the rules the post matches (CompiledRule.matches over a list, without a method call per rule)."""
    language, network = view.language, view.network
    return [
        r.id
        for r in rules
        if (not r.languages or language in r.languages)
        and (not r.networks or network in r.networks)
        and r.predicate(view)
    ]


_cache: dict[int, tuple[tuple, list[CompiledRule]]] = {}
_lock = threading.Lock()


def compiled_rules(workspace_id: int) -> list[CompiledRule]:
    """The workspace's active rules, compiled; recompiled only when a rule was added, changed or removed."""
    from rapport.listening.models import TrackingRule

    qs = TrackingRule.objects.filter(workspace_id=workspace_id, active=True)
    version = tuple(qs.aggregate(n=Count("id"), changed=Max("updated_at"), top=Max("id")).values())
    cached = _cache.get(workspace_id)
    if cached and cached[0] == version:
        return cached[1]
    rules = []
    for rule in qs.order_by("id"):
        try:
            predicate = compile_query(rule.query)
        except QueryError:
            continue  # saved rules are validated; one broken by hand in the database must not stop ingestion
        rules.append(
            CompiledRule(
                rule.id,
                rule.name,
                predicate,
                frozenset(rule.languages or ()),
                frozenset(rule.networks or ()),
                rule.query,
            )
        )
    with _lock:
        _cache[workspace_id] = (version, rules)
    return rules


@lru_cache(maxsize=64)
def compile_specs(specs: tuple) -> list[CompiledRule]:
    """Rules from their specs (see CompiledRule.spec); cached, so an analysis process compiles each set once."""
    return [
        CompiledRule(i, name, compile_query(query), frozenset(langs), frozenset(nets), query)
        for i, name, query, langs, nets in specs
    ]

"""Duplicates a second system would bring: variants of story people, for the identity review queue in the demo."""

from __future__ import annotations

from rapport.contacts.models import Person
from rapport.contacts.services import person_search_text
from rapport.core.models import Workspace

# (external_id, first_name, last_name, email, phone, city, country): as a loyalty or shop system would hold them.
VARIANTS = [
    ("shop-1001", "Maggie", "Ellison", "", "+12025550199", "Washington", "US"),
    ("shop-1002", "Hanne", "Kristensen", "hanne.k@post.example", "", "København", "DK"),
    ("shop-1003", "Sofie", "Lindquist", "sofie.lindqvist@mail.example", "", "Goteborg", "SE"),
    ("shop-1004", "J.", "Weber", "", "", "Zürich", "CH"),
    ("shop-1005", "Klaus", "Schmidt", "k.schmidt@web.example", "", "Köln", "DE"),
    ("shop-1006", "Mark", "Kohl", "", "+436641234567", "Vienna", "AT"),
]


def seed_duplicates(*, workspace: Workspace) -> int:
    """Add the variants once (idempotent by external_id); returns how many were added."""
    have = set(
        Person.objects.filter(workspace=workspace, external_id__in=[v[0] for v in VARIANTS]).values_list(
            "external_id", flat=True
        )
    )
    added = []
    for ext, first, last, email, phone, city, country in VARIANTS:
        if ext in have:
            continue
        p = Person(
            workspace=workspace,
            external_id=ext,
            first_name=first,
            last_name=last,
            email=email,
            phone=phone,
            city=city,
            country=country,
            lifecycle_stage="customer",
            tags=["shop-import"],
        )
        p.search_text, p.sort_name = person_search_text(p)
        added.append(p)
    Person.objects.bulk_create(added)
    return len(added)


def queue_likely_duplicates(*, workspace: Workspace) -> tuple[int, int]:
    """Find duplicates across the workspace and put every pair before a person: dedupe never merges by itself.

    Returns (likely duplicates found, pairs now waiting for review)."""
    from rapport.identity.importing import dedupe_workspace
    from rapport.identity.records import person_records, workspace_matcher
    from rapport.identity.services import queue_review

    rows, queued = dedupe_workspace(workspace=workspace, queue=True)
    clusters: dict[int, list[int]] = {}
    for row in rows:
        clusters.setdefault(int(row["cluster_id"]), []).append(int(row["contact_id"]))
    ids = [cid for members in clusters.values() for cid in members]
    records = {r["id"]: r for r in person_records(workspace, person_ids=ids)}
    matcher = workspace_matcher(workspace)
    for members in clusters.values():
        first, *others = sorted(members)
        for other in others:
            a, b = records[first], records[other]
            match = matcher.score(a, b)
            item = queue_review(
                workspace=workspace,
                left=first,
                right=other,
                score=match.score,
                match=match,
                source="dedupe",
                records=(a, b),
            )
            queued += item is not None
    return len(ids), queued

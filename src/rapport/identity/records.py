"""The bridge between the database and the matching engine: people as plain records, and the workspace's matcher."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from rapport.contacts.models import Affiliation, Person
from rapport.core.models import Workspace
from rapport.identity.matching import CandidateIndex, Match, Matcher
from rapport.identity.models import MatchSettings, SocialIdentity

CHUNK = 5000
RECORD_COLUMNS = [
    "id",
    "external_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "street",
    "city",
    "postcode",
    "country",
    "date_of_birth",
    "customer_number",
]


def match_settings(workspace: Workspace) -> MatchSettings:
    """The workspace's matching settings (created with the defaults on first use)."""
    settings, _ = MatchSettings.objects.get_or_create(workspace=workspace)
    return settings


def workspace_matcher(workspace: Workspace) -> Matcher:
    """The matcher for a workspace: its refitted parameters if it has any, with its thresholds."""
    settings = match_settings(workspace)
    matcher = Matcher.from_params(settings.params) if settings.params else Matcher.default()
    matcher.link_threshold = settings.link_threshold
    matcher.review_threshold = settings.review_threshold
    return matcher


def _records(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Attach identities and the primary organisation to a chunk of person rows."""
    ids = [r["id"] for r in rows]
    idents: dict[int, list[dict[str, str]]] = {}
    bios: dict[int, list[str]] = {}
    for pid, network, handle, ext, url, bio in SocialIdentity.objects.filter(person_id__in=ids).values_list(
        "person_id", "network", "handle", "external_id", "profile_url", "bio"
    ):
        idents.setdefault(pid, []).append(
            {"network": network, "handle": handle, "external_id": ext, "profile_url": url}
        )
        if bio:
            bios.setdefault(pid, []).append(bio)
    orgs: dict[int, str] = {}
    for pid, name in (
        Affiliation.objects.filter(person_id__in=ids)
        .order_by("-is_primary", "id")
        .values_list("person_id", "organization__name")
    ):
        orgs.setdefault(pid, name)
    out = []
    for r in rows:
        rec = dict(r)
        dob = rec.get("date_of_birth")
        rec["date_of_birth"] = dob.isoformat() if dob else None
        rec["identities"] = idents.get(r["id"], [])
        rec["organisation"] = orgs.get(r["id"], "")
        rec["bio"] = " ".join(bios.get(r["id"], []))
        out.append(rec)
    return out


def person_records(
    workspace: Workspace, *, person_ids: Iterable[int] | None = None, after: int = 0
) -> Iterator[dict[str, Any]]:
    """Every live person of the workspace (or the given ones, or those with ids above `after`) as matching
    records, read in id-ordered chunks."""
    qs = Person.objects.filter(workspace=workspace, merged_into__isnull=True)
    if person_ids is not None:
        qs = qs.filter(pk__in=list(person_ids))
    last = after
    while True:
        rows = list(qs.filter(pk__gt=last).order_by("pk").values(*RECORD_COLUMNS)[:CHUNK])
        if not rows:
            return
        yield from _records(rows)
        last = rows[-1]["id"]


def person_record(person: Person) -> dict[str, Any]:
    """One person as a matching record."""
    return next(iter(_records([{c: getattr(person, "pk" if c == "id" else c) for c in RECORD_COLUMNS}])))


def build_index(workspace: Workspace, *, index: CandidateIndex | None = None, after: int = 0) -> CandidateIndex:
    """A blocking index over the workspace's live people and their identities (or add those above id `after`)."""
    index = index if index is not None else CandidateIndex()
    batch: list[dict[str, Any]] = []
    for rec in person_records(workspace, after=after):
        batch.append(rec)
        if len(batch) >= CHUNK:
            index.add(batch)
            batch = []
    index.add(batch)
    return index


def explanation_json(match: Match | None) -> list[dict[str, Any]]:
    """A match's per-field explanation as JSON: field, level, weight (missing fields left out)."""
    if match is None:
        return []
    return [
        {"field": c.field, "level": c.level, "weight": round(c.weight, 3)}
        for c in match.explanation
        if c.level != "missing"
    ]

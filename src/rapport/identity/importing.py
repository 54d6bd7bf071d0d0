"""Matching during a contacts import, the per-row match report, and whole-workspace deduplication.

`rapport contacts import --match` and `rapport contacts dedupe` reach these through `contacts.matching`, which
identity fills in from its AppConfig.ready (see `contacts_hooks.py`): contacts sits below identity.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db.models import Max

from rapport.contacts.importer import ImportResult, RowDecision
from rapport.contacts.models import Person
from rapport.core import csvsafe
from rapport.core.models import Workspace
from rapport.identity.matching import CandidateIndex, Match, Matcher, dedupe, link_one
from rapport.identity.matching.linking import scored_pairs
from rapport.identity.models import ReviewItem, ReviewStatus
from rapport.identity.records import build_index, explanation_json, person_records, workspace_matcher

REPORT_COLUMNS = ["row", "external_id", "contact_id", "contact_external_id", "score", "decision"]
DEDUPE_COLUMNS = ["cluster_id", "contact_id", "score"]


class ImportMatcher:
    """A resolver for import_contacts: links each prepared row to the workspace's people (built once per import)."""

    def __init__(self, workspace: Workspace, *, index: CandidateIndex | None = None, matcher: Matcher | None = None):
        self.workspace = workspace
        self.matcher = matcher or workspace_matcher(workspace)
        self.last_pk = Person.objects.filter(workspace=workspace).aggregate(m=Max("pk"))["m"] or 0
        self.index = index if index is not None else build_index(workspace)
        # Per input line: the candidate's external id as it was before the import touched it, and the match.
        self.candidate_external_id: dict[int, str] = {}
        self.matches: dict[int, tuple[Match | None, dict[str, Any]]] = {}

    def _record(self, prepared) -> dict[str, Any]:
        fields = prepared.fields
        dob = fields.get("date_of_birth")
        return {
            "id": f"in:{prepared.line}",
            **{k: fields.get(k) for k in ("first_name", "last_name", "email", "phone", "street", "city")},
            **{k: fields.get(k) for k in ("postcode", "country", "customer_number")},
            "date_of_birth": dob.isoformat() if hasattr(dob, "isoformat") else dob,
            "organisation": prepared.organisation,
            "identities": [{"network": n, "handle": h} for n, h in prepared.handles],
        }

    def _catch_up(self) -> None:
        # People created since the index was built (earlier batches of this file) become candidates too.
        newest = Person.objects.filter(workspace=self.workspace).aggregate(m=Max("pk"))["m"] or 0
        if newest > self.last_pk:
            build_index(self.workspace, index=self.index, after=self.last_pk)
            self.last_pk = newest

    def __call__(self, batch: list) -> list[RowDecision]:
        """Decide linked / review / new for each row of a batch."""
        self._catch_up()
        ext_ids = [p.external_id for p in batch if p.external_id]
        by_ext: dict[str, tuple[int, str]] = {}
        if ext_ids:
            # The same external id is the same person: follow merges to whoever holds the record now.
            for pk, ext, merged_into in Person.objects.filter(
                workspace=self.workspace, external_id__in=ext_ids
            ).values_list("pk", "external_id", "merged_into"):
                by_ext[ext] = (merged_into or pk, ext)
        decisions = []
        for prepared in batch:
            if prepared.external_id in by_ext:
                pid, ext = by_ext[prepared.external_id]
                self.candidate_external_id[prepared.line] = ext
                decisions.append(RowDecision("linked", pid, 1.0))
                continue
            record = self._record(prepared)
            result = link_one(record, index=self.index, matcher=self.matcher)
            self.matches[prepared.line] = (result.match, record)
            if result.contact_id is None:
                decisions.append(RowDecision("new", None, 0.0))
                continue
            cand = self.index.records.raw.get(result.contact_id) or {}
            self.candidate_external_id[prepared.line] = cand.get("external_id") or ""
            decisions.append(RowDecision(result.decision, result.contact_id, round(result.score, 4)))
        return decisions


def queue_import_reviews(*, workspace: Workspace, result: ImportResult, resolver: ImportMatcher) -> int:
    """Queue every review-band row (created as a new person) beside the existing person it may be."""
    items = []
    for outcome in result.outcomes:
        decision = outcome["decision"]
        if decision.decision != "review" or not decision.person_id or decision.person_id == outcome["person_id"]:
            continue
        match, record = resolver.matches.get(outcome["line"], (None, {}))
        candidate = resolver.index.records.raw.get(decision.person_id) or {}
        new_id = outcome["person_id"]
        left, right = sorted((decision.person_id, new_id))
        records = [candidate, {**record, "id": new_id}]
        if left != decision.person_id:
            records.reverse()
        items.append(
            ReviewItem(
                workspace=workspace,
                left_id=left,
                right_id=right,
                score=round(float(decision.score), 4),
                explanation={"fields": explanation_json(match), "records": records},
                source="import",
            )
        )
    pending = ReviewItem.objects.filter(workspace=workspace, status=ReviewStatus.PENDING)
    before = pending.count()
    ReviewItem.objects.bulk_create(items, batch_size=1000, ignore_conflicts=True)
    return pending.count() - before


def report_rows(*, result: ImportResult, resolver: ImportMatcher) -> list[dict[str, Any]]:
    """One report row per imported input row (rejected rows are reported on their own, not here).

    `row` counts the data rows of the file from 1, rejected ones included, so it points at the input row.
    """
    lines = sorted({o["line"] for o in result.outcomes} | {r.line for r in result.rejected})
    row_of = {line: n for n, line in enumerate(lines, start=1)}
    rows = []
    for outcome in sorted(result.outcomes, key=lambda o: o["line"]):
        decision = outcome["decision"]
        matched = decision.decision in ("linked", "review") and decision.person_id
        rows.append(
            {
                "row": row_of[outcome["line"]],
                "external_id": outcome["external_id"],
                "contact_id": decision.person_id if matched else outcome["person_id"],
                "contact_external_id": resolver.candidate_external_id.get(outcome["line"], "") if matched else "",
                "score": f"{decision.score:.4f}",
                "decision": decision.decision,
            }
        )
    return rows


def match_outcome(
    *, workspace: Workspace, result: ImportResult, resolver: ImportMatcher, report: str | Path | None, dry_run: bool
) -> dict[str, int]:
    """After an import with matching: the report written when asked, doubtful rows queued for review unless it
    was a dry run; the counts per decision (and of queued reviews) for the import's summary."""
    rows = report_rows(result=result, resolver=resolver)
    if report:
        write_report(Path(report), rows, REPORT_COLUMNS)
    counts = {d: sum(1 for r in rows if r["decision"] == d) for d in ("linked", "review", "new")}
    if not dry_run:
        counts["queued_for_review"] = queue_import_reviews(workspace=workspace, result=result, resolver=resolver)
    return counts


def dedupe_report(
    *, workspace: Workspace, report: str | Path, queue_review: bool = False, progress: Any = None
) -> dict[str, Any]:
    """Write the workspace's clusters of likely duplicates to `report` (queueing doubtful pairs for review when
    asked) and return the summary `rapport contacts dedupe` prints. `progress` is `core.cli.progress_bar` when a
    terminal watches."""
    rows, queued = dedupe_workspace(workspace=workspace, queue=queue_review, progress=progress)
    write_report(Path(report), rows, DEDUPE_COLUMNS)
    clusters = len({r["cluster_id"] for r in rows})
    summary: dict[str, Any] = {"clusters": clusters, "contacts": len(rows), "report": str(report)}
    if queue_review:
        summary["queued_for_review"] = queued
    return summary


def write_report(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Write report rows as CSV with exactly these columns."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csvsafe.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def dedupe_workspace(
    *, workspace: Workspace, matcher: Matcher | None = None, queue: bool = False, progress: Any = None
) -> tuple[list[dict[str, Any]], int]:
    """Clusters of likely duplicates among the live people (cluster_id, contact_id, score), and how many
    doubtful pairs (between the review and link thresholds) were queued for review when `queue` is set."""
    from rapport.core.cli import no_progress
    from rapport.identity.services import queue_review

    progress = progress or no_progress
    matcher = matcher or workspace_matcher(workspace)
    records = list(person_records(workspace))
    with progress("comparing people", len(records)) as advance:
        rows = [
            {"cluster_id": cluster, "contact_id": cid, "score": f"{score:.4f}"}
            for cluster, cid, score in dedupe(records, matcher, advance=advance)
        ]
    queued = 0
    if queue:
        by_id = {r["id"]: r for r in records}
        with progress("finding pairs to review", len(records)) as advance:
            doubtful = scored_pairs(records, matcher, min_score=matcher.review_threshold, advance=advance)
        for m in doubtful:
            if m.score < matcher.link_threshold:
                pair = (by_id[m.a_id], by_id[m.b_id]) if m.a_id < m.b_id else (by_id[m.b_id], by_id[m.a_id])
                item = queue_review(
                    workspace=workspace,
                    left=m.a_id,
                    right=m.b_id,
                    score=m.score,
                    match=m,
                    source="dedupe",
                    records=pair,
                )
                queued += item is not None
    return rows, queued

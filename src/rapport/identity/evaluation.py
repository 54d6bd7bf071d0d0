"""Identity matching quality: precision, recall and F1 on held-out labelled pairs and end-to-end linking."""

from __future__ import annotations

import io
import json
import time
from typing import Any

from django.db import transaction

from rapport.contacts.csvfile import CANONICAL_HEADERS, NETWORK_COLUMNS
from rapport.contacts.importer import import_contacts
from rapport.contacts.validation import clean_person_fields
from rapport.core import csvsafe
from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.core.models import Workspace
from rapport.identity.importing import ImportMatcher, report_rows
from rapport.identity.matching import Matcher
from rapport.identity.matching.evaluate import evaluate, evaluate_linking, train_matcher
from rapport.identity.matching.synth import PairGenerator

GOALS = {"f1": 0.95, "auto_precision": 0.99}


def add_arguments(parser) -> None:
    """Options of `rapport eval identity`."""
    parser.add_argument("--pairs", type=int, default=6000, help="labelled pairs per seed")
    parser.add_argument("--train-seed", type=int, default=1)
    parser.add_argument("--eval-seed", type=int, default=2)
    parser.add_argument("--shipped", action="store_true", help="evaluate the shipped parameters instead of refitting")
    parser.add_argument(
        "--import-contacts", type=int, default=2000, help="contacts in the end-to-end import run (0 skips it)"
    )


def run(options: dict, write) -> None:
    """Train on one seed (or take the shipped matcher), evaluate on another, print the figures and a JSON summary."""
    t0 = time.perf_counter()
    if options.get("shipped"):
        matcher = Matcher.default()
    else:
        matcher = train_matcher(seed=options["train_seed"], n_pairs=options["pairs"])
    pairwise = evaluate(matcher=matcher, seed=options["eval_seed"], n_pairs=options["pairs"])
    linking = evaluate_linking(matcher=matcher, seed=options["eval_seed"], n_contacts=options["pairs"])
    auto, review = pairwise["auto"], pairwise["review"]
    source = "shipped parameters" if options.get("shipped") else f"trained on seed {options['train_seed']}"
    write(
        f"identity matching, {source}, evaluated on seed {options['eval_seed']} "
        f"({pairwise['n']:,} labelled pairs with typos, nicknames, swapped names, missing fields, households)"
    )
    write(
        f"  pairwise, automatic links (score >= {auto.threshold:.2f}): precision {auto.precision:.4f}  "
        f"recall {auto.recall:.4f}  F1 {auto.f1:.4f}   goals: F1 >= {GOALS['f1']}, precision >= "
        f"{GOALS['auto_precision']}"
    )
    write(
        f"  pairwise, linked or review (>= {review.threshold:.2f}):    precision {review.precision:.4f}  "
        f"recall {review.recall:.4f}  F1 {review.f1:.4f}"
    )
    write(f"  blocking recall (true partner among the top 20 candidates): {pairwise['blocking_recall']:.4f}")
    write(
        f"  end to end, {linking['incoming']:,} incoming against {linking['contacts']:,} contacts: precision "
        f"{linking['precision']:.4f}  recall {linking['recall']:.4f}  F1 {linking['f1']:.4f}; "
        f"{linking['review_share']:.1%} sent to review"
    )
    imported = None
    if options.get("import_contacts"):
        imported = through_import(seed=options["eval_seed"], n_contacts=options["import_contacts"])
        write(
            f"  through `contacts import --match` (shipped matcher, CSV + database), {imported['incoming']:,} rows "
            f"against {imported['contacts']:,} contacts: precision {imported['precision']:.4f}  recall "
            f"{imported['recall']:.4f}  F1 {imported['f1']:.4f}; {imported['review_share']:.1%} to review, "
            f"{imported['rejected']} rows rejected by validation"
        )
    summary = {
        "pairs": pairwise["n"],
        "auto_precision": round(auto.precision, 4),
        "auto_recall": round(auto.recall, 4),
        "auto_f1": round(auto.f1, 4),
        "review_recall": round(review.recall, 4),
        "linking_precision": round(linking["precision"], 4),
        "linking_recall": round(linking["recall"], 4),
        "linking_f1": round(linking["f1"], 4),
        "import_precision": round(imported["precision"], 4) if imported else None,
        "import_recall": round(imported["recall"], 4) if imported else None,
        "import_f1": round(imported["f1"], 4) if imported else None,
        "goals_met": auto.f1 >= GOALS["f1"] and auto.precision >= GOALS["auto_precision"],
        "seconds": round(time.perf_counter() - t0, 1),
    }
    write(json.dumps(summary))


def _csv(records: list[dict], prefix: str) -> bytes:
    """Records as an import file with the canonical headers (identities go to their network columns)."""
    out = io.StringIO()
    writer = csvsafe.DictWriter(out, fieldnames=CANONICAL_HEADERS, extrasaction="ignore")
    writer.writeheader()
    for rec in records:
        row = {k: rec.get(k) or "" for k in CANONICAL_HEADERS}
        if row["phone"]:
            # Generated numbers are often not real ones; the importer would rightly reject the whole row.
            try:
                clean_person_fields({"phone": row["phone"], "country": row["country"]})
            except FieldErrors:
                row["phone"] = ""
        row["external_id"] = f"{prefix}{rec['id']}"
        for ident in rec.get("identities") or []:
            if ident.get("network") in NETWORK_COLUMNS and ident.get("handle"):
                row[ident["network"]] = ident["handle"]
        writer.writerow(row)
    return out.getvalue().encode()


def through_import(*, seed: int, n_contacts: int) -> dict[str, Any]:
    """End to end through `contacts import --match`: CSV files, validation, the database and the report.

    Runs in a transaction that is rolled back, so nothing stays behind.
    """
    contacts, incoming, truth = PairGenerator(seed + 2000).linking_scenario(n_contacts)
    with transaction.atomic():
        workspace = Workspace.objects.create(slug=f"eval-identity-{seed}-{time.time_ns()}", name="identity evaluation")
        actor = Actor.system("rapport eval identity")
        base = import_contacts(workspace=workspace, actor=actor, stream=io.BytesIO(_csv(contacts, "c")))
        resolver = ImportMatcher(workspace)
        result = import_contacts(
            workspace=workspace, actor=actor, stream=io.BytesIO(_csv(incoming, "i")), resolver=resolver
        )
        rows = report_rows(result=result, resolver=resolver)
        transaction.set_rollback(True)
    linked = [r for r in rows if r["decision"] == "linked"]
    correct = sum(1 for r in linked if f"c{truth.get(int(r['external_id'][1:]))}" == r["contact_external_id"])
    flagged = [r for r in rows if r["decision"] in ("linked", "review")]
    found = sum(1 for r in flagged if f"c{truth.get(int(r['external_id'][1:]))}" == r["contact_external_id"])
    p = correct / len(linked) if linked else 1.0
    rec = correct / len(truth) if truth else 1.0
    return {
        "contacts": len(contacts),
        "incoming": len(incoming),
        "rejected": len(base.rejected) + len(result.rejected),
        "precision": p,
        "recall": rec,
        "f1": 2 * p * rec / (p + rec) if p + rec else 0.0,
        "review_recall": found / len(truth) if truth else 1.0,
        "review_share": sum(1 for r in rows if r["decision"] == "review") / max(len(rows), 1),
    }

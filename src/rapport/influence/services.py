"""Influence's door: recompute and update scores, read them with their explanations, honour objections.

Lawful basis: legitimate interest (Purpose.PROFILING in the consent ledger), computed from public posts and what
the networks publish about them (follower counts, reactions). A person who objected to profiling has no score, is
never ranked, and their rows are removed at the next recompute.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from rapport.core.bulk import insert, upsert
from rapport.influence import features as feats
from rapport.influence import incremental, scoring
from rapport.influence.models import Calibration, Interaction, PendingUpdate, Score, ScoreSnapshot

WINDOW_DAYS = 90
LABELS = {
    "reach": "Reach",
    "engagement": "Engagement",
    "amplification": "Amplification",
    "network": "Network position",
    "topical": "Topical authority",
}


def _objectors(workspace_id: int) -> set[int]:
    from rapport.consent.models import Purpose
    from rapport.consent.services import objectors

    return objectors(workspace_id, Purpose.PROFILING)


def _rows(workspace_id: int, since: datetime, identity_ids: set[int] | None, until: datetime | None = None):
    from rapport.identity.models import SocialIdentity
    from rapport.listening.models import Post, PostRule

    idents = SocialIdentity.objects.filter(workspace_id=workspace_id)
    posts = Post.objects.filter(workspace_id=workspace_id, private=False, author__isnull=False, created_at__gte=since)
    edges = Interaction.objects.filter(workspace_id=workspace_id, target__isnull=False, created_at__gte=since)
    if identity_ids is not None:
        idents = idents.filter(pk__in=identity_ids)
        posts = posts.filter(author_id__in=identity_ids)
        edges = edges.filter(target_id__in=identity_ids)
    rule_posts = PostRule.objects.filter(workspace_id=workspace_id, created_at__gte=since)
    if until is not None:  # a score as of a past day sees nothing later
        posts, edges = posts.filter(created_at__lte=until), edges.filter(created_at__lte=until)
        rule_posts = rule_posts.filter(created_at__lte=until)
    if identity_ids is not None:
        rule_posts = rule_posts.filter(post__author_id__in=identity_ids)
    ident_rows = list(idents.values_list("id", "person_id", "followers"))
    post_rows = list(posts.values_list("id", "author_id", "metrics").iterator(chunk_size=5000))
    edge_rows = list(edges.values_list("source_id", "target_id", "kind", "post_id", "target_post_id"))
    rule_rows = list(rule_posts.values_list("rule_id", "post_id"))
    travel: dict[int, int] = {}
    if identity_ids is not None:
        amplifying = {p for _, _, kind, p, _ in edge_rows if kind in ("repost", "quote")}
        for pid, metrics in Post.objects.filter(pk__in=amplifying).values_list("id", "metrics"):
            travel[pid] = sum(feats._int(metrics, m) for m in feats.SHARE_METRICS)
        for tp in Interaction.objects.filter(target_post_id__in=amplifying).values_list("target_post_id", flat=True):
            travel[tp] = travel.get(tp, 0) + 1
    return ident_rows, post_rows, edge_rows, rule_rows, travel


def _score_rows(workspace_id, f, cal, *, subjects, persons, identities, listed, topic, now, keep=None):
    """Score rows as tuples in SCORE_COLUMNS order (written by the bulk helpers, no model instance per row)."""
    result = scoring.score(f, cal)
    scores = result.scores.tolist()
    points = result.points.tolist()
    values = {name: f[name].tolist() for name in feats.FEATURES}
    rows = []
    for k in range(len(f["ids"])):
        if keep is not None and not keep[k]:
            continue
        features = {name: round(float(values[name][k]), 9 if name == "pagerank" else 2) for name in feats.FEATURES}
        features["nodes"] = cal.nodes  # the graph's size: "PageRank 4x the average account" reads on its own
        rows.append(
            (
                workspace_id,
                subjects[k],
                topic,
                identities[k],
                persons[k],
                bool(listed[k]),
                int(scores[k]),
                dict(zip(scoring.COMPONENTS, points[k], strict=True)),
                features,
                {},
                now,
            )
        )
    return rows


def _subject_rows(workspace_id, f, people, cal, now, objecting, topic=0, topic_arrays=None):
    """Score rows of identities (linked ones unlisted) and of people, overall or for one topic."""
    import numpy as np

    fi = dict(f)
    fp = dict(people)
    if topic_arrays is not None:
        fi["topic_posts"], fi["topic_reactions"] = topic_arrays[0]
        fp["topic_posts"], fp["topic_reactions"] = topic_arrays[1]
    allowed_i = np.array([int(p) not in objecting for p in f["person"]], bool)
    allowed_p = np.array([int(p) not in objecting for p in people["ids"]], bool)
    if topic:
        allowed_i &= fi["topic_posts"] > 0
        allowed_p &= fp["topic_posts"] > 0
    rows = _score_rows(
        workspace_id,
        fi,
        cal,
        subjects=[f"i{int(i)}" for i in f["ids"]],
        persons=[int(p) or None for p in f["person"]],
        identities=[int(i) for i in f["ids"]],
        listed=f["person"] == 0,
        topic=topic,
        now=now,
        keep=allowed_i,
    )
    rows += _score_rows(
        workspace_id,
        fp,
        cal,
        subjects=[f"p{int(p)}" for p in people["ids"]],
        persons=[int(p) for p in people["ids"]],
        identities=[None] * len(people["ids"]),
        listed=np.ones(len(people["ids"]), bool),
        topic=topic,
        now=now,
        keep=allowed_p,
    )
    return rows


SNAPSHOT_COLUMNS = ("workspace", "subject", "identity", "person", "day", "score", "components")
SCORE_COLUMNS = (
    "workspace",
    "subject",
    "topic",
    "identity",
    "person",
    "listed",
    "score",
    "components",
    "features",
    "evidence",
    "updated_at",
)


def _snapshot(workspace_id: int, rows: list[tuple], day: date) -> None:
    """Today's snapshot of each overall row (a later run the same day overwrites it): plain multi-row upserts."""
    upsert(
        ScoreSnapshot,
        SNAPSHOT_COLUMNS,
        [
            (workspace_id, subject, identity, person, day, score, components)
            for _, subject, topic, identity, person, _, score, components, *_ in rows
            if topic == 0
        ],
        conflict=("workspace", "subject", "day"),
        update=("score", "components"),
    )


def recompute(workspace_id: int, *, now: datetime | None = None, window_days: int = WINDOW_DAYS) -> dict[str, Any]:
    """Rebuild every score of a workspace: features, PageRank, the scale, overall and per-rule rows, snapshots."""
    import time

    now = now or timezone.now()
    started = time.perf_counter()
    _resolve_targets(workspace_id)
    rows = _rows(workspace_id, now - timedelta(days=window_days), None, until=now)
    loaded = time.perf_counter()
    f = feats.with_pagerank(feats.build(*rows[:4]))
    people = feats.by_person(f)
    ranked = time.perf_counter()
    cal = scoring.calibrate(f, len(f["ids"]))
    objecting = _objectors(workspace_id)
    out = _subject_rows(workspace_id, f, people, cal, now, objecting)
    for rule, arrays in f["topics"].items():
        out += _subject_rows(
            workspace_id, f, people, cal, now, objecting, topic=rule, topic_arrays=(arrays, people["topics"][rule])
        )
    scored = time.perf_counter()
    with transaction.atomic():
        Score.objects.filter(workspace_id=workspace_id).delete()
        insert(Score, SCORE_COLUMNS, out)
        _snapshot(workspace_id, out, now.astimezone(UTC).date())
        if objecting:
            ScoreSnapshot.objects.filter(workspace_id=workspace_id, person_id__in=objecting).delete()
            ScoreSnapshot.objects.filter(workspace_id=workspace_id, identity__person_id__in=objecting).delete()
        Calibration.objects.update_or_create(
            workspace_id=workspace_id,
            defaults={"params": cal.as_dict(), "authors": len(f["ids"]), "computed_at": now},
        )
        PendingUpdate.objects.filter(workspace_id=workspace_id, queued_at__lte=now).delete()
    return {
        "identities": len(f["ids"]),
        "people": len(people["ids"]),
        "interactions": len(f["edges"][0]),
        "rows": len(out),
        "seconds": {
            "load": round(loaded - started, 3),
            "graph": round(ranked - loaded, 3),
            "score": round(scored - ranked, 3),
            "write": round(time.perf_counter() - scored, 3),
        },
    }


def _resolve_targets(workspace_id: int) -> int:
    """Point edges written before their target account was known at it (by handle or external id): the open keys'
    accounts are looked up in bulk, one query per network and kind of key, and only the keys found are updated."""
    from rapport.identity.models import SocialIdentity

    open_keys = list(
        Interaction.objects.filter(workspace_id=workspace_id, target__isnull=True)
        .values_list("target_key", flat=True)
        .distinct()[:50_000]
    )
    wanted: dict[tuple[str, str], dict[str, str]] = {}  # (network, field) -> value -> key
    for key in open_keys:
        network, _, rest = key.partition(":")
        if rest[1:] and rest[0] in "@#":
            wanted.setdefault((network, "handle_key" if rest[0] == "@" else "external_id"), {})[rest[1:]] = key
    found: dict[str, int] = {}
    for (network, name), values in wanted.items():
        keys = list(values)
        for start in range(0, len(keys), 5000):
            for pk, value in (
                SocialIdentity.objects.filter(
                    workspace_id=workspace_id, network=network, **{f"{name}__in": keys[start : start + 5000]}
                )
                .order_by("pk")
                .values_list("pk", name)
            ):
                found.setdefault(values[value], pk)  # the first account, as before
    fixed = 0
    for key, pk in found.items():
        fixed += (
            Interaction.objects.filter(workspace_id=workspace_id, target__isnull=True, target_key=key)
            .exclude(source_id=pk)
            .update(target_id=pk)
        )
    return fixed


def refresh(workspace_id: int | None = None, *, limit: int = 5000, now: datetime | None = None) -> dict[str, int]:
    """Incremental update: rescore the identities whose interactions changed, against the last full scale
    (PageRank is kept from the last recompute; new accounts start at the teleport level)."""
    import numpy as np

    now = now or timezone.now()
    workspaces = (
        [workspace_id]
        if workspace_id
        else list(PendingUpdate.objects.values_list("workspace_id", flat=True).distinct()[:100])
    )
    done = 0
    for ws in workspaces:
        cal_row = Calibration.objects.filter(workspace_id=ws).first()
        if cal_row is None:
            recompute(ws, now=now)
            continue
        pending = list(
            PendingUpdate.objects.filter(workspace_id=ws)
            .order_by("queued_at", "id")
            .values_list("id", "identity_id")[:limit]
        )
        if not pending:
            continue
        # A person's score adds up all their accounts: their other identities are rescored with them.
        ids = incremental.with_linked(ws, [i for _, i in pending])
        cal = scoring.Calibration.from_dict(cal_row.params)
        f = incremental.features_for(ws, ids, now - timedelta(days=WINDOW_DAYS), now)
        known = incremental.stored_pagerank(ws, ids)
        teleport = 1.0 / max(cal.nodes, 1)
        f["pagerank"] = np.array([known.get(int(i), teleport) for i in f["ids"]])
        people = feats.by_person(f)
        objecting = _objectors(ws)
        out = _subject_rows(ws, f, people, cal, now, objecting)
        with transaction.atomic():
            upsert(
                Score,
                SCORE_COLUMNS,
                out,
                conflict=("workspace", "subject", "topic"),
                update=("identity", "person", "listed", "score", "components", "features", "updated_at"),
            )
            _snapshot(ws, out, now.astimezone(UTC).date())
            incremental.delete_pending([pk for pk, _ in pending])
        done += len(out)
    return {"rescored": done}


# Reading -------------------------------------------------------------------------------------------------------


def _fmt(n: float) -> str:
    return f"{n:,.0f}" if abs(n) >= 10 or float(n).is_integer() else f"{n:,.1f}"


def component_details(features: dict[str, float], cal: dict[str, Any] | None = None) -> dict[str, str]:
    """One sentence per component saying what evidence it stands on."""
    from rapport.influence.scoring import AUDIENCE_PER_REACTION

    followers = features.get("followers", 0)
    reactions = features.get("reactions", 0)
    shares = features.get("shares", 0)
    posts = features.get("posts", 0)
    credited = min(followers, AUDIENCE_PER_REACTION * (1 + reactions + shares))
    reach = f"{_fmt(followers)} followers"
    if credited < followers:
        reach += f", {_fmt(credited)} credited (the engagement received vouches for no more)"
    per_post = reactions / posts if posts else 0
    engagement = (
        f"{_fmt(reactions)} reactions on {_fmt(posts)} posts ({_fmt(per_post)} per post"
        + (", shrunk towards the average: few posts)" if posts < 2 * scoring.SHRINK_POSTS else ")")
        if posts
        else "no posts heard in the last 90 days"
    )
    amplification = (
        f"{_fmt(shares)} reposts, quotes and replies by others"
        + (f" from {_fmt(features.get('amplifiers', 0))} accounts" if features.get("amplifiers") else "")
        + (
            f"; their reposts travelled {_fmt(features.get('second_degree', 0))} further"
            if features.get("second_degree")
            else ""
        )
    )
    nodes = (cal or {}).get("nodes") or features.get("nodes") or 0
    pr = features.get("pagerank", 0) * max(nodes, 1)
    network = f"PageRank {pr:.2f}× the average account" + (f" of {nodes:,}" if nodes else "")
    topic_posts, topic_reactions = features.get("topic_posts", 0), features.get("topic_reactions", 0)
    topical = f"{_fmt(topic_posts)} posts on tracked topics, {_fmt(topic_reactions)} reactions to them"
    return {
        "reach": reach,
        "engagement": engagement,
        "amplification": amplification,
        "network": network,
        "topical": topical,
    }


def components_out(row: Score, cal: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    details = component_details(row.features or {}, cal)
    return [
        {
            "name": name,
            "label": LABELS[name],
            "value": int((row.components or {}).get(name, 0)),
            "detail": details[name],
        }
        for name in scoring.COMPONENTS
    ]


def calibration(workspace_id: int) -> dict[str, Any]:
    row = Calibration.objects.filter(workspace_id=workspace_id).first()
    return dict(row.params, nodes=row.authors) if row else {}


def change_since(subject_rows: Iterable[Score], *, days: int = 7, now: datetime | None = None) -> dict[str, int]:
    """Score change since `days` ago (the latest snapshot on or before that day) for each subject."""
    rows = list(subject_rows)
    if not rows:
        return {}
    day = (now or timezone.now()).astimezone(UTC).date() - timedelta(days=days)
    before: dict[str, int] = {}
    for subject, score in (
        ScoreSnapshot.objects.filter(
            workspace_id=rows[0].workspace_id, subject__in=[r.subject for r in rows], day__lte=day
        )
        .order_by("subject", "day")
        .values_list("subject", "score")
    ):
        before[subject] = score  # ordered by day: the last one wins
    return {r.subject: r.score - before[r.subject] for r in rows if r.subject in before}


def influence_out(row: Score, cal: dict[str, Any] | None = None, change: int | None = None) -> dict[str, Any]:
    return {
        "score": row.score,
        "components": components_out(row, cal),
        "updated_at": row.updated_at,
        "change_7d": change,
    }


def person_score(person) -> Score | None:
    """The current overall score of a person (None when they objected or have no account heard)."""
    from rapport.consent.models import Purpose
    from rapport.consent.services import may_process

    if not may_process(person, Purpose.PROFILING):
        return None
    return Score.objects.filter(workspace_id=person.workspace_id, subject=f"p{person.pk}", topic=0).first()


def contact_influence(person) -> dict[str, Any] | None:
    """`influence` on a contact's detail: score, additive components with their reasons, updated_at."""
    row = person_score(person)
    if row is None:
        return None
    return influence_out(row, calibration(person.workspace_id), change_since([row]).get(row.subject))


def history(person, *, days: int = 365) -> list[dict[str, Any]]:
    from rapport.consent.models import Purpose
    from rapport.consent.services import may_process

    if not may_process(person, Purpose.PROFILING):
        return []
    return subject_history(person.workspace_id, f"p{person.pk}", days=days)


def subject_history(workspace_id: int, subject: str, *, days: int = 365) -> list[dict[str, Any]]:
    """The daily overall scores of a person ("p<id>") or an account ("i<id>"), oldest first (no consent check:
    callers check it)."""
    since = timezone.now().astimezone(UTC).date() - timedelta(days=days)
    return [
        {"day": d, "score": s, "components": c}
        for d, s, c in ScoreSnapshot.objects.filter(workspace_id=workspace_id, subject=subject, day__gte=since)
        .order_by("day")
        .values_list("day", "score", "components")
    ]


def ranked(workspace_id: int, *, topic: int = 0, limit: int = 25, cursor: str | None = None):
    """The listed scores of a workspace (or a rule), highest first; objectors never appear."""
    from rapport.core.pagination import keyset_page

    qs = Score.objects.filter(workspace_id=workspace_id, topic=topic, listed=True)
    objecting = _objectors(workspace_id)
    if objecting:
        qs = qs.exclude(person_id__in=objecting)
    return keyset_page(qs, fields=["score", "id"], descending=True, limit=limit, cursor=cursor)


def scores_for(
    workspace_id: int, *, person_ids: Iterable[int] = (), identity_ids: Iterable[int] = ()
) -> dict[str, Score]:
    """Overall scores by subject ("p<id>", "i<id>") for a batch (triage): one query, objectors left out."""
    subjects = [f"p{p}" for p in person_ids] + [f"i{i}" for i in identity_ids]
    if not subjects:
        return {}
    rows = list(Score.objects.filter(workspace_id=workspace_id, topic=0, subject__in=subjects))
    people = {r.person_id for r in rows if r.person_id}
    if people:  # the consent ledger is read only when somebody in the batch has a score
        from rapport.consent.models import Purpose
        from rapport.consent.services import permitted

        allowed = permitted(workspace_id, people, Purpose.PROFILING)
        rows = [r for r in rows if not r.person_id or r.person_id in allowed]
    return {r.subject: r for r in rows}


def explanation(row: Score) -> str:
    """A line for triage and lists: the score and its two strongest components."""
    parts = sorted(components_out(row), key=lambda c: -c["value"])[:2]
    return f"influence {row.score}: " + "; ".join(f"{c['label'].lower()} {c['value']} ({c['detail']})" for c in parts)


def author_influence(workspace_id: int):
    """An expression per listening Post: its author's overall score (their person's when the post is linked to a
    person, else the account's), 0 when unscored or when the person objected to profiling. Listening's mentions
    list sorts by it ("most influential authors first") through the order influence registers there."""
    from django.db.models import Case, IntegerField, OuterRef, Subquery, Value, When
    from django.db.models.functions import Coalesce

    objecting = sorted(_objectors(workspace_id))
    person = Score.objects.filter(
        workspace_id=workspace_id, topic=0, identity__isnull=True, person_id=OuterRef("person_id")
    )
    account = Score.objects.filter(workspace_id=workspace_id, topic=0, identity_id=OuterRef("author_id"))
    if objecting:
        account = account.exclude(person_id__in=objecting)
    value = Coalesce(
        Subquery(person.values("score")[:1]),
        Subquery(account.values("score")[:1]),
        Value(0),
        output_field=IntegerField(),
    )
    if objecting:
        value = Case(When(person_id__in=objecting, then=Value(0)), default=value, output_field=IntegerField())
    return value

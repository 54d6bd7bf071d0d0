"""The incremental update's features, added up by the database: a few GROUP BY queries for the touched accounts.

The full recompute reads every post and edge of the window into Python (it needs the whole graph for PageRank);
an incremental update only needs the sums of a thousand accounts, which the database computes in one pass over
its indexes without shipping a row per post. The sums follow features.build exactly (the tests hold them equal):
posts, reactions and shares as the networks report them, reposts, quotes and replies seen in the stream, distinct
amplifiers, second-degree travel of the posts that shared them, and posts on tracked topics.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection

from rapport.influence import features as feats


def _metric(column: str, key: str) -> str:
    """SQL for one metric of a post: its value when a positive integer, else 0 (features._int)."""
    if connection.vendor == "postgresql":
        return (
            f"(CASE WHEN jsonb_typeof({column} -> '{key}') = 'number' AND ({column} ->> '{key}') ~ '^[0-9]+$' "
            f"THEN ({column} ->> '{key}')::bigint ELSE 0 END)"
        )
    return (
        f"(CASE WHEN json_type({column}, '$.{key}') = 'integer' AND json_extract({column}, '$.{key}') > 0 "
        f"THEN json_extract({column}, '$.{key}') ELSE 0 END)"
    )


def _sum(column: str, keys: Sequence[str]) -> str:
    return " + ".join(_metric(column, k) for k in keys)


def json_number(column: str, key: str) -> str:
    """SQL reading a number stored under `key` of a JSON column."""
    if connection.vendor == "postgresql":
        return f"({column} ->> '{key}')::float8"
    return f"json_extract({column}, '$.{key}')"


_IDS = object()  # the place of the list among a query's parameters


def _query(sql: str, params: list[Any], ids: Sequence[int], *, fetch: bool = True) -> list[tuple]:
    """Run sql whose `= ANY({ids})` takes one list parameter (_IDS among params): one array on PostgreSQL (no
    placeholder per value to bind), chunked IN lists on SQLite."""
    ids = list(ids)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(sql.replace("{ids}", "%s"), [p if p is not _IDS else ids for p in params])
            return cursor.fetchall() if fetch else []
        out: list[tuple] = []
        step = 900  # each chunk's ids appear once per marker; well below SQLite's bound variables
        for start in range(0, len(ids), step):
            chunk = ids[start : start + step]
            marks = ", ".join(["%s"] * len(chunk))
            expanded: list[Any] = []
            for p in params:
                expanded.extend(chunk if p is _IDS else [p])
            cursor.execute(sql.replace("= ANY({ids})", f"IN ({marks})"), expanded)
            if fetch:
                out.extend(cursor.fetchall())
        return out


def _tables() -> dict[str, str]:
    from rapport.identity.models import SocialIdentity
    from rapport.influence.models import Interaction, PendingUpdate, Score
    from rapport.listening.models import Post, PostRule

    q = connection.ops.quote_name
    return {
        "post": q(Post._meta.db_table),
        "rule": q(PostRule._meta.db_table),
        "edge": q(Interaction._meta.db_table),
        "ident": q(SocialIdentity._meta.db_table),
        "score": q(Score._meta.db_table),
        "pending": q(PendingUpdate._meta.db_table),
    }


def with_linked(workspace_id: int, identity_ids: Sequence[int]) -> list[int]:
    """The identities and every other account of the people they belong to (a person's score adds them up)."""
    t = _tables()
    rows = _query(
        f"SELECT id FROM {t['ident']} WHERE workspace_id = %s AND person_id IN "  # noqa: S608 (table names and constants only)
        f"(SELECT person_id FROM {t['ident']} WHERE id = ANY({{ids}}) AND person_id IS NOT NULL)",
        [workspace_id, _IDS],
        identity_ids,
    )
    return sorted({int(i) for i in identity_ids} | {int(i) for (i,) in rows})


def stored_pagerank(workspace_id: int, identity_ids: Sequence[int]) -> dict[int, float]:
    """The PageRank the last full recompute gave these identities."""
    t = _tables()
    rows = _query(
        f"SELECT identity_id, {json_number('features', 'pagerank')} FROM {t['score']} WHERE workspace_id = %s "  # noqa: S608 (table names and constants only)
        f"AND topic = 0 AND identity_id = ANY({{ids}})",
        [workspace_id, _IDS],
        identity_ids,
    )
    return {int(i): float(v) for i, v in rows if v is not None}


def delete_pending(ids: Sequence[int]) -> None:
    _query(f"DELETE FROM {_tables()['pending']} WHERE id = ANY({{ids}})", [_IDS], ids, fetch=False)  # noqa: S608 (table names and constants only)


def features_for(workspace_id: int, identity_ids: Sequence[int], since: datetime, until: datetime) -> dict[str, Any]:
    """Feature arrays (as features.build returns them, without edges) of these identities over [since, until]."""
    import numpy as np

    ids = sorted({int(i) for i in identity_ids})
    t = _tables()
    adapt = connection.ops.adapt_datetimefield_value
    lo, hi = adapt(since), adapt(until)
    shares = _sum("p.metrics", feats.SHARE_METRICS)
    public = "p.workspace_id = %s AND p.private = %s AND p.created_at >= %s AND p.created_at <= %s"
    public_params = [workspace_id, False, lo, hi]
    kinds = ", ".join(f"'{k}'" for k in feats.SHARE_KINDS)
    edge_in_window = "e.workspace_id = %s AND e.target_id IS NOT NULL AND e.created_at >= %s AND e.created_at <= %s"

    idents = _query(
        f"SELECT id, person_id, followers FROM {t['ident']} WHERE workspace_id = %s AND id = ANY({{ids}})",  # noqa: S608 (table names and constants only)
        [workspace_id, _IDS],
        ids,
    )
    # One pass over the accounts' posts: each metric read once, topic matches looked up by the post's key.
    # On PostgreSQL, OFFSET 0 keeps the inner query a unit, so each post's topic lookup runs once, not per use.
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    metrics = ", ".join(f"{_metric('p.metrics', m)} AS m_{m}" for m in feats.REACTION_METRICS)
    posts = _query(
        f"SELECT author_id, COUNT(*), SUM({' + '.join('m_' + m for m in feats.REACTION_METRICS)}), "  # noqa: S608 (table names and constants only)
        f"SUM({' + '.join('m_' + m for m in feats.SHARE_METRICS)}), SUM(topic), "
        f"SUM(topic * ({' + '.join('m_' + m for m in feats.REACTION_METRICS)})) FROM ("
        # The matches are looked up by post (its unique index), within the window as the full recompute reads them.
        f"SELECT p.author_id, {metrics}, CASE WHEN EXISTS (SELECT 1 FROM {t['rule']} r WHERE r.post_id = p.id "
        f"AND r.created_at >= %s AND r.created_at <= %s) THEN 1 ELSE 0 END AS topic FROM {t['post']} p "
        f"WHERE {public} AND p.author_id = ANY({{ids}}){fence}) q GROUP BY author_id",
        [lo, hi, *public_params, _IDS],
        ids,
    )
    stream = _query(
        f"SELECT e.target_id, COUNT(*), COUNT(DISTINCT e.source_id) FROM {t['edge']} e "  # noqa: S608 (table names and constants only)
        f"WHERE {edge_in_window} AND e.target_id = ANY({{ids}}) AND e.source_id <> e.target_id "
        f"AND e.kind IN ({kinds}) GROUP BY e.target_id",
        [workspace_id, lo, hi, _IDS],
        ids,
    )
    # Second degree: what each repost or quote of the account travelled further (its reported shares when it is a
    # public post of the window, and the answers, reposts and quotes of it seen in the stream).
    second = _query(
        f"SELECT e.target_id, SUM("  # noqa: S608 (table names and constants only)
        f"  COALESCE((SELECT {shares} FROM {t['post']} p WHERE p.id = e.post_id AND p.author_id IS NOT NULL"
        f"            AND {public}), 0)"
        f"  + (SELECT COUNT(*) FROM {t['edge']} x WHERE x.target_post_id = e.post_id AND x.workspace_id = %s"
        f"     AND x.target_id IS NOT NULL AND x.created_at >= %s AND x.created_at <= %s"
        f"     AND x.source_id <> x.target_id AND x.kind IN ({kinds}))"
        f") FROM {t['edge']} e WHERE {edge_in_window} AND e.target_id = ANY({{ids}}) AND e.source_id <> e.target_id "
        f"AND e.kind IN ('repost', 'quote') GROUP BY e.target_id",
        [*public_params, workspace_id, lo, hi, workspace_id, lo, hi, _IDS],
        ids,
    )
    idents.sort()
    n = len(idents)
    index = {int(i): k for k, (i, _, _) in enumerate(idents)}
    arr = {name: np.zeros(n) for name in feats.FEATURES}
    metric_reactions, metric_shares, stream_shares = np.zeros(n), np.zeros(n), np.zeros(n)
    arr["followers"] = np.array([f or 0 for _, _, f in idents], float)
    for author, count, r, s, topic, topic_r in posts:
        k = index[int(author)]
        arr["posts"][k], metric_reactions[k], metric_shares[k] = count, float(r or 0), float(s or 0)
        arr["topic_posts"][k], arr["topic_reactions"][k] = float(topic or 0), float(topic_r or 0)
    for target, count, distinct in stream:
        k = index[int(target)]
        stream_shares[k], arr["amplifiers"][k] = count, distinct
    for target, travelled in second:
        arr["second_degree"][index[int(target)]] = float(travelled or 0)
    arr["shares"] = np.maximum(metric_shares, stream_shares)
    arr["reactions"] = np.maximum(metric_reactions, stream_shares)
    return {
        "ids": np.array([i for i, _, _ in idents], np.int64),
        "person": np.array([p or 0 for _, p, _ in idents], np.int64),
        "index": index,
        **arr,
        "edges": (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)),
        "topics": {},
    }

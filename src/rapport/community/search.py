"""Full-text search of questions with their public answers: one entry point, `search`, over PostgreSQL's full text
(a stored, weighted tsvector per question with a GIN index: title A, body B, public answers C; websearch syntax,
English stemming, ranked by ts_rank) or SQLite's FTS5 (a porter-stemmed virtual table ranked by bm25), with a plain
containment search where neither is available.

The index holds public text only: a held, hidden or deleted question has no entry, a hidden answer's words are left
out, and every search still joins the live question row and requires it public, so a stale entry can never show a
post that was taken down. `refresh` is called by every write that changes what a question's entry should say.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from django.db import connection
from django.db.models import F, Q

from rapport.community.models import Question
from rapport.core.apitypes import CONTROL

CONFIG = "english"
FTS_TABLE = "community_question_fts"
MAX_WORDS = 8
WORD = re.compile(r"\w+", re.UNICODE)


def backend() -> str:
    """ "postgresql", "fts5" or "plain"."""
    if connection.vendor == "postgresql":
        return "postgresql"
    if connection.vendor == "sqlite" and _fts5_ready():
        return "fts5"
    return "plain"


@lru_cache(maxsize=4)
def _fts5_table_exists(alias: str) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM sqlite_master WHERE name = %s", [FTS_TABLE])
        return cur.fetchone() is not None


def _fts5_ready() -> bool:
    return _fts5_table_exists(connection.settings_dict["NAME"])


def words(text: str) -> list[str]:
    return WORD.findall(CONTROL.sub(" ", text or ""))[:MAX_WORDS]


# --- keeping the index -----------------------------------------------------------------------------------------

# Written out in full (no string building): the table and column names are fixed, every value is a parameter.
_PG_SET = """
UPDATE community_question q SET search_vector = CASE WHEN q.hidden THEN NULL ELSE
    setweight(to_tsvector('english', q.title), 'A')
    || setweight(to_tsvector('english', q.body), 'B')
    || setweight(to_tsvector('english', coalesce((
        SELECT string_agg(a.body, ' ' ORDER BY a.id) FROM community_answer a
        WHERE a.question_id = q.id AND NOT a.hidden), '')), 'C')
END
"""
PG_BY_IDS = _PG_SET + "WHERE q.id = ANY(%s)"
PG_BY_WORKSPACE = _PG_SET + "WHERE q.workspace_id = %s"
PG_ALL = _PG_SET

_FTS_ROWS = """
INSERT INTO community_question_fts(rowid, text)
SELECT q.id, q.title || ' ' || q.body || ' ' || coalesce((
    SELECT group_concat(a.body, ' ') FROM community_answer a WHERE a.question_id = q.id AND NOT a.hidden), '')
FROM community_question q WHERE NOT q.hidden
"""
FTS_INSERT_ONE = _FTS_ROWS + "AND q.id = %s"
FTS_INSERT_WORKSPACE = _FTS_ROWS + "AND q.workspace_id = %s"
FTS_INSERT_ALL = _FTS_ROWS
FTS_DELETE_ONE = "DELETE FROM community_question_fts WHERE rowid = %s"
FTS_DELETE_WORKSPACE = (
    "DELETE FROM community_question_fts WHERE rowid IN (SELECT id FROM community_question WHERE workspace_id = %s)"
)
FTS_DELETE_ORPHANS = "DELETE FROM community_question_fts WHERE rowid NOT IN (SELECT id FROM community_question)"
FTS_DELETE_ALL = "DELETE FROM community_question_fts"
FTS_SEARCH = """
SELECT q.id FROM community_question_fts f JOIN community_question q ON q.id = f.rowid
WHERE community_question_fts MATCH %s AND q.workspace_id = %s AND NOT q.hidden
ORDER BY f.rank, q.created_at DESC LIMIT %s
"""


def refresh(question_ids: Iterable[int]) -> None:
    """Rewrite these questions' entries from their current public text (none for a question not public)."""
    ids = sorted({int(i) for i in question_ids if i is not None})
    if not ids:
        return
    kind = backend()
    with connection.cursor() as cur:
        if kind == "postgresql":
            cur.execute(PG_BY_IDS, [ids])
        elif kind == "fts5":
            for pk in ids:
                cur.execute(FTS_DELETE_ONE, [pk])
                cur.execute(FTS_INSERT_ONE, [pk])


FTS_OPTIMIZE = "INSERT INTO community_question_fts(community_question_fts) VALUES ('optimize')"


def forget() -> None:
    """After an erasure: FTS5 keeps a deleted entry's terms in its segments until they merge; merge them now, so
    the erased words are gone from the index itself, not only unreachable. (PostgreSQL rewrote the row already.)"""
    if backend() == "fts5":
        with connection.cursor() as cur:
            cur.execute(FTS_OPTIMIZE)


def rebuild(workspace_id: int | None = None) -> None:
    """Every entry of a workspace (or of all) from scratch: after bulk loads, or to repair."""
    kind = backend()
    with connection.cursor() as cur:
        if kind == "postgresql":
            cur.execute(
                PG_ALL if workspace_id is None else PG_BY_WORKSPACE, [] if workspace_id is None else [workspace_id]
            )
        elif kind == "fts5":
            cur.execute(FTS_DELETE_ORPHANS)
            if workspace_id is None:
                cur.execute(FTS_DELETE_ALL)
                cur.execute(FTS_INSERT_ALL)
            else:
                cur.execute(FTS_DELETE_WORKSPACE, [workspace_id])
                cur.execute(FTS_INSERT_WORKSPACE, [workspace_id])


# --- searching -------------------------------------------------------------------------------------------------


def search(workspace, text: str, *, limit: int = 50, kind: str | None = None) -> list[Question]:
    """Public questions matching every word of `text` in their title, body or a public answer, best first.
    `kind` forces a way ("plain" is the bench's baseline)."""
    found = words(text)
    if not found:
        return []
    kind = kind or backend()
    public = Question.objects.filter(workspace=workspace, hidden=False)
    if kind == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank

        query = SearchQuery(" ".join(found), config=CONFIG, search_type="plain")
        return list(
            public.filter(search_vector=query)
            # F(): the stored vector itself (a bare name would be wrapped in to_tsvector and re-parsed per row)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .select_related("category")
            .defer("body", "tags", "suggested_experts")  # the results list shows the title and the category
            .order_by("-rank", "-created_at", "-pk")[:limit]
        )
    if kind == "fts5":
        match = " ".join('"' + w.replace('"', '""') + '"' for w in found)
        with connection.cursor() as cur:
            cur.execute(FTS_SEARCH, [match, workspace.pk, limit])
            ids = [row[0] for row in cur.fetchall()]
        by_id = public.select_related("category").in_bulk(ids)
        return [by_id[i] for i in ids if i in by_id]
    qs = public
    for w in found:
        qs = qs.filter(
            Q(title__icontains=w) | Q(body__icontains=w) | Q(answers__body__icontains=w, answers__hidden=False)
        )
    return list(qs.distinct().select_related("category").order_by("-created_at")[:limit])

"""Lean bulk writes for hot tables (pipeline, contact import): INSERT without the ORM's per-value overhead.

Django's bulk_create compiles every value through each field's preparation chain, which costs more than the
database write itself at tens of thousands of rows a second. The rows written here have a fixed shape, so values
are adapted once per column type. SQLite gets multi-row VALUES statements; PostgreSQL gets COPY into a temporary
table followed by one INSERT ... SELECT ... ON CONFLICT (the fastest way in, one round trip per batch).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models, transaction

MAX_PARAMS = 30_000  # below SQLite's 32,766 bound variables and PostgreSQL's 65,535
# Below this many values, one INSERT ... VALUES is cheaper on PostgreSQL than COPY through a temporary table, which
# costs a CREATE and a DROP per call; above it, binding each value into the statement costs more (measured: about
# even at 400-500 values).
SMALL_VALUES = 400


class _JsonText(str):
    """JSON already serialised; PostgreSQL receives it as jsonb."""


_JSON = json.JSONEncoder(ensure_ascii=False, default=str)  # one encoder: json.dumps with options builds one per call


def json_value(value: Any) -> str:
    """A JSON column's value serialised ahead of the write (e.g. in a worker process); insert() passes it through."""
    return _JsonText(_JSON.encode(value))


def json_text(text: str) -> str:
    """JSON the caller serialised itself (a fixed shape, written faster by hand); insert() passes it through."""
    return _JsonText(text)


def _sqlite_datetimes():
    """What Django's SQLite backend stores for a datetime (naive UTC, space separator), without its per-value
    checks. One converter per batch: a batch often stamps every row with one time, so it remembers the last one
    (per batch, so concurrent writers never share the memo)."""
    last: tuple[datetime | None, str | None] = (None, None)

    def convert(value: datetime | None) -> str | None:
        nonlocal last
        if value is None:
            return None
        if value is not last[0]:
            last = (value, value.astimezone(UTC).replace(tzinfo=None).isoformat(" "))
        return last[1]

    return convert


def _adapter(field: models.Field):
    if isinstance(field, models.JSONField):
        return lambda v: v if v is None or isinstance(v, _JsonText) else json_value(v)
    if isinstance(field, models.DateTimeField) and connection.vendor == "sqlite":
        return _sqlite_datetimes()
    if isinstance(field, models.DateField) and connection.vendor == "sqlite":
        return lambda v: None if v is None else v.isoformat()
    return None


def select_in(sql: str, params: Sequence[Any], values: Sequence[Any]) -> list[tuple]:
    """Run `sql` holding `IN ({in})` for values, chunked; PostgreSQL gets one array parameter (`= ANY(%s)`)."""
    out: list[tuple] = []
    step = MAX_PARAMS - 100
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(sql.replace("IN ({in})", "= ANY(%s)"), [*params, list(values)])
            return cursor.fetchall()
        for start in range(0, len(values), step):
            chunk = values[start : start + step]
            cursor.execute(sql.replace("{in}", ", ".join(["%s"] * len(chunk))), [*params, *chunk])
            out.extend(cursor.fetchall())
    return out


def insert_ignore(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: Sequence[str] | None,
    returning: Sequence[str] = (),
    copy: bool = True,
) -> list[tuple]:
    """Insert rows (values in `columns` order, field names), skipping rows that hit the `conflict` unique key
    (any unique constraint when conflict is None); returns the `returning` columns of the rows inserted.
    `copy=False` keeps to INSERT ... VALUES on PostgreSQL whatever the size (one statement per 1,000 rows)."""
    if not rows:
        return []
    fields = [model._meta.get_field(c) for c in columns]
    quote = connection.ops.quote_name
    keys = ", ".join(quote(model._meta.get_field(c).column) for c in conflict or ())
    rows = _adapt(fields, rows)
    tail = f"ON CONFLICT ({keys}) DO NOTHING" if keys else "ON CONFLICT DO NOTHING"
    if returning:
        tail += " RETURNING " + ", ".join(quote(model._meta.get_field(c).column) for c in returning)
    return insert_rows(model._meta.db_table, [f.column for f in fields], rows, tail=tail, copy=copy)


def upsert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: Sequence[str],
    update: Sequence[str],
    only_changed: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[tuple]:
    """Insert rows (values in `columns` order, field names); a row hitting the `conflict` unique key overwrites
    the existing row's `update` fields with its own values instead. With `only_changed`, an existing row is
    written only when one of those fields differs. Returns the `returning` columns of the rows written."""
    if not rows:
        return []
    fields = [model._meta.get_field(c) for c in columns]
    quote = connection.ops.quote_name
    keys = ", ".join(quote(model._meta.get_field(c).column) for c in conflict)
    sets = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in (model._meta.get_field(u).column for u in update))
    tail = f"ON CONFLICT ({keys}) DO UPDATE SET {sets}"
    if only_changed:
        table = quote(model._meta.db_table)
        differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
        cols = [quote(model._meta.get_field(c).column) for c in only_changed]
        tail += " WHERE " + " OR ".join(f"{table}.{c} {differs} excluded.{c}" for c in cols)
    if returning:
        tail += " RETURNING " + ", ".join(quote(model._meta.get_field(c).column) for c in returning)
    return insert_rows(model._meta.db_table, [f.column for f in fields], _adapt(fields, rows), tail=tail)


def insert(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]], *, returning: Sequence[str] = ()
) -> list[tuple]:
    """Insert rows (values in `columns` order, field names) with no conflict handling; returns `returning` columns."""
    if not rows:
        return []
    fields = [model._meta.get_field(c) for c in columns]
    quote = connection.ops.quote_name
    if not returning and connection.vendor == "postgresql":
        # Nothing to skip and nothing to return: COPY straight into the table, no temporary table in between.
        names = ", ".join(quote(f.column) for f in fields)
        sql = f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"
        # The driver's own cursor: its errors are wrapped so callers catch Django's IntegrityError as usual.
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.cursor.copy(sql) as copy,
        ):
            for row in _adapt(fields, rows):
                copy.write_row(row)
        return []
    tail = ""
    if returning:
        tail = " RETURNING " + ", ".join(quote(model._meta.get_field(c).column) for c in returning)
    return insert_rows(model._meta.db_table, [f.column for f in fields], _adapt(fields, rows), tail=tail)


def allocate_ids(model: type[models.Model], count: int) -> list[int] | None:
    """Reserve `count` primary keys from the table's sequence (PostgreSQL); None where ids come from RETURNING."""
    if connection.vendor != "postgresql" or not count:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [r[0] for r in cursor.fetchall()]


def _adapt(fields: Sequence[models.Field], rows: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
    adapters = [(i, a) for i, a in ((i, _adapter(f)) for i, f in enumerate(fields)) if a is not None]
    if not adapters:
        return rows
    prepared = []
    for row in rows:
        row = list(row)
        for i, adapt in adapters:
            row[i] = adapt(row[i])
        prepared.append(row)
    return prepared


def insert_rows(
    table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, tail: str, copy: bool = True
) -> list[tuple]:
    """INSERT rows into table's columns followed by `tail` (ON CONFLICT..., RETURNING...); values are bound. On
    PostgreSQL many values go through COPY into a temporary table unless `copy` is False.

    Returns what a RETURNING clause in tail returned (empty without one)."""
    if not rows:
        return []
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    fetch = " RETURNING " in tail
    if copy and connection.vendor == "postgresql" and len(rows) * len(columns) > SMALL_VALUES:
        return _copy_insert(quote(table), names, rows, tail, fetch)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    step = max(1, min(1000, MAX_PARAMS // len(columns)))
    head = f"INSERT INTO {quote(table)} ({names}) VALUES "  # noqa: S608 - identifiers come from models
    out: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            cursor.execute(head + ", ".join([one] * len(chunk)) + " " + tail, [v for row in chunk for v in row])
            if fetch:
                out.extend(cursor.fetchall())
    return out


def _copy_insert(table: str, names: str, rows: Sequence[Sequence[Any]], tail: str, fetch: bool) -> list[tuple]:
    tmp = f"rapport_tmp_{uuid.uuid4().hex[:12]}"
    # The temporary table lives until the surrounding transaction ends; the atomic block guarantees there is one.
    with transaction.atomic(), connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor
        raw.execute(f"CREATE TEMP TABLE {tmp} ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA")  # noqa: S608
        with raw.copy(f"COPY {tmp} ({names}) FROM STDIN") as copy:
            for row in rows:
                # Text COPY: the server parses each value by column type, so serialised JSON goes in as it is.
                copy.write_row(row)
        raw.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {tmp} {tail}")  # noqa: S608
        out = raw.fetchall() if fetch else []
        raw.execute(f"DROP TABLE {tmp}")
    return out


def update_fields(objs: Sequence[models.Model], fields: Sequence[str]) -> int:
    """Write `fields` of each object by primary key: one prepared UPDATE run for all rows (executemany).

    The same as obj.save(update_fields=fields) per object, auto_now fields included, without the ORM's per-object
    query building. Returns the number of objects written.
    """
    if not objs:
        return 0
    model = type(objs[0])
    meta = model._meta
    now = datetime.now(UTC)
    concrete = [meta.get_field(name) for name in fields]
    for obj in objs:
        for f in concrete:
            if getattr(f, "auto_now", False):
                setattr(obj, f.attname, now)
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(f.column)} = %s" for f in concrete)
    sql = f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    rows = [[*(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in concrete), obj.pk] for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    return len(rows)

"""Querysets compiled to SQL once per process, then run with new values as plain statements.

Turning a queryset into SQL costs Django more CPU than PostgreSQL spends on an indexed lookup, and
a hot query (the case list's page, the portal's progress answer) gives the same SQL every time;
only its values differ. So such a query is written with the ORM as usual, with a Param standing
for each value, compiled once and kept; a run binds its values to the placeholders through the
fields' own get_db_prep_value (so each backend gets what the ORM would send), executes the SQL
through Django's cursor (logged, captured and error-wrapped like any query), and applies to the
rows the converters the ORM applies (aware datetimes on SQLite, decrypted SM4 fields, parsed
JSON), taken from the current thread's connection.

The same holds for the rows a case action writes: update_row and insert_row keep their SQL per
model and columns, and batched() lets those writes travel together on PostgreSQL.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, Model, QuerySet, Value


@dataclass(frozen=True)
class _Slot:
    """Where a Param's value goes in a compiled statement's parameters."""

    name: str
    field: Field
    prepare: Callable | None


class Param(Value):
    """A value given on each run of a kept statement; compiled to a placeholder like a plain value.

    `prepare(value, connection)`, when given, replaces the field's get_db_prep_value: for values a
    lookup would transform first (a LIKE prefix, for instance).
    """

    def __init__(self, name: str, output_field: Field, prepare: Callable | None = None):
        super().__init__(None, output_field=output_field)
        self.name, self.prepare = name, prepare

    def __repr__(self):
        return f"Param({self.name!r})"

    def as_sql(self, compiler, connection):
        return "%s", [_Slot(self.name, self.output_field, self.prepare)]


@dataclass(frozen=True)
class Statement:
    sql: str | None  # None: no row can match (a queryset.none()), nothing to run
    params: tuple  # plain values, and _Slots to fill
    converted: tuple[tuple[int, Any], ...]  # (column, expression) the backend converts

    def bind(self, values: dict, connection) -> list:
        bound = []
        for param in self.params:
            if type(param) is _Slot:
                value = values[param.name]
                param = (param.prepare(value, connection) if param.prepare
                         else param.field.get_db_prep_value(value, connection))
            bound.append(param)
        return bound

    def run(self, values: dict, alias: str = DEFAULT_DB_ALIAS) -> list[tuple]:
        """The rows for these values (by Param name), converted as the ORM would return them."""
        return together((self, values), using=alias)[0]


NOTHING = Statement(None, (), ())


def kept_cursor(connection):
    """A Django cursor for a kept statement. On PostgreSQL it binds its values on the server: the
    values travel apart from the SQL instead of being quoted into it by Python, and a statement run
    often is prepared once per connection by psycopg (after `prepare_threshold` runs), so the server
    parses and plans it once. Its SQL is the same on every run, which is what both need. Elsewhere,
    and for the ORM's own queries, Django's usual cursor."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = ServerBindingCursor(connection.connection)
    # Wrapped as Django wraps its own: execute wrappers, query capture, errors as Django's exceptions.
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)


def together(*runs: tuple[Statement, dict], using: str = DEFAULT_DB_ALIAS) -> list[list[tuple]]:
    """The rows of several statements (each with its values), all sent before any answer is read:
    inside batched() they share one round trip to PostgreSQL."""
    connection = connections[using]
    cursors = []
    try:
        for statement, values in runs:
            cursor = kept_cursor(connection) if statement.sql is not None else None
            cursors.append(cursor)
            if cursor is not None:
                cursor.execute(statement.sql, statement.bind(values, connection))
        results = []
        for (statement, _), cursor in zip(runs, cursors, strict=True):
            rows = cursor.fetchall() if cursor is not None else []
            results.append(convert(rows, statement.converted, connection) if statement.converted and rows else rows)
        return results
    finally:
        for cursor in cursors:
            if cursor is not None:
                cursor.close()


def from_sql(sql: str, params: Iterable, columns: Sequence, connection) -> Statement:
    """A statement of SQL built around a compiler's output; columns are the expressions of the
    result's columns, in order, whose converters apply to each row."""
    converted = tuple((index, column) for index, column in enumerate(columns)
                      if connection.ops.get_db_converters(column) + column.get_db_converters(connection))
    return Statement(sql, tuple(params), converted)


def from_queryset(queryset: QuerySet, alias: str = DEFAULT_DB_ALIAS) -> Statement:
    """The queryset's statement as the ORM compiles it for this database (values() or values_list())."""
    compiler = queryset.query.chain().get_compiler(alias)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return NOTHING
    columns = [select[0] for select in compiler.select[:compiler.col_count]]
    return from_sql(sql, params, columns, connections[alias])


def convert(rows: list, converted, connection) -> list[tuple]:
    # Converters are bound to a connection and each thread has its own: they are looked up once per
    # run, as the ORM's compiler does, and never kept with the statement.
    functions = [(index, column, connection.ops.get_db_converters(column) + column.get_db_converters(connection))
                 for index, column in converted]
    result = []
    for row in rows:
        row = list(row)
        for index, column, converters in functions:
            value = row[index]
            for function in converters:
                value = function(value, column, connection)
            row[index] = value
        result.append(tuple(row))
    return result


class Prepared:
    """A values_list() queryset with Params, compiled on first use per database."""

    def __init__(self, queryset: QuerySet):
        self._queryset = queryset
        self._statements: dict[str, Statement] = {}

    def statement(self, alias: str = DEFAULT_DB_ALIAS) -> Statement:
        statement = self._statements.get(alias)
        if statement is None:  # two threads may both compile it the first time: same result
            statement = self._statements[alias] = from_queryset(self._queryset, alias)
        return statement

    def rows(self, *, using: str = DEFAULT_DB_ALIAS, **values) -> list[tuple]:
        return self.statement(using).run(values, using)

    def first(self, *, using: str = DEFAULT_DB_ALIAS, **values) -> tuple | None:
        rows = self.rows(using=using, **values)
        return rows[0] if rows else None


# -- rows written with statements kept per model and columns ---------------------------------------

# Every write statement built below: the guard of a case action (cases.store) lets these through and
# refuses any other write. The same string objects come back from the caches, so a lookup hashes once.
_KEPT_WRITES: set[str] = set()


def is_kept_write(sql: str) -> bool:
    return sql in _KEPT_WRITES


def _kept(sql: str) -> str:
    _KEPT_WRITES.add(sql)
    return sql


def _quoted(connection, model, attnames) -> tuple[str, list[str]]:
    return connection.ops.quote_name(model._meta.db_table), [connection.ops.quote_name(
        model._meta.get_field(name).column) for name in attnames]


@functools.cache
def _update_sql(model, attnames: tuple[str, ...], alias: str) -> tuple[str, tuple[Field, ...]]:
    connection = connections[alias]
    table, columns = _quoted(connection, model, attnames)
    pk = connection.ops.quote_name(model._meta.pk.column)
    sql = f"UPDATE {table} SET {', '.join(f'{c} = %s' for c in columns)} WHERE {pk} = %s"  # noqa: S608 (names from the model, quoted)
    return _kept(sql), tuple(model._meta.get_field(name) for name in attnames)


@functools.cache
def _insert_sql(model, returning: bool, alias: str, chosen: tuple[tuple[str, Prepared], ...] = (),
                skip_taken: bool = False) -> tuple[str, tuple[tuple[Field, Statement | None], ...]]:
    """The INSERT and its columns: each field, with the statement choosing its value if any."""
    connection = connections[alias]
    by_query = dict(chosen)
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    table, columns = _quoted(connection, model, [f.name for f in fields])
    sources = tuple((f, by_query[f.attname].statement(alias) if f.attname in by_query else None) for f in fields)
    values = ", ".join("%s" if statement is None else f"({statement.sql})" for _, statement in sources)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values})"  # noqa: S608 (names from the model, quoted)
    if skip_taken:  # PostgreSQL and SQLite alike; only a unique value already taken skips the row
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        sql += " RETURNING " + connection.ops.quote_name(model._meta.pk.column)
    return _kept(sql), sources


def update_row(obj: Model, fields: Iterable[str], using: str = DEFAULT_DB_ALIAS) -> None:
    """Write these fields of a row the caller has read (and locked) in this transaction.

    Like save(update_fields=…) with its SQL kept per model and fields. The row count is not read:
    inside batched() it is only known once the batch has gone out.
    """
    names = tuple(obj._meta.get_field(name).attname for name in fields)
    if not names:
        return
    connection = connections[using]
    sql, model_fields = _update_sql(type(obj), names, using)
    values = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in model_fields]
    with kept_cursor(connection) as cursor:
        cursor.execute(sql, [*values, obj.pk])


def insert_row(obj: Model, using: str = DEFAULT_DB_ALIAS, need_pk: bool = True,
               chosen: dict[str, tuple[Prepared, dict]] | None = None) -> Model:
    """INSERT a new row like save(force_insert=True), its SQL kept per model.

    need_pk=False: the caller never uses the new row's id, so inside batched() the INSERT goes out
    with the next batch instead of waiting for its id (which then stays None on PostgreSQL).
    chosen: columns (by attname) whose value the database chooses as the row goes in, each by a
    one-value Prepared query with its values; the object does not learn them.
    """
    connection = connections[using]
    returning = need_pk and connection.features.can_return_columns_from_insert
    chosen = chosen or {}
    sql, sources = _insert_sql(type(obj), returning, using,
                               tuple((name, query) for name, (query, _) in sorted(chosen.items())))
    with kept_cursor(connection) as cursor:
        cursor.execute(sql, _values(obj, sources, chosen, connection))
        if returning:
            return _stored(obj, cursor.fetchone()[0], using)
        return _stored(obj, cursor.lastrowid if need_pk or connection.vendor == "sqlite" else None, using)


def insert_numbered(obj: Model, field: str, draw: Callable[[], str], attempts: int = 5,
                    using: str = DEFAULT_DB_ALIAS) -> bool:
    """INSERT a row whose unique `field` (a case or order number) is drawn at random, drawing again
    while the value drawn is taken; False when every draw was.

    ON CONFLICT DO NOTHING instead of catching the error: no savepoint per attempt, and no failed
    statement to recover from inside batched().
    """
    connection = connections[using]
    returning = connection.features.can_return_columns_from_insert
    sql, sources = _insert_sql(type(obj), returning, using, (), skip_taken=True)
    for _ in range(attempts):
        setattr(obj, field, draw())
        with kept_cursor(connection) as cursor:
            cursor.execute(sql, _values(obj, sources, {}, connection))
            row = cursor.fetchone() if returning else ((cursor.lastrowid,) if cursor.rowcount == 1 else None)
        if row:
            _stored(obj, row[0], using)
            return True
    return False


def _values(obj: Model, sources, chosen: dict, connection) -> list:
    """An INSERT's parameters: each field's value as save() would send it, or a choosing statement's."""
    values = []
    for field, statement in sources:
        if statement is None:
            values.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
        else:
            values += statement.bind(chosen[field.attname][1], connection)
    return values


def _stored(obj: Model, pk, using: str) -> Model:
    obj.pk = pk
    obj._state.adding, obj._state.db = False, using
    return obj


@contextmanager
def batched(using: str = DEFAULT_DB_ALIAS):
    """Statements nobody waits on travel together: on PostgreSQL (psycopg's pipeline mode) the
    writes queue up and go out with the next statement whose answer is needed, a read or the COMMIT,
    so one business action costs a few round trips instead of one per statement. Elsewhere, and
    when already batching, nothing changes.

    An error in a queued statement surfaces when its batch is answered, as the same Django
    exception the statement would have raised; the transaction rolls back as usual.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    if connection.connection._pipeline is not None:
        yield
        return
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield

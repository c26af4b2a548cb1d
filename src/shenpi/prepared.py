"""Querysets compiled to SQL once per process, then run with new values as plain statements.

Turning a queryset into SQL costs Django more CPU than PostgreSQL spends on an indexed lookup, and
a hot query (the case list's page, the portal's progress answer) gives the same SQL every time;
only its values differ. So such a query is written with the ORM as usual, with a Param standing
for each value, compiled once and kept; a run binds its values to the placeholders through the
fields' own get_db_prep_value (so each backend gets what the ORM would send), executes the SQL
through Django's cursor (logged, captured and error-wrapped like any query), and applies to the
rows the converters the ORM applies (aware datetimes on SQLite, decrypted SM4 fields, parsed
JSON), taken from the current thread's connection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, QuerySet, Value


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
        if self.sql is None:
            return []
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.bind(values, connection))
            rows = cursor.fetchall()
        return convert(rows, self.converted, connection) if self.converted and rows else rows


NOTHING = Statement(None, (), ())


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

"""Queries of the public pages compiled once per process, then run with new parameters.

The progress query runs the same three lookups by primary key or case number all day. Turning a
queryset into SQL costs Django more CPU than PostgreSQL spends running such an indexed lookup, so
each query is written with the ORM as usual, compiled once (per database) with a marker in place
of its parameter, and afterwards only executed; values come back through the same converters the
ORM applies (aware datetimes on SQLite, decrypted fields, parsed JSON).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet

# Stand-ins for the one parameter while compiling: values no real query uses, of the field's type.
ID_MARKER = 987_654_321_012_345
TEXT_MARKER = "\x00prepared-query-parameter\x00"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    slots: tuple[int, ...]  # positions of the marker in params
    columns: tuple  # the selected expressions, whose converters apply to each row


class Prepared:
    """A values_list() queryset of one parameter, compiled on first use."""

    def __init__(self, build: Callable[[Any], QuerySet], marker: Any = ID_MARKER, using: str = "default"):
        self._build, self._marker, self._using = build, marker, using
        self._compiled: _Compiled | None = None
        # Converters are bound to a connection, and each thread has its own.
        self._local = threading.local()

    def _compile(self) -> _Compiled:
        compiler = self._build(self._marker).query.get_compiler(using=self._using)
        sql, params = compiler.as_sql()
        slots = tuple(i for i, value in enumerate(params) if value == self._marker)
        if not slots:
            raise ValueError("the prepared queryset does not use its parameter")
        columns = tuple(select[0] for select in compiler.select[:compiler.col_count])
        return _Compiled(sql, tuple(params), slots, columns)

    def _converters(self, compiled: _Compiled, connection) -> list[tuple[int, list, Any]]:
        cached = getattr(self._local, "converters", None)
        if cached is not None and cached[0] is connection:
            return cached[1]
        converters = []
        for position, column in enumerate(compiled.columns):
            functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if functions:
                converters.append((position, functions, column))
        self._local.converters = (connection, converters)
        return converters

    def rows(self, value) -> list[tuple]:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = self._compile()
        params = list(compiled.params)
        for slot in compiled.slots:
            params[slot] = value
        connection = connections[self._using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        converters = self._converters(compiled, connection)
        if not converters:
            return [tuple(row) for row in rows]
        converted = []
        for row in rows:
            row = list(row)
            for position, functions, column in converters:
                cell = row[position]
                for function in functions:
                    cell = function(cell, column, connection)
                row[position] = cell
            converted.append(tuple(row))
        return converted

    def first(self, value) -> tuple | None:
        rows = self.rows(value)
        return rows[0] if rows else None

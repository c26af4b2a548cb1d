"""The case list's page query, compiled by the ORM once per shape and then run as plain SQL.

Building and compiling the page's queryset (visibility, filters, joins, cursor, limit) cost about
1.3 ms of CPU per request, most of the case list's own work, and gave the same SQL every time
for a given caller and set of filters; only the values differed. So the queryset is built once per
shape with a Param standing for each value, compiled, and kept (shenpi.prepared: binding, running
and converting the rows as the ORM would).

A shape is: the database, the caller (see _caller_key: the statement holds the caller's
visibility condition as services.visible_cases writes it, with the caller's department in it),
which filters are given, overdue true or false, the direction, whether there is a cursor position,
offset and limit. Nothing else reaches the SQL.
"""

from __future__ import annotations

import threading

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import BigIntegerField, CharField, DateField, DateTimeField

from shenpi import prepared
from shenpi.accounts.models import User
from shenpi.cases import services
from shenpi.cases.models import Case
from shenpi.prepared import Param

from . import queries

# Statements kept per process; past this many (callers × shapes) the cache starts again empty.
MAX_STATEMENTS = 2000


def _like_prefix(value: str, connection) -> str:
    # What Django's startswith does to a plain value (PatternLookup.process_rhs).
    return f"{connection.ops.prep_for_like_query(value)}%"


_TEXT, _DAY, _MOMENT = CharField(), DateField(), DateTimeField()
_PARAMS = {
    "state": Param("state", _TEXT),
    "department": Param("department", _TEXT),
    "item": Param("item", _TEXT),
    "channel": Param("channel", _TEXT),
    "due_before": Param("due_before", _DAY),
    "due_after": Param("due_after", _DAY),
    "received_since": Param("received_since", _MOMENT),
    "received_before": Param("received_before", _MOMENT),
    "number_prefix": Param("number_prefix", _TEXT, _like_prefix),
    "name_prefix": Param("name_prefix", _TEXT, _like_prefix),
}
_TODAY = Param("today", _DAY)
_POSITION = Param("position", BigIntegerField())

# The summary's own columns, and the relations whose codes and names it shows (item, version,
# department), which are joined to the page's rows only once the page is chosen.
_CASE_COLUMNS = tuple(name for name in queries.SUMMARY_FIELDS if "__" not in name)
_RELATIONS = tuple(dict.fromkeys(name.split("__")[0] for name in queries.SUMMARY_FIELDS if "__" in name))
_KEYS = tuple(Case._meta.get_field(relation).attname for relation in _RELATIONS)


_statements: dict[tuple, prepared.Statement] = {}
_lock = threading.Lock()


def _caller_key(user: User, scope) -> tuple:
    """Everything of the caller that services.visible_cases reads, the token's scope included. The
    primary key is part of it, so a statement is never shared between two people, whatever rule
    decides what they may see."""
    department = user.department if user.department_id else None
    return (user.pk, user.department_id, user.is_superuser, user.role_codes(),
            department.comprehensive if department else None,
            None if scope is None else (scope.departments, scope.items))


def visible(user: User, scope=None):
    """The cases the caller may see, narrowed to a token's scope (shenpi.api.tokens.Scope) if any."""
    if scope is None:
        return services.visible_cases(user)
    return services.visible_cases(user, departments=scope.departments, items=scope.items)


def _compile(user: User, scope, names: tuple[str, ...], overdue: bool | None, descending: bool, position: bool,
             offset: int, limit: int, alias: str) -> prepared.Statement:
    cases = queries.filter_cases(visible(user, scope), today=_TODAY, overdue=overdue,
                                 **{name: _PARAMS[name] for name in names})
    if position:
        cases = cases.filter(id__lt=_POSITION) if descending else cases.filter(id__gt=_POSITION)
    page = cases.values(*_CASE_COLUMNS, *_KEYS).order_by("-id" if descending else "id")[offset:offset + limit]
    compiler = page.query.get_compiler(alias)
    try:
        inner, params = compiler.as_sql()
    except EmptyResultSet:  # a caller who may see nothing (queryset.none()): no statement to run
        return prepared.NOTHING
    connection = connections[alias]
    sql, columns = _with_catalogue(inner, compiler, descending, connection)
    return prepared.from_sql(sql, params, columns, connection)


def _with_catalogue(inner: str, compiler, descending: bool, connection) -> tuple[str, list]:
    """The page's statement: the ORM's query of the cases (visibility, filters, cursor, limit)
    as a subquery, joined to the catalogue rows its summary shows, in the page's order.

    One statement as before, but PostgreSQL now plans the join of three small tables to the page's
    rows instead of searching join orders against every index of cases_case: 0.25 ms less of its
    CPU per page (about a fifth). Every name comes from the models' metadata, quoted by the backend.
    """
    qn = connection.ops.quote_name
    inner_columns = {}
    for expression, _, name in compiler.select:
        inner_columns[name or expression.target.column] = expression
    select, columns, joins = [], [], []
    for name in queries.SUMMARY_FIELDS:
        if "__" not in name:
            select.append(f"p.{qn(name)}")
            columns.append(inner_columns[name])
            continue
        relation, field_name = name.split("__")
        table = f"r{_RELATIONS.index(relation)}"
        field = Case._meta.get_field(relation).related_model._meta.get_field(field_name)
        select.append(f"{table}.{qn(field.column)}")
        columns.append(field.get_col(table))
    for index, relation in enumerate(_RELATIONS):
        foreign_key = Case._meta.get_field(relation)
        model = foreign_key.related_model
        joins.append(f"INNER JOIN {qn(model._meta.db_table)} r{index} "
                     f"ON r{index}.{qn(model._meta.pk.column)} = p.{qn(foreign_key.attname)}")
    order = "DESC" if descending else "ASC"
    sql = (f"SELECT {', '.join(select)} FROM ({inner}) p {' '.join(joins)} "  # noqa: S608
           f"ORDER BY p.{qn('id')} {order}")
    return sql, columns


def _statement(user: User, scope, criteria: dict, descending: bool, position: bool, offset: int, limit: int,
               alias: str) -> prepared.Statement:
    names = tuple(sorted(name for name in criteria if name != "overdue"))
    overdue = criteria.get("overdue")
    key = (alias, _caller_key(user, scope), names, overdue, descending, position, offset, limit)
    statement = _statements.get(key)
    if statement is None:
        statement = _compile(user, scope, names, overdue, descending, position, offset, limit, alias)
        with _lock:
            if len(_statements) >= MAX_STATEMENTS:
                _statements.clear()
            _statements[key] = statement
    return statement


def clear() -> None:
    """Forget every kept statement (tests that swap the functions statements are built from)."""
    with _lock:
        _statements.clear()


def run(user: User, criteria: dict, today, *, descending: bool = True, position: int | None = None,
        offset: int = 0, limit: int = 21, alias: str = DEFAULT_DB_ALIAS, scope=None) -> list[dict]:
    """The rows (dicts of queries.SUMMARY_FIELDS) of visible cases matching the criteria, by id."""
    statement = _statement(user, scope, criteria, descending, position is not None, offset, limit, alias)
    rows = statement.run({**criteria, "today": today, "position": position}, alias)
    names = queries.SUMMARY_FIELDS
    return [dict(zip(names, row, strict=True)) for row in rows]


class CasePage:
    """The visible cases matching the criteria, as DRF's CursorPagination drives a queryset:
    order_by the cursor's ordering, filter by the cursor's position, then one slice, which runs
    the kept statement. Only what CasePagination does is supported."""

    def __init__(self, user: User, criteria: dict, today, scope=None):
        self.user, self.criteria, self.today, self.scope = user, criteria, today, scope
        self.descending, self.position = True, None

    def order_by(self, *ordering: str) -> CasePage:
        if ordering not in (("-id",), ("id",)):
            raise ValueError(f"the case list is ordered by id only, not {ordering}")
        self.descending = ordering == ("-id",)
        return self

    def filter(self, **condition) -> CasePage:
        ((lookup, value),) = condition.items()
        if lookup != ("id__lt" if self.descending else "id__gt"):
            raise ValueError(f"unsupported condition {lookup} on the case list")
        self.position = int(value)
        return self

    def __getitem__(self, window: slice) -> list[dict]:
        offset = window.start or 0
        return run(self.user, self.criteria, self.today, descending=self.descending, position=self.position,
                   offset=offset, limit=window.stop - offset, scope=self.scope)

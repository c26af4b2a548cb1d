"""How a case action reads and writes the database (ADR 0003): the one door for its rows.

An action's reads are statements compiled once per process (shenpi.prepared): the locked case row,
its active steps, the actor's roles, the materials still missing. Its writes are `update` and
`insert` with SQL kept per model and columns. On PostgreSQL the action runs in psycopg's pipeline
mode (`prepared.batched`): a write is not waited on and travels with the next statement that needs
an answer, so an action costs a few round trips however many rows it writes.

A pipeline cannot say how many rows a statement touched until the batch is answered, and Django's
own writes (`Model.save()`, `QuerySet.update()`, `delete()`, `bulk_create()`) read that count at
once. So while an action runs, `open_action()` lets no write reach the database but the kept ones:
any other INSERT, UPDATE or DELETE raises StrayWrite, on every database, before it is sent.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import BigIntegerField, CharField, Count, DateField, Exists, Model, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from shenpi.accounts.models import Absence, StandIn, User, roles_of
from shenpi.catalog.services import frozen_version
from shenpi.errors import InvalidInput
from shenpi.prepared import Param, Prepared, batched, insert_row, is_kept_write, together, update_row

from .models import Case, CaseMaterial, CaseStep

# Statements whose first word changes rows or tables: refused in an action unless kept.
_WRITING = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "TRUNCATE", "CREATE", "ALTER", "DROP",
                      "COPY", "UPSERT"})


class StrayWrite(RuntimeError):
    """A write inside a case action that did not come through the action's door (a programming error)."""


def _first_word(sql: str) -> str:
    return sql.lstrip(" \n\t(").split(None, 1)[0].upper() if sql.strip() else ""


def _guard(execute, sql, params, many, context):
    if not is_kept_write(sql) and _first_word(sql) in _WRITING:
        raise StrayWrite(
            "办件操作中只能通过 act.update / act.insert 写入（ADR 0003）；拒绝执行："
            f"{' '.join(sql.split())[:160]}")
    return execute(sql, params, many, context)


@contextmanager
def open_action(using: str = DEFAULT_DB_ALIAS):
    """The database side of one action, inside its transaction: writes batched, stray writes refused."""
    connection = connections[using]
    with batched(using), connection.execute_wrapper(_guard):
        yield


def update(obj: Model, fields) -> None:
    """Write these fields of a row read in this action (the case row, a step, a stop)."""
    update_row(obj, fields)


def insert(obj: Model) -> Model:
    """A new row; its id is not known inside the action on PostgreSQL (nothing in an action reads it)."""
    return insert_row(obj, need_pk=False)


# -- the case and its steps --------------------------------------------------------------------

# Each person's load is counted on the (assignee, status) index from their active steps alone, so
# it costs the same after years of finished steps. Someone away that day (离岗登记) comes after every
# colleague present: they are picked only when the whole post is away, and then their stand-in
# (AB角) works the step.
_AWAY = Absence.objects.filter(user=OuterRef("pk"), starts_on__lte=Param("day", DateField()),
                               ends_on__gte=Param("day", DateField()))
_LEAST_LOADED = Prepared(
    User.objects.filter(department_id=Param("department", BigIntegerField()), roles=Param("role", CharField()),
                        is_active=True, on_duty=True)
    .annotate(away=Exists(_AWAY), load=Coalesce(Subquery(
        CaseStep.objects.filter(assignee=OuterRef("pk"), status=CaseStep.Status.ACTIVE).order_by()
        .values("assignee").annotate(n=Count("*")).values("n")), 0))
    .order_by("away", "load", "pk")
    .values_list("pk")[:1])


def insert_step(step: CaseStep) -> CaseStep:
    """A new active step, assigned as it goes in to the person on duty in its post with the fewest
    active steps, those present before those away on the step's first day (nobody when none is on
    duty); the step in memory does not learn who."""
    least_loaded = {"department": step.department_id, "role": step.role_id,
                    "day": timezone.localdate(step.started_at)}
    return insert_row(step, need_pk=False, chosen={"assignee_id": (_LEAST_LOADED, least_loaded)})


def stands_in_for(user_id: int, assignee_ids, day: dt.date) -> set[int]:
    """Of these assignees, those away on the day whose stand-in (B角) is the user."""
    ids = [pk for pk in set(assignee_ids) if pk is not None and pk != user_id]
    if not ids:
        return set()
    away = Absence.objects.filter(starts_on__lte=day, ends_on__gte=day).values("user_id")
    return set(StandIn.objects.filter(stand_in_id=user_id, principal_id__in=ids).filter(principal_id__in=away)
               .values_list("principal_id", flat=True))


def colleague(department_id: int, role: str, *, pk=None, username: str | None = None) -> User | None:
    """An active member of staff on duty in the department who holds the role, named by id or
    username, or None."""
    if username:
        named = {"username": str(username).strip()}
    else:
        try:
            named = {"pk": int(pk)}
        except (TypeError, ValueError):
            return None
    return User.objects.filter(**named, department_id=department_id, roles=role, is_active=True,
                               on_duty=True).first()


def has_colleague(department_id: int, role: str, assignee_id: int | None, day: dt.date) -> bool:
    """Whether anyone but the assignee, on duty and not away on the day, holds the post."""
    away_then = Absence.objects.filter(starts_on__lte=day, ends_on__gte=day).values("user_id")
    return (User.objects.filter(department_id=department_id, roles=role, is_active=True, on_duty=True)
            .exclude(pk=assignee_id).exclude(pk__in=away_then).exists())


def away(user_id: int, day: dt.date) -> Absence | None:
    return Absence.objects.filter(user_id=user_id, starts_on__lte=day, ends_on__gte=day).first()


_STEP_FIELDS = [f.attname for f in CaseStep._meta.concrete_fields]
ACTIVE_STEPS = Prepared(CaseStep.objects.filter(case_id=Param("case", BigIntegerField()),
                                                status=CaseStep.Status.ACTIVE).values_list(*_STEP_FIELDS))


def steps_from_rows(rows: list[tuple]) -> list[CaseStep]:
    return [CaseStep.from_db(DEFAULT_DB_ALIAS, _STEP_FIELDS, row) for row in rows]


def active_steps(case_id: int) -> list[CaseStep]:
    return steps_from_rows(ACTIVE_STEPS.rows(case=case_id))


# Actions read no encrypted column but the contact phone (SMS), so the others stay undecrypted.
_LOCKED_FIELDS = [f.attname for f in Case._meta.concrete_fields if f.name not in ("query_code", "applicant_id")]
# The case row alone: its version never changes once published, so it comes from the catalogue's
# per-process cache rather than a join. Compiled once: an action runs it every time.
_LOCK_BY_PK, _LOCK_BY_NUMBER = (
    Prepared(Case.objects.select_for_update().filter(**{key: Param("key", field)}).order_by()
             .values_list(*_LOCKED_FIELDS))
    for key, field in (("pk", BigIntegerField()), ("number", CharField())))


def lock(case: Case | int | str, actor: User | None = None) -> tuple[Case, list[CaseStep] | None]:
    """The case row locked, with its active steps and the actor's roles (unless known) read in the
    same round trip: what every action starts with. Steps are None when the case is named by number."""
    if isinstance(case, Case | int) or str(case).isdigit() and len(str(case)) < 12:
        key = case.pk if isinstance(case, Case) else int(case)
        runs = [(_LOCK_BY_PK.statement(), {"key": key}), (ACTIVE_STEPS.statement(), {"case": key})]
    else:
        runs = [(_LOCK_BY_NUMBER.statement(), {"key": str(case)})]
    roles_unknown = actor is not None and actor.pk is not None and not hasattr(actor, "_role_codes")
    if roles_unknown:
        runs.append((roles_of().statement(), {"user": actor.pk}))
    results = together(*runs)
    if roles_unknown:
        actor._role_codes = frozenset(code for (code,) in results.pop())
    if not results[0]:
        raise InvalidInput("办件不存在。", {"case": ["办件不存在。"]})
    locked = Case.from_db(DEFAULT_DB_ALIAS, _LOCKED_FIELDS, results[0][0])
    locked.version = frozen_version(locked.version_id)
    return locked, steps_from_rows(results[1]) if len(results) > 1 else None


# -- materials ----------------------------------------------------------------------------------

_MISSING = Prepared(CaseMaterial.objects.filter(case_id=Param("case", BigIntegerField()), required=True,
                                                received=False, deferred=False).values_list("name"))


def missing_materials(case_id: int) -> list[str]:
    """Names of the required materials neither received nor deferred under 容缺, in list order."""
    return [name for (name,) in _MISSING.rows(case=case_id)]


_MATERIAL_FIELDS = tuple(f.attname for f in CaseMaterial._meta.concrete_fields)
_OUTSTANDING = Prepared(CaseMaterial.objects.filter(case_id=Param("case", BigIntegerField()), deferred=True,
                                                    received=False).values_list(*_MATERIAL_FIELDS))


def outstanding_materials(case_id: int) -> list[CaseMaterial]:
    """Materials accepted under 容缺 and not brought yet, in list order: asked on every 受理 and 办结,
    so kept compiled like the other reads of an action."""
    return [CaseMaterial.from_db(DEFAULT_DB_ALIAS, _MATERIAL_FIELDS, row) for row in _OUTSTANDING.rows(case=case_id)]

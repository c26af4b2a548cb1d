"""The write path of a case action (ADR 0003): rows through act.update / act.insert only, on every database."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from shenpi import clock
from shenpi.cases import hooks, lifecycle, services
from shenpi.cases.models import Case, CaseMaterial, CaseStep, Notice, State
from shenpi.cases.store import StrayWrite
from tests import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_hooks")]




MISUSES = {
    "save": lambda act: act.case.save(update_fields=["title"]),
    "save_new": lambda act: Notice(case=act.case, kind=Notice.Kind.GRANT, number="X", issued_at=act.now,
                                   body={}).save(),
    "update": lambda act: Case.objects.filter(pk=act.case.pk).update(title="改过"),
    "delete": lambda act: CaseMaterial.objects.filter(case_id=act.case.pk).delete(),
    "bulk_create": lambda act: Notice.objects.bulk_create(
        [Notice(case=act.case, kind=Notice.Kind.GRANT, number="Y", issued_at=act.now, body={})]),
}


@pytest.mark.parametrize("misuse", sorted(MISUSES))
@pytest.mark.parametrize("when", ["before", "after"])
def test_a_write_beside_the_door_fails_loudly_and_changes_nothing(office, misuse, when):
    dept, people, it = office
    case = f.receive(people["clerk"], it)
    getattr(hooks, when)("accept", order=1, name="test.misuse")(MISUSES[misuse])
    before = Case.objects.values("state", "title", "row_version", "trail_length").get(pk=case.pk)
    with pytest.raises(StrayWrite, match="ADR 0003"):
        services.perform(case.pk, "accept", actor=people["clerk"])
    assert Case.objects.values(*before).get(pk=case.pk) == before
    assert not CaseStep.objects.filter(case=case).exists()
    assert CaseMaterial.objects.filter(case=case).count() == 4


def test_the_guard_ends_with_the_action(office):
    """The ORM writes as usual before and after an action, and after one that failed."""
    dept, people, it = office
    case = f.receive(people["clerk"], it)
    hooks.before("accept", order=1, name="test.misuse")(MISUSES["update"])
    with pytest.raises(StrayWrite):
        services.perform(case.pk, "accept", actor=people["clerk"])
    Case.objects.filter(pk=case.pk).update(title="办件标题")
    hooks._before.pop("test.misuse")
    hooks._plan.clear()
    case = services.perform(case.pk, "accept", actor=people["clerk"])
    case.refresh_from_db()
    case.title = "改后的标题"
    case.save(update_fields=["title"])
    assert Case.objects.get(pk=case.pk).title == "改后的标题"


def test_writes_through_the_act_reach_the_database(office):
    dept, people, it = office

    @hooks.after("accept", order=1, name="test.through_the_door")
    def through_the_door(act):
        [step] = lifecycle._active_steps(act.case)
        step.opinion = "已分派"
        act.update(step, "opinion")
        act.insert(Notice(case=act.case, kind=Notice.Kind.GRANT, number=f"{act.case.number}-T", issued_at=act.now,
                          body={}))

    case = services.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])
    assert case.steps.get().opinion == "已分派"
    assert case.notices.filter(number=f"{case.number}-T").exists()


def test_recomputing_due_dates_goes_through_the_same_door(office, django_capture_on_commit_callbacks):
    """The platform's own change of a case: its event, its hooks, the step's due date with it."""
    from shenpi.workdays.services import import_notice

    dept, people, it = office
    seen = []
    hooks.after("recompute_dues", order=1, name="test.seen")(lambda act: seen.append((act.actor, act.action)))
    clock.set_now(timezone.make_aware(dt.datetime(2027, 9, 27, 10)))
    case = services.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])
    with django_capture_on_commit_callbacks(execute=True):
        import_notice("date,kind,name\n2027-09-28,holiday,示例假日\n2027-10-01,holiday,国庆节\n", "csv")
    case.refresh_from_db()
    assert seen == [(None, "recompute_dues")]
    assert case.steps.get().due_at == lifecycle.end_of_day(case.promised_due)
    event = case.events.last()
    assert (event.action, event.actor_id, event.from_state, event.to_state) == (
        "recompute_dues", None, State.IN_PROGRESS, State.IN_PROGRESS)


def test_the_law_module_says_nothing_about_round_trips():
    """lifecycle.py states the law: no compiled statement, no database module, no raw write."""
    source = Path(lifecycle.__file__).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert not {m for m in imported if m.startswith(("shenpi.prepared", "django.db"))} - {"django.db.models"}
    for forbidden in ("update_row", "insert_row", "Prepared(", ".save(", ".delete("):
        assert forbidden not in source

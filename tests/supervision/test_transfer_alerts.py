"""转办 moves the open alerts of the step to whoever holds it now."""

import datetime as dt

import pytest
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.cases import services
from shenpi.cases.models import CaseStep
from shenpi.supervision.models import Alert, Level, Rule
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_open_alerts_of_the_step_follow_the_transfer_and_answered_ones_stay(db):
    clock.set_now(timezone.make_aware(dt.datetime(2026, 11, 16, 10)))
    dept = f.department()
    people = f.staff(dept)
    colleague = f.user(dept, Role.HANDLER, full_name="李承办")
    case = services.perform(f.receive(people["clerk"], f.item(dept)), "accept", actor=people["clerk"])
    step = case.steps.get(status=CaseStep.Status.ACTIVE)
    handler = step.assignee

    def alert(rule, level, subject, **kw):
        return Alert.objects.create(rule=Rule.objects.get(code=rule), level=level, subject=subject, case=case,
                                    department=dept, responsible=handler, detected_at=clock.now(), figures={},
                                    **kw)

    on_step = alert("time.step", Level.YELLOW, f"step:{step.pk}", step=step)
    on_case = alert("time.case", Level.WARNING, f"case:{case.pk}")
    answered = alert("time.case", Level.YELLOW, f"case:{case.pk}", answered_at=clock.now(), answer="已整改")
    services.perform(case, "transfer", actor=handler, params={"to": colleague.pk, "reason": "工作调整"})
    for row, holder in ((on_step, colleague), (on_case, colleague), (answered, handler)):
        row.refresh_from_db()
        assert row.responsible == holder

"""The demo's 一厅双网 cases: registered through the registration service from 市场监督管理局's
企业登记系统, some late, one decided long before it was recorded (先批后录)."""

import pytest

from shenpi.cases.models import Case, State
from shenpi.demo import outside
from shenpi.supervision.models import Alert
from tests.demo.conftest import demo, var_dir  # noqa: F401 - the module's demo year

pytestmark = pytest.mark.django_db


def test_the_demo_registers_outside_cases_some_late_and_one_recorded_after_approval(demo):  # noqa: F811
    result, _ = demo
    cases = Case.objects.filter(source_system=outside.SYSTEM)
    assert result.created["outside_cases"] == cases.count() >= len(outside.STORIES) - 1  # today's, after 9:00
    assert {c.source_label for c in cases} == {"来源：企业登记系统（部门自建系统）"}
    assert {c.department.name.endswith("市场监督管理局") for c in cases} == {True}
    completed = cases.filter(state=State.COMPLETED)
    assert completed.count() == 4
    assert any(c.used_days > c.promised_limit for c in completed)  # late in its own system
    alerts = Alert.objects.filter(case__source_system=outside.SYSTEM)
    assert alerts.filter(rule__code="proc.record_after_approval").count() == 1
    assert alerts.filter(rule__code="time.case", status=Alert.Status.OPEN).exists()

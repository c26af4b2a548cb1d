"""The supervision rule 网上预审超时 watches the window's pre-review deadline."""

import pytest

from shenpi import clock
from shenpi.online import services
from shenpi.supervision.models import Alert, Level
from shenpi.supervision.scan import scan

from .conftest import at, submitted


def _found():
    return set(Alert.objects.filter(rule__code="proc.prereview_late", status=Alert.Status.OPEN)
               .values_list("level", "subject"))


@pytest.mark.clocks
def test_a_pre_review_past_its_two_working_days_is_a_yellow_card_until_decided(world):
    clock.set_now(at(2026, 9, 29, 9))
    app = submitted(world)
    assert app.prereview_due.isoformat() == "2026-10-08"  # 30 September, then 国庆, then 8 October
    clock.set_now(at(2026, 10, 8, 17))
    scan()
    assert _found() == set()
    clock.set_now(at(2026, 10, 9, 9))
    scan()
    assert _found() == {(Level.YELLOW, f"online:{app.pk}")}
    alert = Alert.objects.get(rule__code="proc.prereview_late")
    assert alert.department_id == app.department_id and alert.figures["application"] == app.number
    services.accept(app, world.people["clerk"])
    clock.set_now(at(2026, 10, 9, 10))
    scan()
    assert _found() == set()
    assert Alert.objects.get(pk=alert.pk).closed_reason == "条件已解除"

"""Least privilege: staff see their department's cases and the parts they work for others."""

import pytest

from shenpi.accounts.models import Role
from shenpi.cases import services
from shenpi.catalog.models import FlowStep
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_department_staff_see_own_cases_and_cross_department_parts_only():
    housing, fire, transport = f.department("住建局"), f.department("消防救援支队"), f.department("交通局")
    people = f.staff(housing)
    fire_handler = f.user(fire, Role.HANDLER)
    stranger = f.user(transport, Role.HANDLER, Role.CLERK)
    supervisor = people["supervisor"]
    joint = f.item(housing, name="建设工程竣工验收备案")
    # A parallel stage: the fire brigade works its part beside the housing bureau's review.
    FlowStep.objects.create(version=joint.current_version(), seq=1, name="消防验收", role_id=Role.HANDLER,
                            department=fire)
    plain = f.item(housing)
    shared = services.perform(f.receive(people["clerk"], joint), "accept", actor=people["clerk"])
    own = f.receive(people["clerk"], plain)

    assert set(services.visible_cases(people["handler"])) == {shared, own}
    assert set(services.visible_cases(fire_handler)) == {shared}
    assert set(services.visible_cases(stranger)) == set()
    assert set(services.visible_cases(supervisor)) == {shared, own}

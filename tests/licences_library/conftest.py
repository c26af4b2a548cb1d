"""Two departments: planning issues 建设工程规划许可证 as e-licences; housing's item lists that licence
as a material (一证通办). An applicant holding one, a window clerk each, media in a temporary place."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from shenpi.accounts.models import Role, User
from shenpi.catalog.models import Department, Item, MaterialSpec
from tests import factories as f

from .builders import TYPE_CODE


@dataclass
class Library:
    planning: Department
    planners: dict[str, User]
    plan_item: Item
    housing: Department
    people: dict[str, User]
    item: Item
    window_clerk: User

    @property
    def spec(self) -> MaterialSpec:
        return self.item.current_version().materials.get(name="建设工程规划许可证")

    def client_for(self, user: User) -> Client:
        client = Client()
        f.login_staff(client, user)
        return client


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def lib(db) -> Library:
    planning = f.department("自然资源和规划局")
    housing = f.department("住房和城乡建设局")
    plan_item = f.item(planning, name="建设工程规划许可证核发", materials=(("建设工程规划许可申请表", True, False),))
    item = f.item(housing)
    MaterialSpec.objects.filter(version__item=item, name="建设工程规划许可证").update(licence_type_code=TYPE_CODE)
    window_dept = f.department("政务服务中心综合受理", comprehensive=True)
    return Library(planning=planning, planners=f.staff(planning), plan_item=plan_item, housing=housing,
                   people=f.staff(housing), item=item, window_clerk=f.user(window_dept, Role.CLERK))

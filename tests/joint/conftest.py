"""A small construction stage for the joint tests: three departments in parallel under one total."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from shenpi.accounts.models import Role, User
from shenpi.cases.models import ApplicantKind
from shenpi.cases.services import ApplicantInput
from shenpi.catalog.models import Department, Item
from shenpi.joint import services
from shenpi.joint.models import Project, ProjectKind, ProjectType, StageItem, StageTemplate
from tests import factories as f


@dataclass
class World:
    centre: Department
    clerk: User
    departments: list[Department]
    people: list[dict[str, User]]
    items: list[Item]
    project_type: ProjectType
    template: StageTemplate
    admin: User

    def applicant(self) -> ApplicantInput:
        return ApplicantInput(kind=ApplicantKind.ORGANISATION, name="杭州示范置业有限公司", id_number=f.ORG_USCC,
                              contact_name="王经理", phone="13812341234")

    def project(self, *, green=False, key=False, code="") -> Project:
        return services.register_project(actor=self.clerk, data=services.ProjectInput(
            name="城西科创中心一期", owner_name="杭州示范置业有限公司", owner_uscc=f.ORG_USCC,
            location="杭州市西湖区", division="330106", total_investment="52000", kind=ProjectKind.APPROVAL,
            industry="47", project_type=self.project_type, lead_department=self.departments[0], code=code,
            key_project=key, green_channel=green))

    def open(self, project=None, **kw):
        project = project or self.project()
        shared = kw.pop("shared", None)
        if shared is None:
            shared = {name: f.stored_scan(name) for name, _ in services.materials_needed(self.template, {})}
        return services.open_stage(actor=self.clerk, template=self.template, applicant=self.applicant(),
                                   project=project, shared=shared, **kw)


ONE_STEP = (("审查", Role.HANDLER, None),)


@pytest.fixture
def world(db) -> World:
    centre = f.department("政务服务中心综合受理", comprehensive=True)
    clerk = f.staff(centre)["clerk"]
    names = [("发展和改革局", "政府投资项目审批", 10), ("自然资源和规划局", "建设项目用地预审与选址意见书", 12),
             ("生态环境局", "建设项目环境影响评价审批", 15)]
    departments, people, items = [], [], []
    for dept_name, item_name, promised in names:
        dept = f.department(dept_name)
        departments.append(dept)
        people.append(f.staff(dept))
        items.append(f.item(dept, name=item_name, promised=promised, statutory=20, steps=ONE_STEP,
                            materials=(("项目申请表", True, False), (f"{item_name}申请材料", True, False))))
    project_type = ProjectType.objects.create(code="gov-building", name="政府投资房屋建筑类", promised_total=90)
    template = StageTemplate.objects.create(code="gov-building-1", name="立项用地规划许可阶段",
                                            project_type=project_type, seq=1, lead_department=departments[0],
                                            promised_total=20)
    for seq, it in enumerate(items, start=1):
        StageItem.objects.create(template=template, item=it, seq=seq)
    admin = people[0]["admin"]
    return World(centre, clerk, departments, people, items, project_type, template, admin)

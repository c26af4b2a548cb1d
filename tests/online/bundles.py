"""企业开办 as a 一件事 bundle for the online tests: four departments, one conditional item, shared materials."""

from __future__ import annotations

from dataclasses import dataclass

from shenpi.accounts.models import Role, User
from shenpi.applicants.models import Applicant
from shenpi.catalog.models import Department, Item
from shenpi.joint.models import ProjectType, StageItem, StageTemplate
from tests import factories as f
from tests.applicants.helpers import person_id, real_named, uscc, verified

ONE_STEP = (("审查", Role.HANDLER, None),)
APPLICATION_FORM = "企业开办申请表"
ARTICLES = "公司章程"
IDS = "股东、法定代表人身份证明"
INVOICE = "发票领用申请"


@dataclass
class Bundle:
    window: Department
    clerk: User
    departments: list[Department]
    people: list[dict[str, User]]
    items: list[Item]
    template: StageTemplate
    founder: Applicant  # real-name verified person
    registered: Applicant  # mobile verified only
    other: Applicant  # another real-name verified person

    def needed(self, invoice: bool = False) -> list[str]:
        return [APPLICATION_FORM, ARTICLES, IDS, "公章样式", *([INVOICE] if invoice else []), "社会保险登记表"]


def build() -> Bundle:
    window = f.department("政务服务中心综合受理", comprehensive=True)
    clerk = f.staff(window)["clerk"]
    specs = [
        ("市场监督管理局", "企业设立登记", 1, ((APPLICATION_FORM, True, False), (ARTICLES, True, False),
                                              (IDS, True, False))),
        ("公安局", "公章刻制备案", 1, ((APPLICATION_FORM, True, False), ("公章样式", True, False))),
        ("税务局", "发票领用", 1, ((APPLICATION_FORM, True, False), (INVOICE, True, False))),
        ("人力资源和社会保障局", "社会保险登记", 1, ((IDS, True, False), ("社会保险登记表", True, False))),
    ]
    departments, people, items = [], [], []
    for dept_name, item_name, promised, materials in specs:
        dept = f.department(dept_name)
        departments.append(dept)
        people.append(f.staff(dept))
        items.append(f.item(dept, name=item_name, promised=promised, statutory=20, steps=ONE_STEP,
                            materials=materials, procedures=()))
    template = StageTemplate.objects.create(
        code="qiye-kaiban", name="企业开办", kind=StageTemplate.Kind.BUNDLE, lead_department=departments[0],
        promised_total=2, audience="both", description="营业执照、公章刻制、发票领用、社保登记，一次申报。",
        questions=[{"key": "need_invoice", "label": "是否需要申领发票"}])
    for seq, it in enumerate(items, start=1):
        StageItem.objects.create(template=template, item=it, seq=seq,
                                 condition="need_invoice" if seq == 3 else "")
    founder = real_named(verified(name="李四", id_number=person_id(), mobile="13912345678"))
    registered = verified(kind="organisation", name="示范科技有限公司", id_number=uscc(), mobile="13800138000",
                          contact_name="王五")
    other = real_named(verified(name="赵六", id_number=person_id("11010519800101123"), mobile="13700137000"))
    return Bundle(window, clerk, departments, people, items, template, founder, registered, other)


def project_type() -> ProjectType:
    return ProjectType.objects.create(code="social-building", name="社会投资房屋建筑类", promised_total=40)

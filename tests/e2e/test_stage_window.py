"""一窗受理、同步审批 in a real browser: the comprehensive window registers a project and submits one
stage form with one set of scans; three departments work their parts side by side, each in its own
window, through the workbench case page; the stage page then shows the stage concluded."""

import os

import pytest
from playwright.sync_api import expect

from shenpi.cases.models import State
from shenpi.joint.models import Project, Stage, StageItem
from tests import factories as f
from tests.browser import browser_windows, log_in, shot
from tests.joint.conftest import world  # noqa: F401  (the fixture: three departments and a stage template)

from .test_workbench_flow import perform

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_one_window_one_form_and_three_departments_in_parallel(live_server, world):  # noqa: F811
    base = live_server.url
    # The third item (环评) applies only when the form's question is answered yes.
    world.template.questions = [{"key": "eia", "label": "是否需要环境影响评价"}]
    world.template.save()
    StageItem.objects.filter(template=world.template, item=world.items[2]).update(condition="eia")
    with browser_windows() as open_page:
        window = open_page()

        # The comprehensive window registers the project; the platform issues its code (赋码).
        log_in(window, base, world.clerk)
        window.click(".sidenav >> text=项目与阶段")
        window.click("text=登记项目 / 赋码")
        fields = {"name": "城西科创中心一期", "owner_name": "杭州示范置业有限公司", "owner_uscc": f.ORG_USCC,
                  "location": "杭州市西湖区", "division": "330106", "total_investment": "52000", "industry": "47"}
        for name, value in fields.items():
            window.fill(f"#project-form input[name={name}]", value)
        window.select_option("select[name=project_type]", str(world.project_type.pk))
        window.select_option("select[name=lead_department]", str(world.departments[0].pk))
        with window.expect_navigation():
            window.click("#project-form button[type=submit]")
        project = Project.objects.get()
        assert window.locator("#project-code").inner_text() == project.code

        # One form, one set of materials: each material scanned once.
        with window.expect_navigation():
            window.click("text=申报阶段")
        window.select_option("#id_template", str(world.template.pk))
        with window.expect_navigation():
            window.click("#stage-pick button[type=submit]")
        window.fill("#stage-form input[name=contact_name]", "王经理")
        window.fill("#stage-form input[name=phone]", "13812341234")
        expect(window.locator("#stage-item-list li")).to_have_count(2)
        window.check("input[name=q-eia]")  # the items and materials follow the answer (htmx)
        expect(window.locator("#stage-item-list li")).to_have_count(3)
        uploads = window.locator("#stage-materials input[type=file]")
        assert uploads.count() == 4  # the shared 项目申请表 once, and each item's own material
        for index in range(uploads.count()):
            uploads.nth(index).set_input_files(
                {"name": f"扫描件{index + 1}.png", "mimeType": "image/png", "buffer": f.PNG_SCAN})
        shot(window, "stage-01-one-form")
        with window.expect_navigation():
            window.click("#stage-form button[name=submit]")
        stage = Stage.objects.get()
        parts = list(stage.parts.select_related("case").order_by("pk"))
        expect(window.locator(".alert-success")).to_contain_text("同步开出3件办件")
        for part in parts:
            expect(window.locator(".alert-success")).to_contain_text(part.case.number)
        assert window.locator("#stage-state").inner_text() == "办理中"
        shot(window, "stage-02-opened")

        # Three departments, three windows: each handler passes, then each approver grants.
        desks = []
        for index, part in enumerate(parts):
            desk = open_page()
            log_in(desk, base, world.people[index]["handler"])
            desk.goto(f"{base}/workbench/cases/{part.case.number}/")
            expect(desk.locator("#case-stage")).to_contain_text(stage.number)
            desks.append(desk)
        for desk in desks:
            perform(desk, "通过", {"textarea": "符合要求，拟同意。"})
        for index, (desk, part) in enumerate(zip(desks, parts, strict=True)):
            log_in(desk, base, world.people[index]["approver"])
            desk.goto(f"{base}/workbench/cases/{part.case.number}/")
        for index, desk in enumerate(desks):
            perform(desk, "准予许可")
            stage.refresh_from_db()
            assert stage.state == (Stage.State.CONCLUDED if index == 2 else Stage.State.OPEN)

        # The stage page: concluded, each part decided, reached from a part's case page.
        desk = desks[0]
        with desk.expect_navigation():
            desk.click(f"#case-stage a[href*='{stage.number}']")
        assert desk.locator("#stage-state").inner_text() == "已办结"
        expect(desk.locator("#stage-outcome")).to_contain_text("3项准予许可")
        shot(desk, "stage-03-concluded")

        # And the project page shows it all in one place.
        window.goto(f"{base}/workbench/projects/p/{project.code}/")
        for part in parts:
            expect(window.locator(".stage-cases")).to_contain_text(part.case.number)
        expect(window.locator("#opinions")).to_contain_text("符合要求，拟同意。")
        assert window.locator(".notice-list li").count() == 3  # the three decision letters
        shot(window, "stage-04-project")
    assert {p.case.state for p in stage.parts.select_related("case")} == {State.DECIDED}

"""网上联审 in a real browser: the lead department opens a review on a stage with a PDF drawing, the
planning department posts its opinion and marks the drawing by clicking its page, the lead's approver
concludes and downloads the 联审意见书.

Screenshots of the room go to test-artifacts/screenshots/.
"""

import os
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from shenpi.joint.models import Annotation, JointReview
from tests.browser import fresh_page, log_in, shot
from tests.joint.conftest import world  # noqa: F401 - the stage the review is about
from tests.joint.test_reviews import drawing

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def log_out(page) -> None:
    page.click(".logout button")
    page.wait_for_url(re.compile(r"/login/"))


def test_a_joint_review_with_an_opinion_a_mark_and_the_printed_conclusion(live_server, world):  # noqa: F811
    stage = world.open()
    lead, planner, ecology = world.departments
    base = live_server.url
    pdf = drawing("总平面图.pdf", pages=2)

    with fresh_page() as page:
        log_in(page, base, world.people[0]["handler"])
        page.goto(f"{base}/workbench/projects/reviews/")
        page.fill("#review-subject", stage.number)
        with page.expect_navigation():
            page.click(".review-start button[type=submit]")
        # The stage's other departments are invited already.
        expect(page.get_by_label(planner.name)).to_be_checked()
        expect(page.get_by_label(ecology.name)).to_be_checked()
        page.fill("input[name=title]", "城西科创中心一期总平面图联合审查")
        page.fill("input[name=limit_days]", "3")
        page.set_input_files("#review-documents", files=[{"name": pdf.name, "mimeType": "application/pdf",
                                                         "buffer": pdf.read()}])
        with page.expect_navigation():
            page.click("form.review-form button[type=submit]")
        page.locator(".alert-success", has_text="已发起网上联审").wait_for()
        review = JointReview.objects.get()
        log_out(page)

        log_in(page, base, world.people[1]["handler"])
        page.click("nav.sidenav >> text=网上联审")
        row = page.locator("tr", has=page.locator("a", has_text=review.number))
        expect(row).to_contain_text("待提交")
        with page.expect_navigation():
            row.locator("a", has_text=review.number).click()
        page.get_by_label("原则同意(附意见)").check()
        page.fill("#opinion textarea[name=opinion]", "北侧退让道路红线不足5米，请调整总平面布置。")
        with page.expect_navigation():
            page.click("#opinion button[type=submit]")
        page.locator(".alert-success", has_text="本部门联审意见已提交").wait_for()
        expect(page.locator("#opinions")).to_contain_text("北侧退让道路红线不足5米")

        # A click on the drawing places the mark where the click was.
        page.locator(".page-link", has_text="2").click()
        sheet = page.locator("#sheet-image")
        expect(sheet).to_be_visible()
        page.wait_for_function("document.querySelector('#sheet-image image').getBBox().width > 0")
        expect(page.locator("#mark-form")).to_be_hidden()
        box = sheet.bounding_box()
        sheet.click(position={"x": box["width"] * 0.25, "y": box["height"] * 0.5})
        expect(page.locator("#mark-form")).to_be_visible()
        page.fill("#mark-comment", "消防车道宽度不足4米")
        with page.expect_navigation():
            page.click("#mark-form button[type=submit]")
        page.locator(".alert-success", has_text="标注已保存").wait_for()
        expect(page.locator("#sheet-image .pin")).to_have_count(1)
        expect(page.locator(".marks")).to_contain_text("消防车道宽度不足4米")
        mark = Annotation.objects.get()
        assert mark.page == 2 and mark.department == planner
        assert abs(mark.x - 0.25) < 0.02 and abs(mark.y - 0.5) < 0.02
        shot(page, "joint-review-01-room")
        log_out(page)

        log_in(page, base, world.people[0]["approver"])
        page.goto(f"{base}/workbench/projects/reviews/{review.number}/")
        expect(page.locator("#conclude")).to_contain_text(ecology.name)  # not posted yet
        page.fill("#conclude textarea[name=conclusion]", "原则同意，请按规划部门意见调整后报批。")
        with page.expect_navigation():
            page.click("#conclude button[type=submit]")
        expect(page.locator("#conclusion")).to_contain_text("原则同意，请按规划部门意见调整后报批。")
        with page.expect_download() as download:
            page.click("#review-pdf")
        shot(page, "joint-review-02-concluded")
        printed = download.value
        assert printed.suggested_filename == f"联审意见书-{review.number}.pdf"
        text = "".join(p.extract_text() for p in PdfReader(printed.path()).pages)
        text = text.replace(" ", "").replace("\n", "")
        for expected in (planner.name, "北侧退让道路红线不足5米", "消防车道宽度不足4米", ecology.name, "未提交",
                         "原则同意，请按规划部门意见调整后报批。"):
            assert expected in text, expected

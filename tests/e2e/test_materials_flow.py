"""Paper made electronic at the window, and opened by the handler who works the case, in a real browser.

The clerk accepts a case with a scan of the application form (a picture from the 高拍仪) and of the
planning permit (a PDF from the scanner); the handler opens both in the page and passes the step.
"""

import io
import os
import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from shenpi.accounts.models import Role
from shenpi.cases.models import Case, MaterialAccess, State
from shenpi.crypto import sm3_hex
from tests import factories as f
from tests.browser import fresh_page, shot
from tests.online.conftest import pdf

from .test_workbench_flow import log_in, log_out, perform

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def page():
    with fresh_page() as page:
        yield page


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def photographed_form() -> bytes:
    """What a 高拍仪 saves: a picture of a paper page (here a drawn one), as PNG."""
    picture = Image.new("RGB", (620, 860), "white")
    draw = ImageDraw.Draw(picture)
    draw.rectangle((30, 30, 590, 830), outline="black", width=3)
    for y in range(120, 800, 48):
        draw.line((70, y, 550, y), fill=(90, 90, 90), width=2)
    draw.rectangle((60, 50, 560, 95), fill=(200, 30, 30))
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def test_the_clerk_scans_the_paper_and_the_handler_opens_it_before_passing(live_server, page):
    dept = f.department("住房和城乡建设局", short_name="住建局")
    people = f.staff(dept)
    people[Role.CLERK].full_name, people[Role.HANDLER].full_name = "王晓梅", "李建国"
    people[Role.CLERK].save()
    people[Role.HANDLER].save()
    item = f.item(dept)
    form_spec, permit_spec, *_ = item.current_version().materials.all()
    picture, scanned_pdf = photographed_form(), pdf(2)
    base = live_server.url

    # The clerk registers the application, scanning two materials; the rest is ticked as paper.
    log_in(page, base, people[Role.CLERK])
    page.goto(f"{base}/workbench/accept/?item={item.code}")
    page.fill("input[name=applicant_name]", "张三")
    page.fill("input[name=id_number]", f.PERSON_ID)
    page.fill("input[name=contact_name]", "张三")
    page.fill("input[name=phone]", "13812341234")
    page.fill("input[name=title]", "示范小区3号楼")
    page.click("text=全部勾选为已收取")
    page.set_input_files(f"input[name=m{form_spec.pk}-file]",
                         {"name": "申请表-高拍仪.png", "mimeType": "image/png", "buffer": picture})
    page.set_input_files(f"input[name=m{permit_spec.pk}-file]",
                         {"name": "规划许可证扫描.pdf", "mimeType": "application/pdf", "buffer": scanned_pdf})
    shot(page, "materials-01-accept-with-scans")
    with page.expect_navigation():
        page.click("button[name=decision][value=accept]")
    assert page.locator("#case-state").inner_text() == "办理中"
    number = page.locator("h1 .mono").inner_text().strip()
    log_out(page)

    # The handler finds the case, sees which materials are electronic, and opens the scan in the page.
    log_in(page, base, people[Role.HANDLER])
    page.locator("table tr", has_text=number).locator("a.case-link").click()
    page.wait_for_url(re.compile(number))
    row = page.locator("tr", has_text=form_spec.name)
    expect(row.locator(".material-file")).to_contain_text("申请表-高拍仪.png")
    shot(page, "materials-02-case-with-files")
    with page.expect_response(re.compile(r"/materials/\d+/file$")) as served:
        row.locator("a", has_text="查看").click()
    assert served.value.status == 200
    assert served.value.headers["content-disposition"].startswith("inline")
    image = page.locator("img.material-image")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 620
    expect(page.locator(".digest")).to_have_text(sm3_hex(picture))
    shot(page, "materials-03-scan-previewed")

    # The scanned PDF is framed in the page from the platform's own address.
    with page.expect_response(re.compile(r"/materials/\d+/file$")) as served:
        page.locator("a", has_text=permit_spec.name).click()
    assert served.value.status == 200 and served.value.headers["content-type"] == "application/pdf"
    assert served.value.headers["x-frame-options"] == "SAMEORIGIN"
    expect(page.locator("iframe.material-frame")).to_be_visible()
    shot(page, "materials-04-pdf-previewed")

    # Back on the case, the handler passes the step having seen the materials.
    page.click("text=返回办件")
    page.wait_for_url(re.compile(rf"/cases/{number}/$"))
    perform(page, "通过", {"textarea": "已核对申请表及规划许可证扫描件，符合条件。"})

    case = Case.objects.get(number=number)
    assert case.state == State.IN_PROGRESS and case.steps.filter(status="done").count() == 1
    scans = {m.spec_id: m for m in case.materials.exclude(file="")}
    assert set(scans) == {form_spec.pk, permit_spec.pk}
    assert scans[form_spec.pk].content_hash == sm3_hex(picture)
    assert scans[permit_spec.pk].content_hash == sm3_hex(scanned_pdf) and scans[permit_spec.pk].pages == 2
    opened = MaterialAccess.objects.filter(case=case, viewer=people[Role.HANDLER])
    assert {a.material.spec_id for a in opened} == {form_spec.pk, permit_spec.pk}
    assert all(a.inline and a.ip == "127.0.0.1" for a in opened)

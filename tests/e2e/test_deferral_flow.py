"""容缺受理 in a real browser: the clerk accepts with a material deferred on the applicant's commitment,
the 受理通知书 lists it with its due date, 办结 is refused while it is outstanding, the material is
received later at the window, and the case is then completed. Then the online way: an applicant with an
account uploads the deferred material under 我的办件, the handler previews it, and 办结 succeeds."""

import os
import shutil
import subprocess

import pytest

from shenpi.cases import services
from shenpi.cases.models import Case, State
from tests import factories as f
from tests.applicants.helpers import PASSWORD as APPLICANT_PASSWORD
from tests.applicants.helpers import person_id, real_named, verified
from tests.browser import browser_windows, fresh_page, log_in, shot
from tests.online.conftest import EXE, pdf

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DEFERRED = "施工图设计文件审查合格书"


@pytest.fixture
def page():
    with fresh_page() as page:
        yield page


def open_action(page, label: str):
    action = page.locator("#action-panel details.action", has=page.locator("summary", has_text=label))
    if action.get_attribute("open") is None:
        action.locator("summary").click()
    return action


def pdf_text(pdf: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian poppler-utils) is not installed; cannot check the printed text")
    path = tmp_path / "acceptance.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True,
                            text=True)
    return "".join(result.stdout.split())


def test_accept_with_a_deferred_material_then_receive_it_before_completion(live_server, page, _media, tmp_path):
    dept = f.department("住房和城乡建设局", short_name="住建局")
    people = f.staff(dept)
    item = f.item(dept)
    version = item.current_version()
    base = live_server.url

    log_in(page, base, people["clerk"])
    page.goto(f"{base}/workbench/accept/?item={item.code}")
    page.fill("input[name=applicant_name]", "张三")
    page.fill("input[name=id_number]", f.PERSON_ID)
    page.fill("input[name=contact_name]", "张三")
    page.fill("input[name=phone]", "13812341234")
    for spec in version.materials.all():
        if spec.deferrable:
            page.check(f"input[name=m{spec.pk}-deferred]")
        elif spec.required:
            page.check(f"input[name=m{spec.pk}-received]")
    # Without the applicant's commitment the window cannot accept under 容缺, and nothing is registered.
    with page.expect_navigation():
        page.click("button[name=decision][value=accept]")
    page.locator(".alert-error", has_text="容缺受理须申请人书面承诺").wait_for()
    assert not Case.objects.exists()
    page.check("input[name=commitment]")
    shot(page, "deferral-01-accept-with-commitment")
    with page.expect_navigation():
        page.click("button[name=decision][value=accept]")
    assert page.locator("#case-state").inner_text() == "办理中"
    number = page.locator("h1 .mono").inner_text().strip()
    case = Case.objects.get(number=number)
    material = case.materials.get(deferred=True)
    due = material.due_on
    assert due is not None
    row = page.locator("tr.material-row", has_text=DEFERRED)
    assert "容缺后补" in row.inner_text() and due.isoformat() in row.inner_text()
    assert page.locator("#commitments", has_text=DEFERRED).is_visible()
    shot(page, "deferral-02-case-accepted")

    # The 受理通知书 lists the deferred material and its due date, and does not say 申请材料齐全.
    link = page.locator(".print-banner a", has_text="受理通知书")
    answer = page.request.get(base + link.get_attribute("href"))
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    text = pdf_text(answer.body(), tmp_path)
    assert DEFERRED in text and f"{due.year}年{due.month}月{due.day}日" in text
    assert "容缺受理" in text and "，申请材料齐全" not in text

    # The departments work it to a decision.
    for role in ("handler", "reviewer", "approver"):
        services.perform(case.pk, "pass", actor=people[role], params={"opinion": "同意"})
    services.perform(case.pk, "grant", actor=people["approver"])

    # 办结 is refused while the deferred material is outstanding (the item's rule: 不予办结).
    page.goto(f"{base}/workbench/cases/{number}/")
    action = open_action(page, "送达办结")
    with page.expect_response(lambda r: r.url.endswith("/act/")) as answer:
        action.locator("button[type=submit]").click()
    assert answer.value.status == 409
    page.locator("#action-panel .alert-error", has_text="容缺材料尚未补交").wait_for()
    shot(page, "deferral-03-completion-refused")
    assert Case.objects.get(pk=case.pk).state == State.DECIDED

    # The applicant brings it to the window; then the case is completed.
    page.goto(f"{base}/workbench/cases/{number}/")
    action = open_action(page, "容缺材料补交")
    action.locator("label[for^='id_receive_deferred-materials']", has_text=DEFERRED).click()
    # The window scans the paper it brought: checked by content and kept like a scan at receipt.
    action.locator(f"input[name='receive_deferred-file_{material.pk}']").set_input_files(
        {"name": "合格书扫描.pdf", "mimeType": "application/pdf", "buffer": pdf(1)})
    with page.expect_navigation():
        action.locator("button[type=submit]").click()
    page.locator(".alert-success", has_text="已办理：容缺材料补交").wait_for()
    row = page.locator("tr.material-row", has_text=DEFERRED)
    assert "已收取" in row.inner_text() and "合格书扫描.pdf" in row.inner_text()
    assert row.locator("a", has_text="查看").count() == 1
    action = open_action(page, "送达办结")
    with page.expect_navigation():
        action.locator("button[type=submit]").click()
    assert page.locator("#case-state").inner_text() == "已办结"
    shot(page, "deferral-04-completed")
    assert [e.action for e in Case.objects.get(pk=case.pk).events.order_by("pk")][-2:] == [
        "receive_deferred", "complete"]


@pytest.fixture
def new_page():
    with browser_windows() as open_page:
        yield open_page


@pytest.fixture
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_applicant_uploads_the_deferred_material_online_and_the_case_completes(live_server, new_page,
                                                                                   _media, tmp_path):
    dept = f.department("住房和城乡建设局", short_name="住建局")
    people = f.staff(dept)
    item = f.item(dept)
    base = live_server.url
    # Real-name verified at the window: the account sees the cases filed under its ID number.
    real_named(verified(name="李四", id_number=person_id(), mobile="13912345678"))
    # Received at the window under the account holder's ID number, accepted under 容缺.
    materials = {m.pk: ({"deferred": True} if m.deferrable else {"received": True})
                 for m in item.current_version().materials.all()}
    case = f.receive(people["clerk"], item, materials=materials, name="李四", id_number=person_id(),
                     phone="13912345678")
    case = services.perform(case, "accept", actor=people["clerk"], params={"commitment": True})
    material = case.materials.get(deferred=True)
    due = material.due_on
    page, staff_page = new_page(), new_page()

    # The 受理通知书 says the material may also be uploaded under 我的办件.
    log_in(staff_page, base, people["clerk"])
    notice = case.notices.get(kind="acceptance")
    answer = staff_page.request.get(f"{base}/workbench/cases/{case.number}/notices/{notice.pk}.pdf")
    assert answer.status == 200
    text = pdf_text(answer.body(), tmp_path)
    assert "“我的办件”中上传" in text

    # The applicant signs in, finds the case in 我的办件 and uploads the material (a disguised program first).
    page.goto(f"{base}/account/login/")
    page.fill("input[name=identifier]", person_id())
    page.fill("input[name=password]", APPLICANT_PASSWORD)
    with page.expect_navigation():
        page.click("button:has-text('登 录')")
    page.goto(f"{base}/account/")
    with page.expect_navigation():
        page.click(f"a[href='/apply/cases/{case.number}/deferred/']")
    row = page.locator(f"#deferred-{material.pk}")
    assert DEFERRED in row.inner_text() and f"{due.year}年{due.month}月{due.day}日" in row.inner_text()
    chooser = row.locator("input[type=file]")
    chooser.set_input_files({"name": "合格书.pdf", "mimeType": "application/pdf", "buffer": EXE})
    with page.expect_navigation():
        page.click("button:has-text('提交容缺材料')")
    row.locator(".field-error", has_text="不是PDF、JPG、PNG文件").wait_for()
    assert Case.objects.get(pk=case.pk).materials.get(pk=material.pk).outstanding
    scan = pdf(2)
    row.locator("input[type=file]").set_input_files({"name": "合格书.pdf", "mimeType": "application/pdf",
                                                     "buffer": scan})
    shot(page, "deferral-05-online-upload")
    with page.expect_navigation():
        page.click("button:has-text('提交容缺材料')")
    page.locator(".alert-success", has_text="容缺材料已提交").wait_for()
    assert page.locator("#deferred").count() == 0
    assert "容缺后补交" in page.locator("main").inner_text()
    shot(page, "deferral-06-online-received")

    # The handler sees the file on the case page and previews it.
    log_in(staff_page, base, people["handler"])
    staff_page.goto(f"{base}/workbench/cases/{case.number}/")
    row = staff_page.locator("tr.material-row", has_text=DEFERRED)
    assert "已收取" in row.inner_text() and "合格书.pdf" in row.inner_text()
    with staff_page.expect_navigation():
        row.locator("a", has_text="查看").click()
    staff_page.locator("iframe").wait_for()
    assert "申请人网上补交" in staff_page.locator("main").inner_text()
    shot(staff_page, "deferral-07-handler-preview")

    # The departments decide; the clerk completes (no longer refused).
    for role in ("handler", "reviewer", "approver"):
        services.perform(case.pk, "pass", actor=people[role], params={"opinion": "同意"})
    services.perform(case.pk, "grant", actor=people["approver"])
    log_in(staff_page, base, people["clerk"])
    staff_page.goto(f"{base}/workbench/cases/{case.number}/")
    action = open_action(staff_page, "送达办结")
    with staff_page.expect_navigation():
        action.locator("button[type=submit]").click()
    assert staff_page.locator("#case-state").inner_text() == "已办结"
    assert [e.action for e in Case.objects.get(pk=case.pk).events.order_by("pk")][-6:] == [
        "supply_deferred", "pass", "pass", "pass", "grant", "complete"]

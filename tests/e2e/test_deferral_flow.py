"""容缺受理 in a real browser: the clerk accepts with a material deferred on the applicant's commitment,
the 受理通知书 lists it with its due date, 办结 is refused while it is outstanding, the material is
received later at the window, and the case is then completed."""

import os
import re
import shutil
import subprocess

import pytest

from shenpi.cases import services
from shenpi.cases.models import Case, State
from tests import factories as f
from tests.browser import PASSWORD, fresh_page, shot

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DEFERRED = "施工图设计文件审查合格书"


@pytest.fixture
def page():
    with fresh_page() as page:
        yield page


def log_in(page, base: str, user) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/workbench/"))


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


def test_accept_with_a_deferred_material_then_receive_it_before_completion(live_server, page, tmp_path):
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
    action.locator("label", has_text=DEFERRED).click()
    with page.expect_navigation():
        action.locator("button[type=submit]").click()
    page.locator(".alert-success", has_text="已办理：容缺材料补交").wait_for()
    assert "已收取" in page.locator("tr.material-row", has_text=DEFERRED).inner_text()
    action = open_action(page, "送达办结")
    with page.expect_navigation():
        action.locator("button[type=submit]").click()
    assert page.locator("#case-state").inner_text() == "已办结"
    shot(page, "deferral-04-completed")
    assert [e.action for e in Case.objects.get(pk=case.pk).events.order_by("pk")][-2:] == [
        "receive_deferred", "complete"]

"""督办 in a real browser: issued from a case, answered with an attachment (htmx, multipart), refused
upload shown in place, sent back, answered again, accepted, printed. Screenshots go to
test-artifacts/screenshots/; any console error (a CSP violation, a missing asset) fails the test."""

import os
import re

import pytest

from shenpi.cases import services as case_services
from shenpi.supervision.models import Order
from tests import factories as f
from tests.browser import fresh_page, log_in, shot

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def page():
    with fresh_page() as page:
        yield page




def submit(page, summary: str, fill: dict | None = None, files=None) -> None:
    action = page.locator("#order-actions details.action", has=page.locator("summary", has_text=summary))
    if action.get_attribute("open") is None:
        action.locator("summary").click()
    for selector, value in (fill or {}).items():
        action.locator(selector).fill(value)
    if files is not None:
        action.locator("input[type=file]").set_input_files(files)
    action.locator("button[type=submit]").click()


def test_an_order_from_issue_to_acceptance(live_server, page, tmp_path):
    dept = f.department("住房和城乡建设局")
    people = f.staff(dept)
    people["liaison"].full_name, people["supervisor"].full_name = "周联络", "吴监察"
    people["liaison"].save()
    people["supervisor"].save()
    clerk = people["clerk"]
    case = case_services.perform(f.receive(clerk, f.item(dept)), "accept", actor=clerk)
    base = live_server.url

    log_in(page, base, people["supervisor"])
    page.goto(f"{base}/supervision/orders/new/?case={case.number}")
    page.fill("textarea[name=demand]", "查明超期原因，限期办结并反馈。")
    shot(page, "supervision-01-issue")
    page.click("button:has-text('发出督办')")
    page.wait_for_url(re.compile(r"/supervision/orders/DB"))
    order = Order.objects.get()
    page.locator(".alert-success", has_text=order.number).wait_for()

    log_in(page, base, people["liaison"])
    page.goto(f"{base}/supervision/orders/")
    page.click(f"text={order.number}")
    page.wait_for_url(re.compile(order.number))
    bad = tmp_path / "报告.pdf"
    bad.write_bytes(b"<html>not a pdf</html>")
    submit(page, "整改反馈", {"textarea[name=text]": "已督促承办人办结。"}, files=[str(bad)])
    page.locator("#order-actions .alert-error", has_text="不是PDF、JPG、PNG文件").wait_for()
    assert page.locator("#order-actions textarea[name=text]").input_value() == "已督促承办人办结。"
    shot(page, "supervision-02-bad-upload")
    good = tmp_path / "整改报告.pdf"
    good.write_bytes(PDF)
    submit(page, "整改反馈", files=[str(good)])
    page.locator(".alert-success", has_text="整改反馈已提交").wait_for()
    assert page.locator(".attachment-list a", has_text="整改报告.pdf").count() == 1

    log_in(page, base, people["supervisor"])
    page.goto(f"{base}/supervision/orders/{order.number}/")
    submit(page, "退回重新整改", {"textarea[name=note]": "请附办结通知书。", "input[name=reply_days]": "3"})
    page.locator(".alert-success", has_text="已退回重新整改").wait_for()

    log_in(page, base, people["liaison"])
    page.goto(f"{base}/supervision/orders/{order.number}/")
    submit(page, "整改反馈", {"textarea[name=text]": "已补充办结通知书。"}, files=[str(good)])
    page.locator(".alert-success", has_text="整改反馈已提交").wait_for()

    log_in(page, base, people["supervisor"])
    page.goto(f"{base}/supervision/orders/{order.number}/")
    shot(page, "supervision-03-review")
    submit(page, "审核通过", {"textarea[name=note]": "整改到位。"})
    page.locator(".alert-success", has_text="已审核通过并办结").wait_for()
    assert page.locator("#order-status").inner_text().startswith("已办结")
    assert page.locator(".order-history .timeline-item").count() == 5
    shot(page, "supervision-04-accepted")
    page.goto(f"{base}/supervision/orders/")
    shot(page, "supervision-05-list")
    page.goto(f"{base}/supervision/orders/{order.number}/print/")
    page.locator("h1", has_text="电子监察督办通知单").wait_for()
    shot(page, "supervision-06-print")

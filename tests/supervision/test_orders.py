"""督办: issue → 整改反馈 with attachments → send back → answer again → accept; who may see and do
what; uploads checked by content; the whole history kept; the pages and the printable notice."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.cases import services as case_services
from shenpi.crypto import sm3_hex
from shenpi.errors import Forbidden, InvalidInput, TransitionRefused
from shenpi.notifications.models import Notification
from shenpi.supervision import orders
from shenpi.supervision.models import Alert, Level, Order, OrderAttachment, OrderEntry, Rule
from tests import factories as f
from tests.concurrency import race

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64) + b"\xff\xd9"
HTML = b"<html><script>alert(1)</script></html>"


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


def pdf(name="整改报告.pdf", content=PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def client_for(user) -> Client:
    client = Client()
    f.login_staff(client, user)
    return client


def html(response) -> str:
    return response.content.decode()


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Attachments go to a throw-away folder, never into var/."""
    settings.MEDIA_ROOT = tmp_path / "media"


class Org:
    def __init__(self):
        clock.set_now(at(2026, 9, 24, 10))  # a Thursday before 国庆
        self.dept = f.department("住房和城乡建设局")
        self.other = f.department("市场监督管理局")
        self.people = f.staff(self.dept)
        self.others = f.staff(self.other)
        self.supervisor = self.people["supervisor"]
        self.liaison = self.people["liaison"]
        self.liaison.email = "liaison@example.gov.cn"
        self.liaison.save()
        self.item = f.item(self.dept)
        clerk = self.people["clerk"]
        self.case = case_services.perform(f.receive(clerk, self.item), "accept", actor=clerk)
        rule = Rule.objects.create(code="order_test_rule", name="承诺时限超期", category="time")
        self.alert = Alert.objects.create(rule=rule, level=Level.YELLOW, subject=f"case:{self.case.pk}",
                                          case=self.case, department=self.dept, detected_at=clock.now())

    def issue(self, **kw) -> Order:
        args = {"department": self.dept, "title": "承诺时限超期办件整改", "demand": "查明超期原因，限期办结并反馈。",
                "alerts": [self.alert], "cases": [self.case.number], "reply_days": 5}
        args.update(kw)
        return orders.issue_order(self.supervisor, **args)


@pytest.fixture
def org() -> Org:
    return Org()


# -- the workflow ---------------------------------------------------------------------------------

def test_the_whole_workflow_keeps_every_step_and_every_deadline(org, settings):
    order = org.issue()
    assert re.fullmatch(r"DB20260924[0-9A-HJKMNP-TV-Z]{6}", order.number)
    # Five working days after Thursday 24 September 2026: 中秋 (25th) and 国庆 (1-7 October) are skipped.
    assert order.reply_due == dt.date(2026, 10, 9)
    assert order.status == Order.Status.OPEN
    assert list(order.alerts.all()) == [org.alert] and list(order.cases.all()) == [org.case]

    clock.set_now(at(2026, 10, 8, 15))
    orders.answer(order, org.liaison, "已督促承办人办结。", [pdf()])
    order.refresh_from_db()
    assert order.status == Order.Status.ANSWERED

    clock.set_now(at(2026, 10, 9, 9))
    orders.send_back(order, org.supervisor, "未说明超期原因，请补充。", reply_days=3)
    order.refresh_from_db()
    # Saturday 10 October is a make-up working day (调休).
    assert (order.status, order.reply_due) == (Order.Status.OPEN, dt.date(2026, 10, 13))

    clock.set_now(at(2026, 10, 12, 11))
    orders.answer(order, org.people["approver"], "超期原因：专家评审延误；已建立提醒机制。",
                  [SimpleUploadedFile("现场照片.png", PNG), SimpleUploadedFile("签字页.jpg", JPG)])
    clock.set_now(at(2026, 10, 14, 16))
    orders.accept(order, org.supervisor, "整改到位。")
    order.refresh_from_db()
    assert order.status == Order.Status.ACCEPTED and order.closed_at == at(2026, 10, 14, 16)

    entries = list(order.entries.all())
    assert [(e.kind, e.by, e.reply_due) for e in entries] == [
        (OrderEntry.Kind.ISSUE, org.supervisor, dt.date(2026, 10, 9)),
        (OrderEntry.Kind.REPLY, org.liaison, None),
        (OrderEntry.Kind.RETURN, org.supervisor, dt.date(2026, 10, 13)),
        (OrderEntry.Kind.REPLY, org.people["approver"], None),
        (OrderEntry.Kind.ACCEPT, org.supervisor, None),
    ]
    assert entries[2].text == "未说明超期原因，请补充。" and entries[4].text == "整改到位。"
    first = entries[1].attachments.get()
    assert (first.name, first.content_type, first.size, first.digest) == (
        "整改报告.pdf", "application/pdf", len(PDF), sm3_hex(PDF))
    with first.file.open("rb") as stored:
        assert stored.read() == PDF
    assert [(a.name, a.content_type) for a in entries[3].attachments.all()] == [
        ("现场照片.png", "image/png"), ("签字页.jpg", "image/jpeg")]
    assert len(stored_files(settings)) == 3


def test_an_order_issued_from_an_alert_is_about_its_case(org):
    """督办 from an alert: the case, the department, the title and the demand are filled in."""
    body = html(client_for(org.supervisor).get(f"/supervision/orders/new/?alert={org.alert.pk}"))
    cases = re.search(r'<textarea name="cases"[^>]*>\s*([^<]*)</textarea>', body)
    assert cases is not None and cases.group(1).strip() == org.case.number
    assert f'<option value="{org.dept.pk}" selected>' in body
    assert f"承诺时限超期（黄牌）：办件{org.case.number}" in body
    assert "请查明原因，及时整改" in body


def test_the_workflow_through_the_pages(org):
    supervisor, liaison = client_for(org.supervisor), client_for(org.liaison)
    form = supervisor.get(f"/supervision/orders/new/?alert={org.alert.pk}&case={org.case.number}")
    body = html(form)
    assert form.status_code == 200
    assert "承诺时限超期" in body and org.case.number in body
    assert f'<option value="{org.dept.pk}" selected>' in body  # the alert's department
    assert 'name="reply_days" value="5"' in body

    response = supervisor.post("/supervision/orders/new/", {
        "alerts": [org.alert.pk], "cases": org.case.number, "department": org.dept.pk, "reply_days": 5,
        "title": "承诺时限超期办件整改", "demand": "查明原因，限期办结。"})
    order = Order.objects.get()
    assert response.status_code == 302 and response.url == f"/supervision/orders/{order.number}/"

    listed = html(liaison.get("/supervision/orders/"))
    assert order.number in listed and "2026-10-09" in listed
    page = html(liaison.get(f"/supervision/orders/{order.number}/"))
    assert "提交整改反馈" in page and "审核通过" not in page

    clock.set_now(at(2026, 9, 28))
    answered = liaison.post(f"/supervision/orders/{order.number}/answer/",
                            {"text": "已办结。", "files": [pdf("整改报告.pdf")]})
    assert answered.status_code == 302
    attachment = OrderAttachment.objects.get()
    page = html(supervisor.get(f"/supervision/orders/{order.number}/"))
    assert "已办结。" in page and "整改报告.pdf" in page and "退回重新整改" in page

    download = liaison.get(f"/supervision/orders/{order.number}/attachments/{attachment.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"

    back = supervisor.post(f"/supervision/orders/{order.number}/send-back/",
                           {"note": "请附办结通知书。", "reply_days": 2}, HTTP_HX_REQUEST="true")
    assert back.status_code == 204 and back["HX-Redirect"] == f"/supervision/orders/{order.number}/"
    assert liaison.post(f"/supervision/orders/{order.number}/answer/",
                        {"text": "已补充。", "files": [pdf("通知书.pdf")]}).status_code == 302
    assert supervisor.post(f"/supervision/orders/{order.number}/accept/", {"note": ""}).status_code == 302

    order.refresh_from_db()
    assert order.status == Order.Status.ACCEPTED
    page = html(liaison.get(f"/supervision/orders/{order.number}/"))
    for text in ("发出督办", "整改反馈", "退回重新整改", "审核通过", "请附办结通知书。", "通知书.pdf", "督办已办结"):
        assert text in page
    done = html(supervisor.get("/supervision/orders/?status=accepted"))
    assert order.number in done
    assert order.number not in html(supervisor.get("/supervision/orders/?status=open"))


def test_an_order_needs_a_subject_a_department_and_a_deadline(org):
    cases = [
        ({"title": " "}, "title"),
        ({"demand": ""}, "demand"),
        ({"department": None}, "department"),
        ({"alerts": [], "cases": []}, "cases"),
        ({"cases": ["NOSUCHCASE"]}, "cases"),
        ({"alerts": [999999]}, "alerts"),
        ({"reply_days": 0}, "reply_days"),
        ({"reply_days": orders.MAX_REPLY_DAYS + 1}, "reply_days"),
        ({"reply_days": "5"}, "reply_days"),
    ]
    for change, field in cases:
        with pytest.raises(InvalidInput) as refused:
            org.issue(**change)
        assert field in refused.value.fields, change
    assert not Order.objects.exists() and not OrderEntry.objects.exists()


def test_the_issue_form_says_what_is_wrong_and_issues_nothing(org):
    response = client_for(org.supervisor).post("/supervision/orders/new/", {
        "cases": "NOSUCHCASE", "department": org.dept.pk, "reply_days": 5, "title": "督办", "demand": "整改"})
    assert response.status_code == 400
    assert "办件编号不存在：NOSUCHCASE" in html(response)
    assert not Order.objects.exists()


def test_issuing_tells_the_departments_liaisons_and_a_send_back_tells_them_again(org):
    order = org.issue()
    sent = Notification.objects.filter(topic=f"order:{order.pk}")
    message = sent.get()
    assert (message.template, message.recipient, message.case) == ("supervision_order", org.liaison, org.case)
    assert order.number in message.body and "2026年10月9日" in message.body
    orders.answer(order, org.liaison, "已整改。")
    orders.send_back(order, org.supervisor, "材料不全。", reply_days=2)
    assert sent.count() == 2 and "材料不全" in sent.latest("pk").body


def test_a_department_without_a_liaison_hears_through_its_approvers(org):
    org.liaison.roles.remove(Role.LIAISON)
    approver = org.people["approver"]
    approver.email = "approver@example.gov.cn"
    approver.save()
    order = org.issue()
    assert list(Notification.objects.filter(topic=f"order:{order.pk}").values_list("recipient", flat=True)) == [
        approver.pk]


# -- who may do what ------------------------------------------------------------------------------

def test_only_supervisors_issue(org):
    for role in ("handler", "liaison", "approver", "admin"):
        with pytest.raises(Forbidden, match="监察员"):
            orders.issue_order(org.people[role], org.dept, "督办", "整改", cases=[org.case.number])
    response = client_for(org.people["handler"]).get(f"/supervision/orders/new/?case={org.case.number}")
    assert response.status_code == 403
    assert client_for(org.people["handler"]).post("/supervision/orders/new/", {
        "cases": org.case.number, "department": org.dept.pk, "reply_days": 5, "title": "督办",
        "demand": "整改"}).status_code == 403
    assert not Order.objects.exists()
    assert "发出督办" not in html(client_for(org.people["handler"]).get("/supervision/orders/"))


def test_another_department_neither_sees_nor_answers(org):
    order = org.issue()
    orders.answer(order, org.liaison, "已整改。", [pdf()])
    attachment = OrderAttachment.objects.get()
    stranger = org.others["liaison"]
    client = client_for(stranger)
    assert order.number not in html(client.get("/supervision/orders/"))
    for url in (f"/supervision/orders/{order.number}/", f"/supervision/orders/{order.number}/print/",
                f"/supervision/orders/{order.number}/attachments/{attachment.pk}/"):
        assert client.get(url).status_code == 404, url
    orders.send_back(order, org.supervisor, "再补充。", reply_days=3)
    response = client.post(f"/supervision/orders/{order.number}/answer/", {"text": "代为反馈", "files": [pdf()]})
    assert response.status_code == 404
    with pytest.raises(Forbidden, match="住房和城乡建设局"):
        orders.answer(order, stranger, "代为反馈")
    assert not orders.visible_orders(stranger).exists()
    assert order.entries.filter(kind=OrderEntry.Kind.REPLY).count() == 1


def test_a_departments_handler_sees_the_order_but_only_liaisons_and_approvers_answer(org):
    order = org.issue()
    handler = client_for(org.people["handler"])
    page = handler.get(f"/supervision/orders/{order.number}/")
    assert page.status_code == 200 and "提交整改反馈" not in html(page)
    response = handler.post(f"/supervision/orders/{order.number}/answer/", {"text": "已整改"})
    assert response.status_code == 403 and "部门联络员或审批人" in html(response)
    with pytest.raises(Forbidden):
        orders.answer(order, org.supervisor, "监察员不能代为反馈")
    assert Order.objects.get().status == Order.Status.OPEN


def test_only_supervisors_accept_or_send_back(org):
    order = org.issue()
    orders.answer(order, org.liaison, "已整改。")
    for person in (org.liaison, org.people["approver"], org.people["admin"]):
        with pytest.raises(Forbidden):
            orders.accept(order, person, "")
        with pytest.raises(Forbidden):
            orders.send_back(order, person, "再改", reply_days=3)
    response = client_for(org.liaison).post(f"/supervision/orders/{order.number}/accept/", {"note": ""})
    assert response.status_code == 403
    assert Order.objects.get().status == Order.Status.ANSWERED


def test_each_step_only_in_its_state(org):
    order = org.issue()
    with pytest.raises(TransitionRefused, match="尚未收到整改反馈"):
        orders.accept(order, org.supervisor)
    with pytest.raises(TransitionRefused, match="尚未收到整改反馈"):
        orders.send_back(order, org.supervisor, "再改", reply_days=3)
    orders.answer(order, org.liaison, "已整改。")
    with pytest.raises(TransitionRefused, match="不能重复反馈"):
        orders.answer(order, org.liaison, "再说一遍。")
    with pytest.raises(InvalidInput, match="退回理由"):
        orders.send_back(order, org.supervisor, "  ", reply_days=3)
    orders.accept(order, org.supervisor)
    with pytest.raises(TransitionRefused, match="已办结"):
        orders.answer(order, org.liaison, "补充。")
    with pytest.raises(TransitionRefused, match="已办结"):
        orders.send_back(order, org.supervisor, "再改", reply_days=3)
    assert [e.kind for e in order.entries.all()] == ["issue", "reply", "accept"]


def test_a_refused_action_on_the_page_keeps_what_was_typed(org):
    order = org.issue()
    orders.answer(order, org.liaison, "已整改。")
    response = client_for(org.supervisor).post(f"/supervision/orders/{order.number}/send-back/",
                                               {"note": "", "reply_days": 3}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    body = html(response)
    assert 'id="order-actions"' in body and "请填写退回理由" in body and "<html" not in body
    assert Order.objects.get().status == Order.Status.ANSWERED


# -- uploads --------------------------------------------------------------------------------------

@pytest.mark.parametrize("upload, message", [
    (SimpleUploadedFile("整改报告.pdf", HTML), "不是PDF、JPG、PNG文件"),
    (SimpleUploadedFile("说明.docx", b"PK\x03\x04" + bytes(40)), "不是PDF、JPG、PNG文件"),
    (SimpleUploadedFile("空.pdf", b""), "是空文件"),
    (SimpleUploadedFile("大.pdf", PDF + bytes(orders.MAX_FILE_BYTES)), "超过10 MB"),
])
def test_bad_uploads_are_refused_and_nothing_is_saved(org, settings, upload, message):
    order = org.issue()
    with pytest.raises(InvalidInput, match=message) as refused:
        orders.answer(order, org.liaison, "已整改。", [pdf("好的.pdf"), upload])
    assert "files" in refused.value.fields
    order.refresh_from_db()
    assert order.status == Order.Status.OPEN
    assert not OrderEntry.objects.filter(kind=OrderEntry.Kind.REPLY).exists()
    assert not OrderAttachment.objects.exists() and stored_files(settings) == []


def test_a_file_of_exactly_ten_megabytes_is_accepted(org):
    order = org.issue()
    content = PDF + bytes(orders.MAX_FILE_BYTES - len(PDF))
    orders.answer(order, org.liaison, "已整改。", [pdf("刚好.pdf", content)])
    assert OrderAttachment.objects.get().size == orders.MAX_FILE_BYTES


def test_too_many_files_are_refused(org):
    order = org.issue()
    with pytest.raises(InvalidInput, match=f"最多{orders.MAX_FILES}个"):
        orders.answer(order, org.liaison, "已整改。", [pdf(f"{i}.pdf") for i in range(orders.MAX_FILES + 1)])
    assert not OrderAttachment.objects.exists()


def test_a_bad_upload_on_the_page_says_why_and_keeps_the_text(org, settings):
    order = org.issue()
    response = client_for(org.liaison).post(f"/supervision/orders/{order.number}/answer/", {
        "text": "整改情况说明", "files": [SimpleUploadedFile("报告.pdf", HTML, content_type="application/pdf")]})
    assert response.status_code == 400
    body = html(response)
    assert "“报告.pdf”不是PDF、JPG、PNG文件" in body and "整改情况说明" in body
    assert Order.objects.get().status == Order.Status.OPEN and stored_files(settings) == []


def test_the_stored_name_says_what_the_file_really_is(org):
    order = org.issue()
    orders.answer(order, org.liaison, "已整改。", [pdf("整改报告.docx"), SimpleUploadedFile("../../etc/照片", PNG)])
    assert list(OrderAttachment.objects.values_list("name", "content_type")) == [
        ("整改报告.pdf", "application/pdf"), ("照片.png", "image/png")]
    for attachment in OrderAttachment.objects.all():
        assert re.fullmatch(r"supervision/2026/09/[0-9a-f]{24}\.(pdf|png)", attachment.file.name)


# -- pages ----------------------------------------------------------------------------------------

def test_the_list_filters_by_status_department_and_overdue(org):
    mine = org.issue()
    theirs = orders.issue_order(org.supervisor, org.other, "食品经营许可超期", "限期整改", cases=[org.case.number],
                                reply_days=1)
    supervisor = client_for(org.supervisor)
    everything = html(supervisor.get("/supervision/orders/"))
    assert mine.number in everything and theirs.number in everything
    only_other = html(supervisor.get(f"/supervision/orders/?department={org.other.pk}"))
    assert theirs.number in only_other and mine.number not in only_other
    clock.set_now(at(2026, 9, 30))  # theirs was due on 28 September (25th is 中秋)
    overdue = html(supervisor.get("/supervision/orders/?status=overdue"))
    assert theirs.number in overdue and mine.number not in overdue and "逾期2个工作日" in overdue
    partial = supervisor.get("/supervision/orders/?status=overdue", HTTP_HX_REQUEST="true",
                             HTTP_HX_TARGET="order-results")
    assert "<html" not in html(partial) and theirs.number in html(partial)
    # A department's staff see their own orders whatever they ask for.
    listed = html(client_for(org.people["handler"]).get(f"/supervision/orders/?department={org.other.pk}"))
    assert mine.number in listed and theirs.number not in listed


def test_a_late_reply_is_marked_in_the_history(org):
    order = org.issue()  # due 9 October
    clock.set_now(at(2026, 10, 13))
    orders.answer(order, org.liaison, "迟到的反馈。")
    page = html(client_for(org.supervisor).get(f"/supervision/orders/{order.number}/"))
    assert "超过反馈期限（2026-10-09）3个工作日反馈" in page  # 10 October is a 调休 working day


def test_the_printable_notice(org):
    order = org.issue()
    response = client_for(org.liaison).get(f"/supervision/orders/{order.number}/print/")
    body = html(response)
    assert response.status_code == 200
    for text in ("电子监察督办通知单", order.number, "住房和城乡建设局", "2026年10月9日前", org.case.number,
                 "supervision/orders.css", "data-print"):
        assert text in body
    assert "<style" not in body and "<script>" not in body and " style=" not in body


def test_the_admin_shows_orders_and_changes_nothing(org):
    order = org.issue()
    orders.answer(order, org.liaison, "已整改。", [pdf()])
    admin = f.user(None, is_superuser=True, is_staff=True)
    client = client_for(admin)
    assert client.get("/admin/supervision/order/").status_code == 200
    page = client.get(f"/admin/supervision/order/{order.pk}/change/")
    assert page.status_code == 200 and "整改报告.pdf" in html(page) and 'name="_save"' not in html(page)
    assert client.get("/admin/supervision/orderentry/").status_code == 200
    assert client.get("/admin/supervision/order/add/").status_code == 403
    assert client.post(f"/admin/supervision/order/{order.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Order.objects.filter(pk=order.pk).exists()


# -- two supervisors at once ----------------------------------------------------------------------

@pytest.mark.skipif(not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
                    reason="SQLite serialises writers by its file lock; row locks are tested on PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_reviews_at_once_one_wins(org, monkeypatch):
    order = org.issue()
    orders.answer(order, org.liaison, "已整改。")
    other = f.user(None, Role.SUPERVISOR, full_name="另一监察员")
    locking = orders._lock

    def slow_lock(order):
        # Hold the row a while after reading it: without the lock both reviews would read 已反馈 and pass.
        locked = locking(order)
        time.sleep(0.4)
        return locked

    monkeypatch.setattr(orders, "_lock", slow_lock)
    calls = [lambda: orders.accept(order.pk, org.supervisor, "通过"),
             lambda: orders.send_back(order.pk, other, "再改", reply_days=3)]
    results = race(*calls)
    won = [r for r in results if isinstance(r, Order)]
    lost = [r for r in results if not isinstance(r, Order)]
    assert len(won) == 1 and len(lost) == 1 and isinstance(lost[0], TransitionRefused), results
    verdicts = OrderEntry.objects.filter(order=order, kind__in=[OrderEntry.Kind.ACCEPT, OrderEntry.Kind.RETURN])
    assert verdicts.count() == 1
    assert Order.objects.get(pk=order.pk).status == won[0].status

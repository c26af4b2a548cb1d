"""The pages: an applicant applies online, the window pre-reviews in the workbench, each side sees each stage."""

import re

import pytest
from django.test import Client

from shenpi import clock
from shenpi.cases.models import Case
from shenpi.online.models import OnlineApplication
from tests.applicants.helpers import client_for

from .conftest import EXE, PNG, at, pdf, submitted, upload

Status = OnlineApplication.Status
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)


def html(response) -> str:
    return response.content.decode()


def assert_csp_clean(response) -> None:
    body = html(response)
    assert not INLINE_SCRIPT.search(body) and not INLINE_STYLE.search(body)


def _app_url(app, suffix=""):
    return f"/apply/{app.number}/{suffix}"


def test_anyone_browses_what_can_be_applied_for_but_must_sign_in_to_start(world):
    client = Client()
    page = client.get("/apply/")
    assert page.status_code == 200 and "建筑工程施工许可证核发" in html(page) and "登录" in html(page)
    assert_csp_clean(page)
    item_page = client.get(f"/apply/items/{world.item.code}/")
    body = html(item_page)
    assert "建设工程规划许可证" in body and "登录后申报" in body and "20 MB" in body and "200页" in body
    response = client.post(f"/apply/items/{world.item.code}/start/")
    assert response.status_code == 302 and response["Location"].startswith("/account/login/?next=")
    assert OnlineApplication.objects.count() == 0
    assert client.get("/apply/items/NOPE/").status_code == 404


def test_an_applicant_applies_online_page_by_page(world):
    clock.set_now(at(2026, 3, 2, 9))
    client = client_for(world.organisation)
    response = client.post(f"/apply/items/{world.item.code}/start/")
    app = OnlineApplication.objects.get()
    assert response["Location"] == _app_url(app)
    page = client.get(_app_url(app))
    body = html(page)
    assert "示范科技有限公司" in body and "911101********CD13" in body and "138****8000" in body
    assert "王五" in body and "草稿" in body
    assert_csp_clean(page)

    response = client.post(_app_url(app, "save/"), {"title": "示范大厦工程", "contact_name": "赵六",
                                                   "description": "<script>alert(1)</script>"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.title == "示范大厦工程" and app.data["contact_name"] == "赵六"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html(client.get(_app_url(app)))

    specs = world.specs()
    response = client.post(_app_url(app, f"materials/{specs[0].pk}/"), {"file": upload("申请表.exe.pdf", EXE)})
    assert response.status_code == 400
    assert "不是PDF、JPG、PNG文件（按文件内容识别，与扩展名无关）" in html(response)
    assert app.uploads.count() == 0
    response = client.post(_app_url(app, f"materials/{specs[0].pk}/"), {"file": upload("申请表.pdf", pdf(2))},
                           follow=True)
    assert "“建筑工程施工许可申请表”已上传：申请表.pdf。" in html(response)
    response = client.post(_app_url(app, f"materials/{specs[1].pk}/"), {"file": upload("规划许可证.pdf", PNG)},
                           follow=True)
    assert "规划许可证.png（按文件内容识别为PNG）" in html(response)

    # 施工图设计文件审查合格书 may follow after acceptance (容缺), on the applicant's commitment.
    response = client.post(_app_url(app, "save/"), {"title": "示范大厦工程", "contact_name": "赵六",
                                                   "description": "", "submit": "1"})
    assert response.status_code == 400
    assert "施工图设计文件审查合格书可容缺后补：请勾选容缺受理承诺" in html(response)
    assert 'name="deferral_commitment"' in html(response)
    response = client.post(_app_url(app, "save/"), {"title": "示范大厦工程", "contact_name": "赵六",
                                                   "description": "", "submit": "1", "deferral_commitment": "1"},
                           follow=True)
    body = html(response)
    assert "申请已提交，窗口将在2026年03月04日前完成预审。" in body
    assert "等待窗口预审" in body and "2026年3月4日" in body
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED


def test_submitting_without_the_required_materials_says_which(world):
    client = client_for(world.applicant)
    client.post(f"/apply/items/{world.item.code}/start/")
    app = OnlineApplication.objects.get()
    response = client.post(_app_url(app, "save/"), {"title": "自建住房", "description": "", "submit": "1"})
    assert response.status_code == 400
    assert "请上传以下必需材料：建筑工程施工许可申请表、建设工程规划许可证。" in html(response)
    app.refresh_from_db()
    assert app.status == Status.DRAFT and app.title == "自建住房"  # the draft part was kept


@pytest.mark.clocks
def test_the_window_queue_shows_due_dates_and_highlights_the_overdue(world):
    clock.set_now(at(2026, 3, 2, 9))
    first = submitted(world)
    clock.set_now(at(2026, 3, 4, 9))
    second = submitted(world, world.organisation)
    clock.set_now(at(2026, 3, 5, 9))
    clerk = world.client("clerk")
    home = html(clerk.get("/workbench/"))
    assert 'href="/workbench/prereview/"' in home and "网上预审" in home
    page = clerk.get("/workbench/prereview/")
    body = html(page)
    assert body.index(first.number) < body.index(second.number)
    assert "2026-03-04" in body and "已逾期" in body and "row-missing" in body
    assert_csp_clean(page)
    # The workbench's navigation marks the page as 网上预审, though the page is mounted by shenpi.online.
    assert 'class="nav-link active" href="/workbench/prereview/"' in body
    assert body.count('class="nav-link active"') == 1
    handler_nav = html(world.client("handler").get("/workbench/"))
    assert 'href="/workbench/prereview/"' not in handler_nav
    assert world.client("handler").get("/workbench/prereview/").status_code == 403
    assert world.client_for(world.others["clerk"]).get(f"/workbench/prereview/{first.number}/").status_code == 404


def test_correction_resubmission_and_acceptance_through_the_pages(world):
    clock.set_now(at(2026, 3, 2, 9))
    app = submitted(world)
    specs = world.specs()
    clerk = world.client("clerk")
    detail = clerk.get(f"/workbench/prereview/{app.number}/")
    body = html(detail)
    assert world.applicant.id_number in body and "13912345678" in body  # the department sees it all
    upload_row = app.uploads.first()
    download = clerk.get(f"/workbench/prereview/{app.number}/files/{upload_row.pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == upload_row.file.read()
    assert_csp_clean(detail)

    response = clerk.post(f"/workbench/prereview/{app.number}/correct/", {
        f"item-{specs[1].pk}": "1", f"problem-{specs[1].pk}": "复印件不清晰", f"item-{specs[2].pk}": "1",
        f"problem-{specs[2].pk}": "", "note": "补正后重新提交"})
    assert response.status_code == 302 and response["Location"] == "/workbench/prereview/"
    again = clerk.post(f"/workbench/prereview/{app.number}/correct/", {f"item-{specs[0].pk}": "1"})
    assert again.status_code == 409 and "一次性告知" in html(again)

    applicant = client_for(world.applicant)
    body = html(applicant.get(_app_url(app)))
    assert "一次性补正告知" in body and "复印件不清晰" in body and "施工图设计文件审查合格书" in body
    assert "提交补正材料" in body and "待补正" in body and "保存修改" in body and "保存草稿" not in body
    saved = applicant.post(_app_url(app, "save/"), {"title": "示范大厦工程", "description": ""}, follow=True)
    assert "修改已保存。补正完成后请点击“提交补正材料”。" in html(saved)
    applicant.post(_app_url(app, f"materials/{specs[1].pk}/"), {"file": upload("规划许可证.pdf", pdf(1))})
    applicant.post(_app_url(app, f"materials/{specs[2].pk}/"), {"file": upload("合格书.pdf", pdf(1))})
    response = applicant.post(_app_url(app, "save/"), {"title": "示范大厦工程", "description": "", "submit": "1"},
                              follow=True)
    assert "补正材料已重新提交" in html(response)

    response = clerk.post(f"/workbench/prereview/{app.number}/accept/")
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"].startswith(f"/workbench/cases/{case.number}/?notice=")
    body = html(applicant.get(_app_url(app)))
    assert case.number in body and case.query_code in body and "已受理" in body
    assert [e in body for e in ("提交申请", "一次性告知补正", "补正后重新提交", "预审通过，已受理")] == [True] * 4
    account = html(applicant.get("/account/"))
    assert case.number in account and app.number in account
    case_page = applicant.get(f"/account/cases/{case.number}/")
    assert case_page.status_code == 200 and "受理通知书" in html(case_page) and "办理中" in html(case_page)


def test_refusal_through_the_page_needs_a_reason_and_reaches_the_applicant(world):
    app = submitted(world)
    clerk = world.client("clerk")
    response = clerk.post(f"/workbench/prereview/{app.number}/refuse/", {"reason": " "})
    assert response.status_code == 400 and "不予受理必须写明理由。" in html(response)
    clerk.post(f"/workbench/prereview/{app.number}/refuse/", {"reason": "不属于本部门职权范围"})
    body = html(client_for(world.applicant).get(_app_url(app)))
    assert "不予受理" in body and "不属于本部门职权范围" in body and "行政复议" in body


def test_forms_need_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.applicant.user)
    assert client.post(f"/apply/items/{world.item.code}/start/").status_code == 403
    assert OnlineApplication.objects.count() == 0

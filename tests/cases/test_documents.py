"""Every notice the lifecycle issues prints as a PDF carrying its facts."""

import shutil
import subprocess

import pytest

from shenpi.cases import services
from shenpi.cases.documents import notice_pdf
from shenpi.cases.models import Notice
from tests import factories as f

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes, tmp_path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "n.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.clocks
def test_each_issued_notice_renders_with_its_facts(tmp_path):
    dept = f.department()
    people = f.staff(dept)
    it = f.item(dept)
    specs = list(it.current_version().materials.all())
    refused = f.receive(people["clerk"], it, materials={specs[0].pk: {"received": True}})
    refused = services.perform(refused, "request_correction", actor=people["clerk"],
                               params={"missing": [{"name": specs[1].name, "problem": "未提交原件"}]})
    refused = services.perform(refused, "refuse", actor=people["clerk"], params={"reason": "逾期未补正"})
    case = services.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])
    case = services.perform(case, "suspend", actor=people["handler"],
                            params={"kind": "expert_review", "reason": "组织专家评审", "expected_days": 5})
    case = services.perform(case, "extend", actor=people["approver"], params={"days": 5, "reason": "情况复杂"})
    case = services.perform(case, "resume", actor=people["handler"])
    case = services.perform(case, "request_supplement", actor=people["handler"], params={"reason": "补交结构图纸"})
    case = services.perform(case, "resume", actor=people["clerk"])
    for role in ("handler", "reviewer", "approver"):
        case = services.perform(case, "pass", actor=people[role])
    case = services.perform(case, "deny", actor=people["approver"], params={"reason": "不符合规划条件"})

    expected = {
        Notice.Kind.CORRECTION: [specs[1].name, "未提交原件"],
        Notice.Kind.REFUSAL: ["逾期未补正"],
        Notice.Kind.ACCEPTANCE: [case.number],
        Notice.Kind.SPECIAL_PROCEDURE: ["专家评审", "组织专家评审"],
        Notice.Kind.EXTENSION: ["情况复杂"],
        Notice.Kind.SUPPLEMENT: ["补交结构图纸"],
        Notice.Kind.DENIAL: ["不符合规划条件"],
    }
    notices = list(Notice.objects.filter(case__in=[refused, case]))
    assert {n.kind for n in notices} == set(expected)
    for notice in notices:
        name, data = notice_pdf(notice)
        assert name.endswith(".pdf") and data.startswith(b"%PDF")
        text = pdf_text(data, tmp_path).replace("\n", "").replace(" ", "")
        for fact in expected[notice.kind]:
            assert fact in text, (notice.kind, fact)


@pytest.mark.clocks
def test_the_supplement_notice_lists_the_materials_asked_for(tmp_path):
    dept = f.department()
    people = f.staff(dept)
    case = services.perform(f.receive(people["clerk"], f.item(dept)), "accept", actor=people["clerk"])
    asked = [{"name": "结构施工图", "problem": "缺少第3层平面"}, {"name": "消防设计说明"}]
    case = services.perform(case, "request_supplement", actor=people["handler"],
                            params={"reason": "审查中发现图纸不全", "materials": asked, "expected_days": 5})
    notice = Notice.objects.get(case=case, kind=Notice.Kind.SUPPLEMENT)
    text = pdf_text(notice_pdf(notice)[1], tmp_path).replace("\n", "").replace(" ", "")
    assert "结构施工图" in text and "缺少第3层平面" in text and "消防设计说明" in text
    assert "见补交理由" not in text
    assert notice.body["materials"][1] == {"name": "消防设计说明", "problem": "需补交"}
    stop = case.clock_stops.get(ended_at__isnull=True)
    assert f"请于{stop.limit_due.year}年{stop.limit_due.month}月{stop.limit_due.day}日前补交" in text


@pytest.mark.clocks
def test_a_supplement_asked_by_reason_alone_prints_the_reason_as_the_request(tmp_path):
    dept = f.department()
    people = f.staff(dept)
    case = services.perform(f.receive(people["clerk"], f.item(dept)), "accept", actor=people["clerk"])
    case = services.perform(case, "request_supplement", actor=people["handler"], params={"reason": "补交结构图纸"})
    text = pdf_text(notice_pdf(Notice.objects.get(case=case, kind=Notice.Kind.SUPPLEMENT))[1], tmp_path)
    text = text.replace("\n", "").replace(" ", "")
    assert "需补交的材料及原因：" in text and "补交结构图纸。" in text and "见补交理由" not in text

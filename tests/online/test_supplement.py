"""网上补件: a 补件 asked for during processing is answered online, file by file checked by content, and the
case resumes with its clock moved by the working days it stood still."""

import datetime as dt

import pytest

from shenpi import clock
from shenpi.cases import services as case_services
from shenpi.cases import trail
from shenpi.cases.models import CaseEvent, ClockStop, State
from shenpi.crypto import sm3_hex
from shenpi.errors import Forbidden, InvalidInput, TransitionRefused
from shenpi.notifications.models import Notification
from shenpi.online import services
from tests.applicants.helpers import client_for

from .conftest import EXE, PNG, at, pdf, submitted, upload

pytestmark = pytest.mark.django_db


def accepted_online(world):
    clock.set_now(at(2026, 3, 2, 9))  # Monday
    return case_services.perform(services.accept(submitted(world), world.people["clerk"]), "pass",
                                 actor=world.people["handler"], params={"opinion": "同意"})


def ask_supplement(world, case, **extra):
    permit = case.materials.get(name="建设工程规划许可证")
    params = {"reason": "规划许可证复印件不清晰，另需消防设计审查意见", "expected_days": 5,
              "materials": [{"material": permit.pk, "problem": "复印件不清晰"}, {"name": "消防设计审查意见书"}],
              **extra}
    return case_services.perform(case, "request_supplement", actor=world.people["reviewer"], params=params)


def test_supplement_answered_online_resumes_the_case_and_moves_its_dues(world):
    case = accepted_online(world)
    due_before = case.promised_due
    clock.set_now(at(2026, 3, 3, 10))  # Tuesday
    case = ask_supplement(world, case)
    assert case.state == State.SUSPENDED
    stop = ClockStop.objects.get(case=case)
    assert [e["name"] for e in stop.materials] == ["建设工程规划许可证", "消防设计审查意见书"]
    assert stop.limit_due == dt.date(2026, 3, 10)

    # The applicant is told by SMS what to bring and by when, and that it can be done online.
    sms = Notification.objects.filter(case=case, template="supplement_requested").get()
    assert sms.address == world.applicant.mobile
    assert "1. 建设工程规划许可证（复印件不清晰）" in sms.body and "2. 消防设计审查意见书（需补交）" in sms.body
    assert "2026年3月10日前补交" in sms.body and "我的办件" in sms.body

    owner = client_for(world.applicant)
    home = owner.get("/account/").content.decode()
    assert f"/apply/cases/{case.number}/supplement/" in home and "2026-03-10前" in home
    page = owner.get(f"/account/cases/{case.number}/").content.decode()
    assert "需要补交材料" in page and "消防设计审查意见书" in page and "在线补交材料" in page

    # Three working days later (Friday), the files come: one is an executable renamed .pdf.
    clock.set_now(at(2026, 3, 6, 15))
    url = f"/apply/cases/{case.number}/supplement/"
    assert "提交补件材料" in owner.get(url).content.decode()
    refused = owner.post(url, {"file-0": upload("规划许可证.pdf", pdf(1)), "file-1": upload("意见书.pdf", EXE)})
    assert refused.status_code == 400
    assert "不是PDF、JPG、PNG文件" in refused.content.decode()
    case.refresh_from_db()
    assert case.state == State.SUSPENDED

    scan = pdf(3)
    done = owner.post(url, {"file-0": upload("规划许可证.pdf", scan), "file-1": upload("意见书.jpg", PNG),
                            "comment": "已重新扫描"})
    assert done.status_code == 302 and done["Location"] == f"/account/cases/{case.number}/"
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS and case.clock_stopped_on is None
    assert case.stopped_days == 3  # Tue→Fri: Wednesday, Thursday, Friday stood still
    assert case.promised_due == due_before + dt.timedelta(days=3)  # 16 March → 19 March
    stop.refresh_from_db()
    assert stop.ended_at is not None and stop.stopped_days == 3

    # The files joined the case's materials with their digests; the permit received earlier keeps its file.
    supplied = {m.name: m for m in case.materials.filter(name__endswith="（补交）")}
    assert set(supplied) == {"建设工程规划许可证（补交）", "消防设计审查意见书（补交）"}
    permit = supplied["建设工程规划许可证（补交）"]
    assert permit.content_hash == sm3_hex(scan) and permit.content_type == "application/pdf" and permit.received
    assert permit.file.read() == scan
    opinion = supplied["消防设计审查意见书（补交）"]
    assert opinion.content_type == "image/png" and opinion.content_hash == sm3_hex(PNG)

    # The trail says who answered and which files, and stays intact.
    event = CaseEvent.objects.filter(case=case).order_by("-pk").first()
    assert event.action == "supply" and event.actor_id == world.applicant.user_id and event.comment == "已重新扫描"
    assert [f["digest"] for f in event.data["files"]] == [sm3_hex(scan), sm3_hex(PNG)]
    assert event.data["stopped_days"] == 3
    assert not trail.verify(case_number=case.number).breaks

    # Nothing left to supply; the handler's step is worked again.
    assert "没有需要在线补交的材料" in owner.get(url).content.decode()
    case = case_services.perform(case, "pass", actor=world.people["reviewer"], params={"opinion": "同意"})
    assert case.state == State.IN_PROGRESS


def test_every_listed_material_is_needed(world):
    case = ask_supplement(world, accepted_online(world))
    with pytest.raises(InvalidInput, match="消防设计审查意见书"):
        services.supply_materials(world.applicant, case, {0: upload("a.pdf", pdf(1)), 1: None})
    case.refresh_from_db()
    assert case.state == State.SUSPENDED
    assert not case.materials.filter(name__endswith="（补交）").exists()


def test_only_the_applicant_of_the_case_may_supply(world):
    case = ask_supplement(world, accepted_online(world))
    intruder = client_for(world.organisation)
    url = f"/apply/cases/{case.number}/supplement/"
    assert intruder.get(url).status_code == 404
    assert intruder.post(url, {"file-0": upload("a.pdf", pdf(1)), "file-1": upload("b.pdf", pdf(1))}).status_code == 404
    with pytest.raises(Forbidden):
        services.supply_materials(world.organisation, case, {0: upload("a.pdf", pdf(1)), 1: upload("b.pdf", pdf(1))})
    case.refresh_from_db()
    assert case.state == State.SUSPENDED
    # Staff cannot perform the applicant's action through their door either.
    with pytest.raises(InvalidInput, match="未知的操作"):
        case_services.perform(case, "supply", actor=world.people["clerk"])


def test_a_special_procedure_or_an_unlisted_supplement_is_not_answered_online(world):
    case = case_services.perform(accepted_online(world), "suspend", actor=world.people["reviewer"],
                                 params={"kind": "expert_review", "reason": "组织专家评审", "expected_days": 5})
    with pytest.raises(TransitionRefused, match="没有待补交的材料"):
        services.supply_materials(world.applicant, case, {0: upload("a.pdf", pdf(1))})
    case = case_services.perform(case, "resume", actor=world.people["reviewer"])
    case = case_services.perform(case, "request_supplement", actor=world.people["reviewer"],
                                 params={"reason": "请携带原件到窗口核验"})
    page = client_for(world.applicant).get(f"/account/cases/{case.number}/").content.decode()
    assert "请携带上述材料到窗口补交" in page and "在线补交材料" not in page
    with pytest.raises(TransitionRefused, match="未列明材料清单"):
        services.supply_materials(world.applicant, case, {0: upload("a.pdf", pdf(1))})
    sms = Notification.objects.filter(case=case, template="supplement_requested").get()
    assert "请携带原件到窗口核验" in sms.body and "/query/?number=" in sms.body


def test_a_foreign_material_cannot_be_listed(world):
    case = accepted_online(world)
    with pytest.raises(InvalidInput, match="不属于本件"):
        case_services.perform(case, "request_supplement", actor=world.people["reviewer"],
                              params={"reason": "补交", "materials": [{"material": 999999}]})

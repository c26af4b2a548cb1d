"""Catalogue exchange: export, re-import as a plan, apply as new versions (all or nothing)."""

import io
import json
import zipfile
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from shenpi.accounts.models import Role
from shenpi.catalog import services, transfer
from shenpi.catalog.models import FeeStandard, ItemVersion
from tests import factories as f

pytestmark = pytest.mark.django_db

LAW = "《行政许可法》"


@pytest.fixture
def catalogue():
    """A demo-like catalogue: flows with a parallel step, materials, a fixed, a per-unit and a tiered fee."""
    dept = f.department(code="ZJJ")
    other = f.department(name="消防救援支队", code="XF")
    staff = f.staff(dept)
    steps = (services.StepEntry(1, "受理审查", Role.HANDLER), services.StepEntry(2, "审核", Role.REVIEWER, limit=3),
             services.StepEntry(2, "消防意见", Role.HANDLER, department=other, limit=2),
             services.StepEntry(3, "审批", Role.APPROVER, limit=8, limit_unit="hours"))
    fees = (services.FeeEntry("工本费", "每证10元", LAW, amount="10.00"),
            services.FeeEntry("勘验费", "每平方米0.5元", LAW, kind=FeeStandard.Kind.PER_UNIT, unit="平方米",
                              unit_price="0.50"),
            services.FeeEntry("审查费", "分档累进", LAW, kind=FeeStandard.Kind.TIERED, unit="平方米",
                              tiers=({"up_to": "1000", "price": "1.50"}, {"up_to": None, "price": "0.80"})))
    materials = (services.MaterialEntry("申请表", template=("申请表.docx", b"form")),
                 services.MaterialEntry("营业执照", form="copy", copies=2, deferrable=True, note="加盖公章"))
    paid, _ = services.build_item("330100-001", dept, version={
        "name": "建筑工程施工许可证核发", "legal_basis": "《建筑法》第八条", "statutory_limit": 20,
        "promised_limit": 15, "free_of_charge": False, "fee_basis": LAW, "joint_handling": True,
        "extension_limit": 15}, materials=materials, fees=fees, steps=steps, procedures={"expert_review": 15})
    free, _ = services.build_item("330100-002", dept, version={
        "name": "城市建筑垃圾处置核准", "legal_basis": "《城市市容和环境卫生管理条例》", "statutory_limit": 20,
        "promised_limit": 5}, materials=materials[1:], steps=steps[:1])
    return dept, staff, paid, free


def _plan(content: bytes) -> transfer.Plan:
    return transfer.diff(transfer.parse(content))


@pytest.mark.parametrize("export", [transfer.export_json, transfer.export_xlsx])
def test_round_trip_is_an_empty_plan(catalogue, export):
    plan = _plan(export())
    assert plan.empty and plan.unchanged == 2 and plan.absent == []


def test_excel_is_the_titled_table_with_a_sheet_per_table(catalogue):
    book = load_workbook(io.BytesIO(transfer.export_xlsx()))
    assert book.sheetnames == ["事项", "申请材料", "收费标准", "办理流程", "特别程序"]
    assert book["事项"]["A1"].value == "事项目录：事项"
    assert [c.value for c in book["收费标准"][3]][:4] == ["事项编码", "收费项目", "收费标准", "计费方式"]
    assert book["收费标准"].max_row == 3 + 3


def test_changed_limit_applies_as_a_new_version_and_cases_keep_theirs(catalogue):
    dept, staff, paid, free = catalogue
    case = f.receive(staff["clerk"], free)
    old = free.current_version()
    document = json.loads(transfer.export_json())
    document["items"][1]["promised_limit"] = 3
    content = json.dumps(document).encode()

    plan = _plan(content)
    [entry] = plan.entries
    assert (entry.code, entry.status) == ("330100-002", "changed")
    assert [(c.label, c.old, c.new) for c in entry.changes] == [("承诺时限(工作日)", 5, 3)]
    assert free.current_version() == old  # the dry run changed nothing

    [published] = transfer.apply(plan, staff["admin"])
    old.refresh_from_db()
    case.refresh_from_db()
    assert (published.number, published.promised_limit, published.status) == (2, 3, ItemVersion.Status.PUBLISHED)
    assert old.status == ItemVersion.Status.RETIRED and old.promised_limit == 5
    assert case.version_id == old.pk
    assert list(published.materials.values_list("name", flat=True)) == ["营业执照"]
    assert _plan(content).empty


def test_new_items_absent_items_and_templates_kept(catalogue):
    dept, staff, paid, free = catalogue
    document = json.loads(transfer.export_json())
    added = dict(document["items"][1], code="330100-003", name="新事项")
    document["items"] = [document["items"][0], added]
    document["items"][0]["fees"][2]["tiers"][0]["price"] = "1.60"
    plan = _plan(json.dumps(document).encode())
    assert [(e.code, e.status) for e in plan.entries] == [("330100-001", "changed"), ("330100-003", "new")]
    assert [c.label for c in plan.entries[0].changes] == ["收费标准"]
    assert plan.absent == [("330100-002", "城市建筑垃圾处置核准")]
    assert any(line.startswith("文件中没有") for line in plan.lines())
    first, new = transfer.apply(plan)
    fee = first.fees.get(name="审查费")
    assert fee.tiers[0] == {"up_to": "1000", "price": "1.60"}
    template = first.materials.get(name="申请表").template
    assert template and template.read() == b"form"
    assert new.item.code == "330100-003" and free.current_version().number == 1  # absent: left as it is


def test_invalid_excel_rows_refused_with_line_and_field(catalogue):
    book = load_workbook(io.BytesIO(transfer.export_xlsx()))
    items = book["事项"]
    promised = [c.value for c in items[3]].index("承诺时限(工作日)") + 1
    items.cell(row=5, column=promised, value=30)
    fees = book["收费标准"]
    fees.cell(row=4, column=5, value="")  # 工本费 without its amount
    book["办理流程"].cell(row=4, column=4, value="nobody")
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(transfer.TransferError) as refused:
        transfer.parse(out.getvalue())
    problems = refused.value.problems
    assert "“事项”第5行 承诺时限(工作日)：承诺时限不能长于法定时限。" in problems
    assert "“收费标准”第4行 金额(元)：按件定额收费须填写金额（不小于0）。" in problems
    assert "“办理流程”第4行 办理角色：角色“nobody”不存在。" in problems


def test_invalid_json_values_refused_with_item_and_field(catalogue):
    document = json.loads(transfer.export_json())
    document["items"][0]["extension_limit"] = "十"
    document["items"][1]["procedures"] = {"no_such": 5}
    with pytest.raises(transfer.TransferError) as refused:
        transfer.parse(json.dumps(document).encode())
    assert refused.value.problems == [
        "第1个事项（330100-001） 可延长时限(工作日)：应为不小于0的整数，不是“十”。",
        "第2个事项（330100-002） 特别程序：未知的特别程序代码“no_such”。"]


@pytest.mark.parametrize("content", [b"%PDF-1.4 not a catalogue", b"code,name\n1,2\n",
                                     b"PK\x03\x04broken zip"])
def test_not_xlsx_or_json_is_refused_by_content(catalogue, content):
    with pytest.raises(transfer.TransferError):
        transfer.parse(content)


def test_a_zip_that_is_not_a_workbook_is_refused(catalogue):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("items.json", transfer.export_json())
    with pytest.raises(transfer.TransferError, match="不是Excel"):
        transfer.parse(out.getvalue())


def test_failure_mid_apply_rolls_back_everything(catalogue):
    dept, staff, paid, free = catalogue
    document = json.loads(transfer.export_json())
    for record in document["items"]:
        record["promised_limit"] = 4
    document["items"].append(dict(document["items"][1], code="330100-009"))
    plan = _plan(json.dumps(document).encode())
    assert len(plan.entries) == 3
    real = services.publish
    calls = []

    def publish_then_fail(draft, actor=None):
        calls.append(draft)
        if len(calls) == 3:
            raise services.NotPublishable("模拟故障", ["模拟故障"])
        return real(draft, actor)

    with mock.patch.object(services, "publish", publish_then_fail), pytest.raises(services.CatalogError):
        transfer.apply(plan)
    assert ItemVersion.objects.count() == 2
    assert paid.current_version().number == 1 and free.current_version().promised_limit == 5
    assert not ItemVersion.objects.filter(item__code="330100-009").exists()


def test_command_dry_run_apply_and_bad_input(catalogue, tmp_path, capsys):
    path = tmp_path / "catalogue.xlsx"
    call_command("catalogue", "export", "--format", "xlsx", str(path))
    call_command("catalogue", "import", str(path))
    assert "变更0项，未变2项" in capsys.readouterr().out
    book = load_workbook(path)
    book["事项"].cell(row=4, column=3, value="建筑工程施工许可")
    book.save(path)
    call_command("catalogue", "import", str(path))
    assert "以上为预览" in capsys.readouterr().out
    assert ItemVersion.objects.count() == 2
    call_command("catalogue", "import", str(path), "--apply")
    assert "已发布1个事项版本" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"not a catalogue")
    with pytest.raises(CommandError, match="既不是Excel"):
        call_command("catalogue", "import", str(bad))


def test_admin_page_previews_then_applies_on_confirmation(admin_client, catalogue):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    page = reverse("admin:catalog_item_transfer")
    assert reverse("admin:catalog_item_transfer") in admin_client.get(reverse("admin:catalog_item_changelist")).text
    exported = admin_client.get(reverse("admin:catalog_item_export", args=["xlsx"]))
    assert exported["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(exported.content))
    book["事项"].cell(row=4, column=3, value="建筑工程施工许可")
    out = io.BytesIO()
    book.save(out)
    preview = admin_client.post(page, {"file": SimpleUploadedFile("目录.xlsx", out.getvalue())})
    assert "变更 330100-001 建筑工程施工许可" in preview.text and "确认导入" in preview.text
    assert ItemVersion.objects.count() == 2
    done = admin_client.post(page, {"confirm": "1", "document": preview.context["document"]}, follow=True)
    assert "发布1个事项版本" in done.text
    assert ItemVersion.objects.published().get(item__code="330100-001").name == "建筑工程施工许可"
    refused = admin_client.post(page, {"file": SimpleUploadedFile("目录.xlsx", b"%PDF-1.4")})
    assert "既不是Excel工作簿(.xlsx)也不是JSON" in refused.text


def test_staff_without_the_catalogue_rights_cannot_import(client, catalogue):
    from django.urls import reverse

    dept, staff, paid, free = catalogue
    f.login_staff(client, staff["clerk"])
    response = client.get(reverse("admin:catalog_item_transfer"))
    assert response.status_code in (302, 403)
    assert ItemVersion.objects.count() == 2

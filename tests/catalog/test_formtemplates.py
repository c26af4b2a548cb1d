"""Application forms as workbooks: the applicant block follows who may apply, the item's own fields
and its materials are there, and the sheet prints on A4, one page wide."""

import io
import zipfile

from openpyxl import load_workbook

from shenpi.catalog.formtemplates import FormMaterial, application_form

MATERIALS = [FormMaterial("建筑工程施工许可申请表", "原件", 1, True),
             FormMaterial("建设工程规划许可证", "复印件", 2, True),
             FormMaterial("委托书", "原件", 1, False)]


def texts(content: bytes) -> tuple[set[str], object]:
    sheet = load_workbook(io.BytesIO(content)).active
    return {cell for row in sheet.iter_rows(values_only=True) for cell in row if cell}, sheet


def form(audience: str) -> bytes:
    return application_form(title="建筑工程施工许可申请表", item_name="建筑工程施工许可证核发", item_code="SF-ZJ-001",
                            department="示范市住房和城乡建设局", audience=audience,
                            fields=["工程名称", "建设地址", "合同价格(万元)"], materials=MATERIALS)


def test_an_organisations_form_asks_for_the_credit_code_and_the_items_fields():
    content = form("organisation")
    assert zipfile.is_zipfile(io.BytesIO(content))
    found, sheet = texts(content)
    assert "建筑工程施工许可申请表" in found
    assert {"单位名称", "统一社会信用代码", "法定代表人(负责人)", "工程名称", "建设地址", "合同价格(万元)"} <= found
    assert "居民身份证号码" not in found and "姓名" not in found
    assert {"1. 建筑工程施工许可申请表", "2. 建设工程规划许可证", "3. 委托书"} <= found
    assert "复印件 2份；必需        已提交 □" in found and "原件 1份；视情况提交        已提交 □" in found
    assert any("如有不实" in text for text in found) and "申请人（签字/盖章）" in found and "办件编号" in found
    assert int(sheet.page_setup.paperSize) == 9 and sheet.page_setup.fitToWidth == 1  # 9: A4
    assert sheet.print_area == f"'申请表'!$A$1:$B${sheet.max_row}"


def test_a_persons_form_asks_for_the_id_number_and_either_kind_gets_a_box_to_tick():
    person, _ = texts(form("person"))
    assert {"姓名", "居民身份证号码", "住址"} <= person and "统一社会信用代码" not in person
    either, _ = texts(form("both"))
    assert "□ 个人        □ 法人或其他组织" in either and "统一社会信用代码/身份证号码" in either

"""The printable notices: every kind renders, says what it must, and refuses incomplete facts."""

import datetime as dt
import logging
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from shenpi import fonts
from shenpi.cases import notices
from shenpi.cases.linebreak import NO_LINE_END, NO_LINE_START
from shenpi.cases.notices import NoticeData, notice_filename, query_url, render_notice

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "notices"
SHANGHAI = ZoneInfo("Asia/Shanghai")
BASE_URL = "https://zwfw.example.gov.cn"
CASE_NUMBER = "SP2026093000417"
QUERY_CODE = "K7Q4M2"
MISSING = [
    {"name": "营业执照副本复印件", "problem": "未加盖公章", "requirement": "加盖单位公章后重新提交"},
    {"name": "食品安全管理制度", "problem": "缺少进货查验记录制度"},
    {"name": "经营场所平面布局图", "problem": "未标注设备布局和操作流程"},
]
REFUSAL_REASON = "申请事项不属于本机关职权范围"

DETAILS = {
    "acceptance": {
        "received_on": dt.date(2026, 9, 28),
        "accepted_on": dt.date(2026, 9, 28),
        "promised_limit": 5,
        "statutory_limit": 20,
        "promised_due": dt.date(2026, 10, 13),
        "statutory_due": dt.date(2026, 10, 30),
        "due_provisional": True,
        "project_name": "示范市东区某某餐饮店",
        "materials": [{"name": "食品经营许可申请书", "copies": 1},
                      {"name": "营业执照副本复印件", "copies": 1, "note": "已核对原件"}],
        "contact": "0571-12345678",
    },
    "correction": {"received_on": dt.date(2026, 9, 28), "materials": MISSING, "due": dt.date(2026, 10, 20)},
    "refusal": {"received_on": dt.date(2026, 9, 28), "reason": REFUSAL_REASON,
                "refer_to": "示范市市场监督管理局", "review_body": "示范市人民政府"},
    "special_procedure": {"procedure": "专家评审", "reason": "该项目涉及公共安全，需组织专家对技术方案进行评审。",
                          "expected_days": 15, "accepted_on": dt.date(2026, 9, 28),
                          "start_on": dt.date(2026, 10, 9), "expected_end": dt.date(2026, 10, 29)},
    "supplement": {"materials": MISSING[:1], "reason": "审查中发现证明材料已过有效期",
                   "due": dt.date(2026, 10, 15)},
    "extension": {"days": 10, "reason": "需征求规划、消防等部门意见，无法在法定期限内作出决定。",
                  "approved_by": "李局长", "original_due": dt.date(2026, 10, 30),
                  "new_due": dt.date(2026, 11, 13), "due_provisional": False},
    "grant": {"result_name": "食品经营许可证", "result_number": "JY13301020012345",
              "valid_until": dt.date(2031, 9, 29), "delivery": "窗口领取或邮寄送达",
              "accepted_on": dt.date(2026, 9, 28)},
    "denial": {"reason": "经现场核查，经营场所与污染源距离不足25米，不符合《食品经营许可审查通则》的要求。",
               "legal_basis": "《食品经营许可和备案管理办法》第十三条", "accepted_on": dt.date(2026, 9, 28)},
}


def make(kind: str, details: dict | None = None, **overrides) -> NoticeData:
    values = {
        "kind": kind,
        "number": f"示政服〔2026〕{list(DETAILS).index(kind) + 1:03d}号",
        "centre_name": "示范市政务服务中心",
        "department_name": "示范市市场监督管理局",
        "case_number": CASE_NUMBER,
        "query_code": QUERY_CODE,
        "applicant_name": "示范市东区某某餐饮有限公司",
        "item_name": "食品经营许可",
        "issued_at": dt.datetime(2026, 9, 30, 10, 15, tzinfo=SHANGHAI),
        "issuer_name": "王小明",
        "details": DETAILS[kind] if details is None else details,
        "public_base_url": BASE_URL,
    }
    values.update(overrides)
    return NoticeData(**values)


def write_artifact(data: NoticeData, pdf: bytes) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{data.kind}.pdf"
    path.write_bytes(pdf)
    return path


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian poppler-utils) is not installed; cannot check the printed text")
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"],
                            capture_output=True, check=True, text=True)
    # Lines wrap anywhere in Chinese text: compare without whitespace.
    return "".join(result.stdout.split())


@pytest.mark.parametrize("kind", list(DETAILS))
def test_every_kind_renders_a_pdf_with_its_facts(kind):
    data = make(kind)
    pdf = render_notice(data)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert len(pdf) > 5_000
    text = pdf_text(write_artifact(data, pdf))
    for expected in (notices.KIND_TITLES[kind], data.number, CASE_NUMBER, data.applicant_name,
                     data.department_name, "（盖章）", "2026年9月30日", notices.QR_CAPTION,
                     f"查询密码：{QUERY_CODE}"):
        assert expected in text, expected


def test_correction_lists_every_missing_material_and_says_it_is_one_time():
    data = make("correction")
    text = pdf_text(write_artifact(data, render_notice(data)))
    for material in MISSING:
        assert material["name"] in text
        assert material["problem"] in text
    assert "加盖单位公章后重新提交" in text
    assert "一次性告知" in text
    assert "第三十二条" in text
    assert "请于2026年10月20日前补正" in text


def test_refusal_gives_reason_and_remedies():
    data = make("refusal")
    text = pdf_text(write_artifact(data, render_notice(data)))
    assert REFUSAL_REASON in text
    assert "示范市人民政府申请行政复议" in text
    assert "六十日内" in text and "六个月内" in text and "提起行政诉讼" in text
    assert "可以向示范市市场监督管理局提出申请" in text


def test_denial_gives_reason_basis_and_remedies():
    data = make("denial")
    text = pdf_text(write_artifact(data, render_notice(data)))
    assert "不符合《食品经营许可审查通则》的要求" in text
    assert "《食品经营许可和备案管理办法》第十三条" in text
    assert "第三十八条第二款" in text
    assert "依法申请行政复议" in text and "向人民法院提起行政诉讼" in text


def test_acceptance_marks_provisional_due_dates(tmp_path):
    data = make("acceptance")
    text = pdf_text(write_artifact(data, render_notice(data)))
    assert "2026年10月13日（5个工作日）（预计，以国务院节假日通知为准）" in text
    assert "2026年10月30日（20个工作日）（预计，以国务院节假日通知为准）" in text
    assert "食品经营许可申请书" in text

    firm = tmp_path / "firm.pdf"
    firm.write_bytes(render_notice(make("acceptance", {**DETAILS["acceptance"], "due_provisional": False})))
    assert "预计" not in pdf_text(firm)


def test_special_procedure_and_extension_state_the_law():
    special = pdf_text(write_artifact(make("special_procedure"), render_notice(make("special_procedure"))))
    assert "15个工作日" in special and "第四十五条" in special and "不计算在行政许可办理期限内" in special
    extension = pdf_text(write_artifact(make("extension"), render_notice(make("extension"))))
    assert "延长10个工作日" in extension and "李局长" in extension and "2026年11月13日" in extension
    assert "第四十二条" in extension


def test_grant_names_the_result():
    text = pdf_text(write_artifact(make("grant"), render_notice(make("grant"))))
    assert "食品经营许可证" in text and "JY13301020012345" in text and "准予行政许可" in text


def test_user_text_is_not_taken_for_markup(tmp_path):
    data = make("refusal", {"reason": "材料<第2页>与A&B公司的申报不符"}, applicant_name="A&B<有限>公司")
    path = tmp_path / "escaped.pdf"
    path.write_bytes(render_notice(data))
    text = pdf_text(path)
    assert "A&B<有限>公司" in text and "材料<第2页>与A&B公司的申报不符" in text


def test_a_long_correction_list_flows_over_pages(tmp_path):
    many = [{"name": f"第{i}号附件", "problem": "未签字确认"} for i in range(1, 61)]
    path = tmp_path / "long.pdf"
    path.write_bytes(render_notice(make("correction", {"materials": many})))
    text = pdf_text(path)
    assert "第60号附件" in text and "—2—" in text


def test_rendering_is_deterministic():
    assert render_notice(make("grant")) == render_notice(make("grant"))


# --- the QR code -------------------------------------------------------------------------------

def test_query_url_carries_the_number_only():
    url = query_url(CASE_NUMBER, BASE_URL + "/")
    assert url == f"{BASE_URL}/query/?number={CASE_NUMBER}"
    assert QUERY_CODE not in url
    assert query_url("A B/1", BASE_URL) == f"{BASE_URL}/query/?number=A+B%2F1"


def test_query_url_defaults_to_the_public_address(settings):
    settings.PUBLIC_BASE_URL = "https://zwfw.other.gov.cn"
    assert query_url("X1") == "https://zwfw.other.gov.cn/query/?number=X1"


def printed_qr(png: Path, size: int) -> list[list[bool]]:
    """Sample the module grid of the QR code in the top-right corner of a rendered page."""
    image = Image.open(png).convert("RGB")
    width, height = image.size
    pixels = image.load()
    # Black only: the red header and rule are not part of the code.
    region_x = range(int(width * 0.72), width)
    region_y = range(0, int(height * 0.2))

    def black(x, y):
        return max(pixels[x, y]) < 100

    top = next(y for y in region_y if any(black(x, y) for x in region_x))
    # The two upper finder patterns fix the left and right edges.
    dark_x = [x for y in range(top, top + 3) for x in region_x if black(x, y)]
    left, right = min(dark_x), max(dark_x) + 1
    module = (right - left) / size
    return [[black(int(left + (c + 0.5) * module), int(top + (r + 0.5) * module)) for c in range(size)]
            for r in range(size)]


def test_qr_code_encodes_the_query_address_without_the_query_code(tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (Debian poppler-utils) is not installed; cannot rasterise the notice")
    data = make("acceptance")
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(render_notice(data))
    subprocess.run(["pdftoppm", "-png", "-r", "300", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(tmp_path / "page")], check=True)
    expected = notices.qr_matrix(f"{BASE_URL}/query/?number={CASE_NUMBER}")
    # No QR decoder ships here: the printed modules must equal the encoding of the address.
    assert printed_qr(tmp_path / "page.png", len(expected)) == expected
    assert expected != notices.qr_matrix(f"{BASE_URL}/query/?number={CASE_NUMBER}&code={QUERY_CODE}")


# --- refusing incomplete facts -----------------------------------------------------------------

@pytest.mark.parametrize(("kind", "details", "message"), [
    ("refusal", {}, "不予受理通知书缺少必填内容：不予受理理由"),
    ("refusal", {"reason": "  "}, "不予受理通知书缺少必填内容：不予受理理由"),
    ("denial", {"accepted_on": dt.date(2026, 9, 28)}, "不予行政许可决定书缺少必填内容：不予许可理由"),
    ("correction", {"materials": []}, "补正材料通知书缺少必填内容：需补正的材料"),
    ("correction", {"materials": [{"name": "身份证复印件"}]}, "第1项的存在问题"),
    ("correction", {"materials": "身份证"}, "应为非空的材料清单"),
    ("acceptance", {**DETAILS["acceptance"], "statutory_due": None}, "缺少必填内容：法定办结期限"),
    ("acceptance", {**DETAILS["acceptance"], "accepted_on": "2026-09-28"}, "受理日期应为日期"),
    ("special_procedure", {**DETAILS["special_procedure"], "expected_days": 0}, "预计时长应为正整数"),
    ("extension", {**DETAILS["extension"], "approved_by": ""}, "延期告知书缺少必填内容：批准人"),
    ("grant", {"result_name": "许可证", "reson": "笔误"}, "准予行政许可决定书不支持的内容：reson"),
])
def test_missing_or_wrong_details_are_refused_in_chinese(kind, details, message):
    with pytest.raises(ValueError, match=message):
        make(kind, details)


def test_header_facts_are_checked():
    with pytest.raises(ValueError, match="未知的文书种类"):
        replace(make("acceptance"), kind="notice")
    with pytest.raises(ValueError, match="缺少必填内容：办件编号"):
        make("acceptance", case_number="")
    with pytest.raises(ValueError, match="出具时间应为带时区的日期时间"):
        make("acceptance", issued_at=dt.datetime(2026, 9, 30, 10, 15))


def test_details_cannot_be_changed_after_checking():
    data = make("refusal")
    with pytest.raises(TypeError):
        data.details["reason"] = ""


# --- names and fonts ---------------------------------------------------------------------------

def test_kinds_match_the_notice_model():
    from shenpi.cases.models import Notice

    assert dict(Notice.Kind.choices) == notices.KIND_TITLES


def test_filename_names_the_document_and_case():
    assert notice_filename(make("acceptance")) == f"受理通知书-{CASE_NUMBER}.pdf"
    assert notice_filename(make("refusal", case_number="../SP 1")) == "不予受理通知书-___SP_1.pdf"


def test_font_lookup_prefers_the_environment_then_the_debian_paths(monkeypatch, tmp_path):
    installed = next((p for p in fonts.CANDIDATES if p.is_file()), None)
    if installed is None:
        pytest.skip("no TrueType CJK font installed (fonts-wqy-microhei)")
    monkeypatch.setenv(fonts.ENV_VAR, str(tmp_path / "missing.ttf"))
    assert fonts.find_cjk_font().face.filename == str(installed)
    monkeypatch.setenv(fonts.ENV_VAR, str(installed))
    assert fonts.candidate_paths()[0] == installed


def test_font_lookup_gives_up_without_fonts(monkeypatch, tmp_path):
    monkeypatch.delenv(fonts.ENV_VAR, raising=False)
    monkeypatch.setattr(fonts, "CANDIDATES", (tmp_path / "none.ttc",))
    assert fonts.find_cjk_font() is None


def test_the_pdf_embeds_the_cjk_font():
    if fonts.cjk_font_name() != fonts.EMBEDDED_NAME:
        pytest.skip("no TrueType CJK font installed; the STSong-Light fallback is not embedded")
    pdf = render_notice(make("grant"))
    assert b"/FontFile2" in pdf
    # No unembedded Latin font sneaks in: all text, even digits, uses the embedded one.
    assert b"/Helvetica" not in pdf


def test_without_a_truetype_font_the_builtin_cid_font_is_used(monkeypatch, tmp_path, caplog):
    # Whatever an earlier test did to logging, this logger must reach caplog.
    monkeypatch.setattr(fonts.logger, "disabled", False)
    monkeypatch.setattr(fonts.logger, "propagate", True)
    caplog.set_level(logging.WARNING, logger=fonts.logger.name)
    monkeypatch.delenv(fonts.ENV_VAR, raising=False)
    monkeypatch.setattr(fonts, "CANDIDATES", (tmp_path / "none.ttc",))
    fonts.cjk_font_name.cache_clear()
    try:
        pdf = render_notice(make("refusal"))
    finally:
        fonts.cjk_font_name.cache_clear()
    assert pdf.startswith(b"%PDF-") and b"/STSong-Light" in pdf
    assert "no TrueType CJK font found" in caplog.text


# --- layout: one page, 避头尾 ------------------------------------------------------------------

# A food business licence as the window receives it: eight materials, some with long names.
EIGHT_MATERIALS = [{"name": name, "copies": 1} for name in (
    "食品经营许可申请书", "营业执照副本复印件（加盖公章）", "法定代表人（负责人）身份证明复印件",
    "与食品经营相适应的主要设备设施布局、操作流程等文件", "食品安全管理制度文本", "食品安全管理人员健康证明",
    "经营场所使用证明（房屋产权证明或租赁协议）", "委托代理人身份证明及授权委托书")]


def pdf_lines(path: Path) -> list[str]:
    """The printed lines of the body (the page footer, '— 1 —', is not text that wraps)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian poppler-utils) is not installed; cannot check the printed text")
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"],
                            capture_output=True, check=True, text=True)
    return [line.strip() for line in result.stdout.splitlines() if line.strip() and not line.startswith("—")]


def pages_of(path: Path) -> int:
    result = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    return int(next(line.split()[-1] for line in result.stdout.splitlines() if line.startswith("Pages:")))


def screenshot(path: Path) -> None:
    """The first page as PNG next to the PDF, for people to look at."""
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "80", "-png", "-singlefile", str(path), str(path.with_suffix(""))],
                       check=True)


def test_the_acceptance_notice_with_eight_materials_fits_one_page_with_its_seal():
    data = make("acceptance", {**DETAILS["acceptance"], "materials": EIGHT_MATERIALS})
    path = write_artifact(data, render_notice(data))
    screenshot(path)
    assert pages_of(path) == 1
    text = pdf_text(path)
    assert "委托代理人身份证明及授权委托书" in text and "示范市市场监督管理局（盖章）2026年9月30日" in text


def test_an_acceptance_under_deferral_with_the_online_way_fits_one_page(tmp_path):
    """容缺: four materials in, two to follow, the applicant told they may also upload them under 我的办件."""
    deferred = [{"name": m["name"], "due": dt.date(2026, 10, 16)} for m in EIGHT_MATERIALS[4:6]]
    data = make("acceptance", {**DETAILS["acceptance"], "materials": EIGHT_MATERIALS[:4], "deferred": deferred,
                               "deferral_rule": "refuse", "deferral_online": True})
    path = tmp_path / "deferred.pdf"
    path.write_bytes(render_notice(data))
    assert pages_of(path) == 1
    text = pdf_text(path)
    assert "“我的办件”中上传" in text and "食品安全管理人员健康证明" in text


def test_a_list_too_long_for_one_page_still_keeps_the_seal_with_the_last_words(tmp_path):
    many = [{"name": f"第{i}号附件", "copies": 1} for i in range(1, 41)]
    path = tmp_path / "long.pdf"
    path.write_bytes(render_notice(make("acceptance", {**DETAILS["acceptance"], "materials": many})))
    lines = pdf_lines(path)
    assert pages_of(path) >= 2
    assert lines.index("特此通知。") < lines.index("示范市市场监督管理局（盖章）")


@pytest.mark.parametrize("kind", list(DETAILS))
def test_no_printed_line_starts_with_a_closing_mark_or_ends_with_an_opening_one(kind):
    details = {**DETAILS["acceptance"], "materials": EIGHT_MATERIALS} if kind == "acceptance" else None
    data = make(kind, details)
    path = write_artifact(data, render_notice(data))
    screenshot(path)
    lines = pdf_lines(path)
    assert len(lines) > 10
    assert [line for line in lines if line[0] in NO_LINE_START] == []
    assert [line for line in lines if line[-1] in NO_LINE_END] == []

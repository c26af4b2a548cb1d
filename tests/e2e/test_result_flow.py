"""From decision to result in a real browser, over real HTTP: the approver grants a fee-charging case
(the charge is made at once), the applicant pays online through the payment gateway's sandbox (its own
HTTP server, whose signed notification comes back to the live server), the case page shows the charge
paid with its electronic bill, the approver issues the certificate, its QR code — read from the PDF
as printed — opens the public verification page (有效, SM2 verified), and the applicant's next
application at another department's window cites the licence instead of asking for it (一证通办).

Screenshots go to test-artifacts/screenshots/result-flow-*.png.
"""

import io
import json
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import expect
from pypdf import PdfReader

from shenpi import clock
from shenpi.cases import services as case_services
from shenpi.cases.models import Case, State
from shenpi.catalog.models import FeeStandard, MaterialSpec
from shenpi.fees import bills
from shenpi.fees.models import BillStock, Charge, Payment
from shenpi.licences import issue, keys
from shenpi.licences.models import CertificateTemplate, Citation, Licence
from tests import factories as f
from tests import qr
from tests.applicants.helpers import PASSWORD, real_named, verified
from tests.browser import browser_windows, shot
from tests.browser import log_in as staff_log_in
from tests.fees_gateway.conftest import gateway  # noqa: F401 - the payment sandbox, as `make run` reaches it
from tests.online.conftest import at

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# A GB/T 36904 type code: the defining authority's USCC and a type number.
TYPE_CODE = "11100000MB0000000X-001"
# The sandbox's pages have no favicon: the browser's request for it is answered 404 by the sandbox.
EXPECTED = re.compile(r"status of (400|403|404|409) ")


@pytest.fixture(autouse=True)
def _files_and_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LICENCE_KEY_DIR = tmp_path / "keys"  # never in the repository
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def new_page():
    with browser_windows(EXPECTED) as open_page:
        yield open_page


class World:
    """Planning grants 建设工程规划许可证 for a fee and issues it as an e-licence; housing's item asks for
    that licence as a material. One applicant, real-name verified, applies to both."""

    def __init__(self):
        self.planning = f.department("自然资源和规划局", short_name="资规局")
        self.planners = f.staff(self.planning)
        self.plan_item = f.item(self.planning, name="建设工程规划许可证核发", procedures=(),
                                materials=(("建设工程规划许可申请表", True, False),))
        version = self.plan_item.current_version()
        version.free_of_charge = False
        version.fee_basis = "《工程建设项目收费标准》"
        version.result_name = "建设工程规划许可证"
        version.save()
        FeeStandard.objects.create(version=version, name="工本费", kind="fixed", amount=Decimal("80.00"),
                                   basis="《工程建设项目收费标准》", standard="每证80元")
        CertificateTemplate.objects.create(
            item=self.plan_item, title="建设工程规划许可证", type_code=TYPE_CODE, validity_years=2,
            fields=[{"label": "建设项目名称", "source": "case.title"}, {"label": "办件编号", "source": "case.number"},
                    {"label": "批准日期", "source": "decision.date"}],
            footer="本证为电子证照，与纸质证照具有同等法律效力")
        keys.generate(self.planning)
        # The department's electronic bills (财政电子票据), for payments made online.
        bills.issue_stock(department=self.planning, series="EL2026", first=1, last=50,
                          kind=BillStock.Kind.ELECTRONIC, actor=self.planners["admin"])

        self.housing = f.department("住房和城乡建设局", short_name="住建局")
        self.builders = f.staff(self.housing)
        self.build_item = f.item(self.housing)  # its materials include 建设工程规划许可证
        MaterialSpec.objects.filter(version__item=self.build_item, name="建设工程规划许可证").update(
            licence_type_code=TYPE_CODE)

        self.applicant = real_named(verified(name="李四"))

    def awaiting_decision(self) -> Case:
        """The planning case at the approver's decision: received, accepted, every step passed."""
        p = self.planners
        case = f.receive(p["clerk"], self.plan_item, name=self.applicant.name, id_number=self.applicant.id_number,
                         title="城西科创中心一期")
        case = case_services.perform(case, "accept", actor=p["clerk"])
        for role in ("handler", "reviewer", "approver"):
            case = case_services.perform(case, "pass", actor=p[role], params={"opinion": "同意。"})
        return case


def perform(page, label: str) -> None:
    """Open an action of the case page's panel and submit it; wait for the page to reload."""
    action = page.locator("#action-panel details.action", has=page.locator("summary", has_text=label))
    if action.get_attribute("open") is None:
        action.locator("summary").click()
    with page.expect_navigation():
        action.locator("button[type=submit]").click()
    page.locator(".alert-success", has_text=f"已办理：{label}").wait_for()


# -- reading the printed QR code ----------------------------------------------------------------------

def printed_qr_modules(pdf: bytes) -> list[list[bool]]:
    """The QR code's modules as printed on the certificate: the page rendered (pypdfium2), the code
    found by its top-left finder pattern in the page's lower-left quarter, each module sampled at its
    centre (tests/qr.py reads the text)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    image = document[0].render(scale=4).to_pil().convert("L")
    document.close()
    width, height = image.size
    pixels = image.load()

    def dark(x, y):
        return pixels[x, y] < 128

    # Inside the printed frame (15 mm) and the footer, left half, lower part of the page.
    inset = int(25 / 25.4 * 72 * 4)
    box = range(inset, width // 2), range(int(height * 0.55), height - inset)
    top = next(y for y in box[1] if any(dark(x, y) for x in box[0]))
    probe = top + 2  # clear of the edge's anti-aliasing; modules are about ten pixels here
    left = next(x for x in box[0] if dark(x, probe))
    right = max(x for x in box[0] if dark(x, probe))  # the top-right finder pattern ends the row
    run = next(x for x in range(left, right + 1) if not dark(x, probe)) - left  # the finder: 7 modules
    module = run / 7
    count = round((right - left + 1) / module)
    module = (right - left + 1) / count
    return [[dark(int(left + (col + 0.5) * module), int(top + (row + 0.5) * module)) for col in range(count)]
            for row in range(count)]


def assert_facts_apart(page, section) -> None:
    """Each fact of the section inside its own box: no value runs over its neighbour, nothing makes the
    page scroll sideways."""
    boxes = [cell.bounding_box() for cell in section.locator(".facts > div").all()]
    for cell, box in zip(section.locator(".facts > div").all(), boxes, strict=True):
        value = cell.locator("dd").bounding_box()
        assert value["x"] + value["width"] <= box["x"] + box["width"] + 1, cell.inner_text()
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            apart = (a["x"] + a["width"] <= b["x"] + 1 or b["x"] + b["width"] <= a["x"] + 1
                     or a["y"] + a["height"] <= b["y"] + 1 or b["y"] + b["height"] <= a["y"] + 1)
            assert apart, (a, b)
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def embedded_licence(pdf: bytes) -> dict:
    attachments = PdfReader(io.BytesIO(pdf)).attachments
    (content,) = attachments[issue.ATTACHMENT]
    return json.loads(content)


def test_grant_bill_pay_online_certificate_verify_and_cite(live_server, new_page, gateway, settings):  # noqa: F811
    settings.PAYMENT_NOTIFY_BASE = live_server.url
    settings.PUBLIC_URL_FROM_REQUEST = True  # the QR code names the address the approver's browser used
    clock.set_now(at(2026, 3, 2, 9))  # a Monday
    world = World()
    case = world.awaiting_decision()
    base = live_server.url
    staff, portal = new_page(), new_page()

    # -- 准予: the charge is made by the standard at once --------------------------------------------
    clock.set_now(at(2026, 3, 2, 10))
    staff_log_in(staff, base, world.planners["approver"])
    staff.goto(f"{base}/workbench/cases/{case.number}/")
    perform(staff, "准予许可")
    expect(staff.locator("#case-state")).to_have_text("已决定待送达")
    charge = Charge.objects.get(case__number=case.number)
    expect(staff.locator("#charge-number")).to_have_text(charge.number)
    expect(staff.locator("#charge-status")).to_have_text("待缴费")
    expect(staff.locator("#charge-total")).to_have_text("80.00")
    expect(staff.locator("#licences")).to_contain_text("建设工程规划许可证")
    shot(staff, "result-flow-01-granted-charged")

    # -- the applicant pays online through the gateway ---------------------------------------------------
    clock.set_now(at(2026, 3, 2, 11))
    portal.goto(f"{base}/account/login/")
    portal.fill("input[name=identifier]", world.applicant.id_number)
    portal.fill("input[name=password]", PASSWORD)
    with portal.expect_navigation():
        portal.click("button[type=submit]")
    portal.wait_for_url(re.compile(r"/account/$"))
    portal.click("text=网上缴费")
    expect(portal.locator("#payment-code")).to_have_text(charge.number)
    shot(portal, "result-flow-02-pay-page")
    portal.click("#start-pay")
    expect(portal.locator("#order img")).to_be_visible()
    portal.click("#go-pay")
    portal.wait_for_url(re.compile(rf"^{re.escape(gateway.base)}/pay/"))
    expect(portal.locator("body")).to_contain_text("¥80.00")
    expect(portal.locator("body")).to_contain_text(charge.number)
    shot(portal, "result-flow-03-gateway")
    portal.click("text=确认支付")
    portal.wait_for_url(re.compile(r"/pay/done/\?order_no="))
    expect(portal.locator("#paid")).to_contain_text("缴费成功")
    shot(portal, "result-flow-04-paid")
    # Paid by the gateway's signed notification, received over HTTP before the browser came back.
    assert [(n["status"], n["answer"]) for n in gateway.notifications] == [(200, "SUCCESS")]
    payment = Payment.objects.get(charge=charge)
    assert payment.channel == Payment.Channel.ONLINE and payment.gateway_transaction.startswith("SBXT")

    # -- the case page: paid, with its electronic bill ---------------------------------------------------
    staff.reload()
    expect(staff.locator("#charge-status")).to_have_text("已缴费")
    bill = charge.bills.get()
    assert bill.stock.kind == BillStock.Kind.ELECTRONIC
    expect(staff.locator("#bill-number")).to_have_text(str(bill))
    expect(staff.locator("#fees")).to_contain_text("网上支付")
    shot(staff, "result-flow-05-paid-with-bill")

    # -- 制证 on the case page, then the PDF ----------------------------------------------------------
    clock.set_now(at(2026, 3, 2, 14))
    with staff.expect_navigation():
        staff.click("#licences button:has-text('制证')")
    licence = Licence.objects.get(case__number=case.number)
    row = staff.locator("#licences .licence-row", has_text=licence.serial)
    expect(row).to_contain_text("有效")
    expect(row).to_contain_text(licence.identifier)
    shot(staff, "result-flow-06-issued")
    with staff.expect_download() as download:
        row.locator("a", has_text="下载").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")

    # The QR code as printed, read back as a phone does: the certificate's verification page, on the
    # address the certificate was issued from, naming the serial of the PDF's embedded signed data.
    scanned = qr.decode(printed_qr_modules(pdf))
    embedded = embedded_licence(pdf)
    signed = json.loads(embedded["signed_data"])
    assert signed["serial"] == licence.serial and embedded["sm2_signature"] == licence.sm2_signature
    assert scanned == issue.verification_url(signed["serial"], base) == f"{base}/licence/{licence.serial}/"

    # -- anyone scanning it: the public page, no sign-in ------------------------------------------------
    public = new_page()
    public.goto(scanned)
    verdict = public.locator(".licence-verdict")
    expect(verdict).to_contain_text("SM2签名验证通过")
    expect(verdict.locator(".licence-status-valid")).to_have_text("有效")
    # In force reads green, not in the red a revoked licence shows.
    expect(verdict.locator(".licence-status-valid")).to_have_css("color", "rgb(30, 122, 60)")
    expect(verdict).to_contain_text(licence.identifier)
    expect(verdict).to_contain_text("李四")
    expect(verdict).not_to_contain_text(world.applicant.id_number)  # masked only
    # The long identifier wraps in its own cell: the holder's name beside it stays readable.
    assert_facts_apart(public, verdict)
    shot(public, "result-flow-07-verified")

    # -- the next application, at housing's window, cites the licence -----------------------------------
    clock.set_now(at(2026, 3, 3, 9))
    window = new_page()
    staff_log_in(window, base, world.builders["clerk"])
    window.goto(f"{base}/workbench/accept/?item={world.build_item.code}")
    window.fill("input[name=applicant_name]", world.applicant.name)
    window.fill("input[name=id_number]", world.applicant.id_number)
    window.fill("input[name=contact_name]", world.applicant.name)
    window.fill("input[name=phone]", "13912345678")
    window.fill("input[name=title]", "城西科创中心一期")
    cited = window.locator("tr", has=window.locator("label", has_text="建设工程规划许可证"))
    expect(cited).to_contain_text("一证通办")
    # Every other material is handed over; the licence is not asked for.
    for box in window.locator(".material-received").all():
        if box.get_attribute("id") != cited.locator(".material-received").get_attribute("id"):
            box.check()
    expect(cited.locator(".material-received")).not_to_be_checked()
    shot(window, "result-flow-08-accept-form")
    with window.expect_navigation():
        window.click("button[name=decision][value=accept]")
    expect(window.locator("#case-state")).to_have_text("办理中")
    material = window.locator("tr.material-row", has_text="建设工程规划许可证")
    expect(material.locator(".material-licence")).to_contain_text("电子证照 已核验")
    expect(material.locator(".material-licence")).to_contain_text(licence.identifier)
    expect(material).to_contain_text("已收取")
    shot(window, "result-flow-09-cited")

    second = Case.objects.get(number=window.locator("h1 .mono").inner_text().strip())
    assert second.state == State.IN_PROGRESS and second.department == world.housing
    citation = Citation.objects.get()
    assert citation.licence == licence and citation.verified
    assert citation.material.case == second and citation.material.received

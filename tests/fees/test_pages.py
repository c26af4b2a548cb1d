"""Staff pages: the case page's fee section, making the charge, window payment and its bill, refunds
and the window's bill stock."""

from decimal import Decimal

from django.urls import reverse

from shenpi.fees import services
from shenpi.fees.models import Bill, Charge, Refund
from tests import factories as f


def test_from_the_case_page_to_a_paid_charge_and_its_printed_bill(client, mixed_office, half):
    o = mixed_office
    o.stock(1, 3)
    case = o.decided()
    f.login_staff(client, o.clerk)
    page = client.get(reverse("workbench:case", args=[case.number])).content.decode()
    assert 'id="fees"' in page and "开具收费单" in page
    url = reverse("fees:charge_new", args=[case.number])
    form = client.get(url).content.decode()
    assert "每件80.00元" in form and "低保家庭减半" in form
    fixed, per_unit, tiered = o.fees
    response = client.post(url, {f"quantity_{per_unit.pk}": "abc", f"quantity_{tiered.pk}": "10"})
    assert response.status_code == 200 and "数量" in response.content.decode() and not Charge.objects.exists()
    client.post(url, {f"quantity_{per_unit.pk}": "2", f"quantity_{tiered.pk}": "10", f"waiver_{fixed.pk}": half.pk})
    charge = Charge.objects.get(case=case)
    assert charge.total == Decimal("40.00") + Decimal("4.70") + Decimal("15.00")
    page = client.get(reverse("workbench:case", args=[case.number])).content.decode()
    assert charge.number in page and "窗口收费" in page and "待缴费" in page
    response = client.post(reverse("fees:charge_pay", args=[charge.number]), {"channel": "cash"})
    assert response.status_code == 302
    bill = Bill.objects.get(charge=charge, status=Bill.Status.USED)
    page = client.get(reverse("workbench:case", args=[case.number])).content.decode()
    assert "已缴费" in page and str(bill) in page and "打印票据" in page
    pdf = client.get(reverse("fees:bill_pdf", args=[bill.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_a_free_items_case_page_has_no_fee_section(client, db):
    from .conftest import Office

    o = Office()
    o.version.free_of_charge = True
    o.version.save()
    case = o.decided()
    f.login_staff(client, o.clerk)
    assert 'id="fees"' not in client.get(reverse("workbench:case", args=[case.number])).content.decode()


def test_other_departments_do_not_see_a_charge(client, fixed_office):
    o = fixed_office
    charge = services.create_charge(o.decided(), actor=o.clerk)
    f.login_staff(client, f.user(f.department(), "clerk"))
    assert client.get(reverse("fees:charge_pay", args=[charge.number])).status_code == 404


def test_refund_requested_on_the_case_approved_on_the_list_by_another(client, fixed_office):
    o = fixed_office
    o.stock()
    charge = services.create_charge(o.decided(), actor=o.clerk)
    services.pay_at_window(charge, channel="cash", actor=o.clerk)
    f.login_staff(client, o.clerk)
    client.post(reverse("fees:refund_new", args=[charge.number]), {"reason": "重复缴费"})
    refund = Refund.objects.get(charge=charge)
    client.post(reverse("fees:refund_decide", args=[refund.pk]), {"op": "approve"})
    refund.refresh_from_db()
    assert refund.status == Refund.Status.REQUESTED  # not by the one who asked
    assert "申请人以外" in client.get(reverse("fees:refunds")).content.decode()
    client.logout()
    f.login_staff(client, o.people["approver"])
    assert "重复缴费" in client.get(reverse("fees:refunds")).content.decode()
    client.post(reverse("fees:refund_decide", args=[refund.pk]), {"op": "approve"})
    client.post(reverse("fees:refund_decide", args=[refund.pk]), {"op": "pay"})
    refund.refresh_from_db()
    charge.refresh_from_db()
    assert refund.status == Refund.Status.PAID and charge.status == Charge.Status.REFUNDED


def test_the_window_stock_page_voids_and_hands_in(client, fixed_office):
    o = fixed_office
    stock = o.stock(1, 4, series="CK2026")
    f.login_staff(client, o.clerk)
    page = client.get(reverse("fees:stocks")).content.decode()
    assert "CK2026" in page and "发放票据" not in page
    client.post(reverse("fees:stock_act"), {"op": "void", "stock": stock.pk, "number": "2", "reason": "污损"})
    detail = client.get(reverse("fees:stock", args=[stock.pk])).content.decode()
    assert "污损" in detail and "全部号码相符" in detail
    client.post(reverse("fees:stock_act"), {"op": "hand_in", "stock": stock.pk})
    stock.refresh_from_db()
    assert stock.status == "handed_in"
    client.logout()
    f.login_staff(client, o.people["admin"])
    assert "发放票据" in client.get(reverse("fees:stocks")).content.decode()
    client.post(reverse("fees:stock_act"), {"op": "issue", "kind": "paper", "department": o.dept.pk,
                                            "window": o.window.pk, "series": "CK2026", "first": "5", "last": "9"})
    client.post(reverse("fees:stock_act"), {"op": "write_off", "stock": stock.pk})
    stock.refresh_from_db()
    assert stock.status == "written_off"
    assert o.dept.pk and Bill.objects.filter(stock__series="CK2026").count() == 9


def test_admin_lists_waiver_reasons_and_bill_stocks_read_only(client, fixed_office, half):
    o = fixed_office
    stock = o.stock(1, 3)
    admin = f.user(None, "admin", is_staff=True, is_superuser=True)
    f.login_staff(client, admin)
    assert "低保家庭减半" in client.get(reverse("admin:fees_waiverreason_changelist")).content.decode()
    assert client.get(reverse("admin:fees_billstock_changelist")).status_code == 200
    page = client.get(reverse("admin:fees_billstock_change", args=[stock.pk])).content.decode()
    assert "NT2026" in page
    assert client.get(reverse("admin:fees_billstock_add")).status_code == 403
    nav = client.get(reverse("fees:stocks")).content.decode()
    assert "票据管理" in nav and "退费审批" in nav

"""Public pages of online payment at /pay/: the applicant's pay page (from 我的办件), the payment
gateway's notifications, and the page the gateway sends the applicant back to."""

from __future__ import annotations

import base64
import io
import logging

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shenpi.errors import ServiceError
from shenpi.web import public_base_url

from . import online
from .gateway import SUCCESS, BadSignature
from .models import GatewayOrder

logger = logging.getLogger("shenpi.fees")

# The orders this browser session started: the return page shows their details to it alone.
SESSION_ORDERS = "pay_orders"


def _qr_data_uri(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _remember(request, order_no: str) -> None:
    orders = [number for number in request.session.get(SESSION_ORDERS, []) if number != order_no][-19:]
    request.session[SESSION_ORDERS] = [*orders, order_no]


@never_cache
def charge_page(request, token):
    """缴费: the charge's lines and total, and an order with its pay link and QR code once asked for.
    The link comes signed for this account from 我的办件, which lists only the account's own cases."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("applicants:login"))
    charge = online.charge_for_token(token, request.user)
    if charge is None:
        raise Http404("缴费链接无效或已过期")
    context = {"charge": charge, "lines": list(charge.lines.all()), "order": None, "error": ""}
    if request.method == "POST":
        base = settings.PAYMENT_NOTIFY_BASE or public_base_url(request)
        try:
            order = online.start(charge, notify_url=base + reverse("pay:notify"),
                                 return_url=public_base_url(request) + reverse("pay:done"))
        except ServiceError as error:
            context["error"] = error.message
            return render(request, "fees/pay_charge.html", context, status=error.http_status)
        _remember(request, order.order_no)
        context.update(order=order, qr=_qr_data_uri(order.pay_url))
        charge.refresh_from_db()
    return render(request, "fees/pay_charge.html", context)


@csrf_exempt
@require_POST
def notify(request):
    """The gateway's asynchronous notification: verified, applied once, answered SUCCESS (the gateway
    retries anything else). A repeated notification is answered SUCCESS and records nothing."""
    try:
        online.receive_notification(request.headers, request.body, request.get_full_path())
    except BadSignature as error:
        logger.warning("payment notification refused: %s", error)
        return HttpResponse("FAIL", status=400, content_type="text/plain")
    except ServiceError as error:
        logger.error("payment notification not applied: %s", error.message)
        return HttpResponse("FAIL", status=409, content_type="text/plain")
    return HttpResponse(SUCCESS, content_type="text/plain")


@never_cache
def done(request):
    """The page the gateway sends the applicant back to: paid, or still waiting (asked once more)."""
    order_no = str(request.GET.get("order_no", ""))[:32]
    order = None
    if order_no in request.session.get(SESSION_ORDERS, []):
        order = GatewayOrder.objects.select_related("charge__case").filter(order_no=order_no).first()
    if order is not None and order.status == GatewayOrder.Status.CREATED:
        order = online.refresh(order)  # the notification may be late or lost: ask the gateway now
    context = {"order": order, "payment": None, "bills": []}
    if order is not None and order.status == GatewayOrder.Status.PAID:
        context["payment"] = order.charge.payments.filter(gateway_order=order.order_no).first()
        context["bills"] = list(order.charge.bills.filter(status="used"))
    return render(request, "fees/pay_done.html", context)


urlpatterns = [
    path("notify/", notify, name="notify"),
    path("done/", done, name="done"),
    path("<str:token>/", charge_page, name="charge"),
]

"""Pages of delivery: posting a result and refreshing its tracking from the case page, the 送达回证, and
the courier's signed push of tracking events (public, no login: the signature is the credential)."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shenpi.accounts.access import staff_required
from shenpi.cases import services as cases
from shenpi.errors import ServiceError
from shenpi.security import audit

from . import courier, receipt, services
from .models import Delivery

logger = logging.getLogger("shenpi.delivery")


def _case(user, number):
    return get_object_or_404(cases.visible_cases(user), number=number)


def _back(case) -> str:
    return reverse("workbench:case", args=[case.number]) + "#delivery"


def _fail(request, error: ServiceError):
    detail = "；".join(m for ms in error.fields.values() for m in ms)
    messages.error(request, error.message + (f"（{detail}）" if detail else ""))


@staff_required
@require_POST
def post_result(request, number):
    """邮寄送达: a waybill from the courier for the address given."""
    case = _case(request.user, number)
    try:
        delivery = services.post(case, actor=request.user, receiver_name=request.POST.get("receiver_name", ""),
                                 phone=request.POST.get("phone", ""), address=request.POST.get("address", ""))
    except ServiceError as error:
        _fail(request, error)
    else:
        messages.success(request, f"已交寄，运单号 {delivery.waybill}。快递签收后自动办结。")
    return redirect(_back(case))


@staff_required
@require_POST
def refresh_tracking(request, number, delivery_id):
    case = _case(request.user, number)
    delivery = get_object_or_404(Delivery, pk=delivery_id, case=case, method=Delivery.Method.POST)
    try:
        services.refresh(delivery)
    except ServiceError as error:
        _fail(request, error)
    else:
        messages.success(request, "已查询最新物流信息。")
    return redirect(_back(case))


@staff_required
def receipt_view(request, number, delivery_id):
    case = _case(request.user, number)
    delivery = get_object_or_404(Delivery.objects.select_related("case__item", "licence", "recorded_by"),
                                 pk=delivery_id, case=case)
    filename, pdf = receipt.receipt_pdf(delivery)
    audit.record("export.delivery_receipt", request=request, target=f"case:{case.number}", delivery=delivery.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response


@csrf_exempt
@require_POST
def courier_push(request):
    """The courier's tracking events: 401 unless signed with our shared secret; repeats change nothing."""
    headers = {key.lower(): value for key, value in request.headers.items()}
    try:
        waybill, events = courier.verify_push(headers, request.body)
    except courier.BadPush as error:
        logger.warning("courier push refused: %s", error)
        return JsonResponse({"result": "refused", "error": str(error)}, status=401)
    delivery = services.receive_tracking(waybill, events)
    if delivery is None:
        return JsonResponse({"result": "unknown_waybill"}, status=404)
    return JsonResponse({"result": "ok", "status": delivery.status})


urlpatterns = [
    path("<str:number>/post/", post_result, name="post"),
    path("<str:number>/<int:delivery_id>/refresh/", refresh_tracking, name="refresh"),
    path("<str:number>/<int:delivery_id>/receipt.pdf", receipt_view, name="receipt"),
]

public_urlpatterns = [
    path("events/", courier_push, name="push"),
]

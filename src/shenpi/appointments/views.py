"""预约 pages for the public: choose an item, a window, a day and a slot; book; find, see and cancel bookings.

Nobody needs an account to book, but the mobile booked with must be proved by an SMS code first
(a signed-in applicant booking with their verified mobile needs none), and the public is held to
the booking limits of shenpi.appointments.services. Who may see or cancel a booking: the browser session that booked
it or proved it with the mobile number (我的预约), and a signed-in applicant for the bookings made
with their own ID number. Anyone else gets the look-up form, never someone's booking.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from shenpi.applicants.access import current_applicant
from shenpi.applicants.forms import put_errors
from shenpi.applicants.services import CODE_MINUTES, sees_identifier_cases
from shenpi.catalog.models import Window
from shenpi.errors import ServiceError
from shenpi.web import client_address

from . import services
from .forms import BookingForm, LookupForm
from .models import Booking

PAGE_SIZE = 30
_OWNED = "appointments_owned"
_OWNED_MAX = 50


# -- which bookings this visitor may see -------------------------------------------------------------

def _remember(request, *bookings: Booking) -> None:
    owned = [code for code in request.session.get(_OWNED, []) if code not in {b.code for b in bookings}]
    request.session[_OWNED] = ([b.code for b in bookings] + owned)[:_OWNED_MAX]


def _may_see(request, booking: Booking) -> bool:
    if booking.code in request.session.get(_OWNED, []):
        return True
    applicant = current_applicant(request)
    return (applicant is not None and applicant.is_person and sees_identifier_cases(applicant)
            and applicant.id_index == booking.id_index)


def _applicant_bookings(request) -> list[Booking] | None:
    """Bookings under the signed-in person's ID number, once 实名认证 proved the number is theirs."""
    applicant = current_applicant(request)
    if applicant is None or not applicant.is_person or not sees_identifier_cases(applicant):
        return None
    return services.bookings_of_id_index(applicant.id_index)


def _session_bookings(request) -> list[Booking]:
    codes = request.session.get(_OWNED, [])
    if not codes:
        return []
    return list(Booking.objects.filter(code__in=codes).select_related("slot", "window").order_by("-slot__start"))


# -- choosing ----------------------------------------------------------------------------------------

def items(request):
    search = request.GET.get("q", "").strip()
    page = Paginator(services.bookable_items(search), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "appointments/items.html", {"page": page, "q": search})


def _item(code: str):
    return get_object_or_404(services.published_items(), code=code)


def item(request, code):
    chosen = _item(code)
    return render(request, "appointments/item.html", {"item": chosen, "windows": services.days_for_item(chosen)})


def slots(request, code, window, day):
    chosen = _item(code)
    counter = get_object_or_404(Window.objects.select_related("department"), number=window)
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise Http404("日期格式不对") from None
    status = 200
    applicant = current_applicant(request)
    if request.method == "POST" and "send_code" in request.POST:
        form, status = _send_code(request)
    elif request.method == "POST":
        form = BookingForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                booking = services.book(slot_id=data["slot"], item=chosen, person=_person(data), code=data["code"],
                                        applicant=applicant, ip=client_address(request))
            except ServiceError as error:
                put_errors(form, error)
                status = error.http_status
            else:
                _remember(request, booking)
                messages.success(request, f"预约成功，预约号 {booking.code}，已发短信到 {booking.mobile_masked}。")
                return redirect("appointments:booking", code=booking.code)
        else:
            status = 400
    else:
        initial = {}
        if applicant is not None and applicant.is_person:
            initial = {"name": applicant.name, "id_number": applicant.id_number, "mobile": applicant.mobile}
        form = BookingForm(initial=initial)
    day_slots = services.slots_of_day(chosen, counter, date)
    return render(request, "appointments/slots.html", {
        "item": chosen, "window": counter, "day": date, "slots": day_slots, "form": form,
        "verified_mobile": applicant.mobile_masked if applicant is not None and applicant.verified else "",
        "chosen_slot": str(form["slot"].value() or ""),
        "any_free": any(s.places_left for s in day_slots),
    }, status=status)


def _person(data) -> services.Person:
    return services.Person(data["name"], data["id_number"], data["mobile"])


def _send_code(request) -> tuple[BookingForm, int]:
    """获取验证码: the person's fields must be right (the slot may still be unchosen); the form comes back filled."""
    form = BookingForm(request.POST)
    form.is_valid()
    if any(name in form.errors for name in BookingForm.PERSON_FIELDS):
        return form, 400
    form.errors.pop("slot", None)
    try:
        masked = services.request_code(_person(form.cleaned_data), ip=client_address(request))
    except ServiceError as error:
        put_errors(form, error)
        return form, error.http_status
    messages.success(request, f"验证码已发送至 {masked}，请在{CODE_MINUTES}分钟内填写并确认预约。")
    return form, 200


# -- my bookings -------------------------------------------------------------------------------------

def mine(request):
    """我的预约: look up by ID number + mobile or booking code + mobile; signed-in applicants see theirs."""
    found, status = None, 200
    if request.method == "POST":
        form = LookupForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                found = services.find_bookings(mobile=data["mobile"], id_number=data["id_number"],
                                               code=data["code"], ip=client_address(request))
            except ServiceError as error:
                put_errors(form, error)
                status = error.http_status
            else:
                _remember(request, *found)
        else:
            status = 400
    else:
        form = LookupForm()
    lists = {"found": found, "applicant_bookings": _applicant_bookings(request),
             "session_bookings": _session_bookings(request) if found is None else []}
    for bookings in lists.values():
        for entry in bookings or ():
            entry.may_cancel = services.may_cancel(entry)
    return render(request, "appointments/mine.html", {"form": form, **lists}, status=status)


def _visible_booking(request, code: str) -> Booking | None:
    booking = Booking.objects.select_related("slot", "window", "window__department", "item").filter(
        code=code.upper()).first()
    return booking if booking is not None and _may_see(request, booking) else None


def booking(request, code):
    found = _visible_booking(request, code)
    if found is None:
        messages.info(request, "请用预约时填写的手机号码查询预约。")
        return redirect("appointments:mine")
    return render(request, "appointments/booking.html", {"booking": found,
                                                         "may_cancel": services.may_cancel(found)})


@require_POST
def cancel(request, code):
    found = _visible_booking(request, code)
    if found is None:
        messages.info(request, "请用预约时填写的手机号码查询预约。")
        return redirect("appointments:mine")
    try:
        services.cancel(found)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"预约 {found.code} 已取消。")
    return redirect("appointments:booking", code=found.code)

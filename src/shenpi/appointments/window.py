"""预约 in the staff workbench (/workbench/appointments/): publish slots, the day's bookings, attendance.

Addressed by shenpi.appointments.staff_urls. Which windows a person runs is decided by
shenpi.appointments.services (window clerks of the window's department, centre administrators).
"""

from __future__ import annotations

import datetime as dt
import functools

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from shenpi import clock
from shenpi.accounts.access import forbidden, staff_required
from shenpi.accounts.models import User
from shenpi.errors import ServiceError

from . import services
from .forms import PublishForm
from .models import Booking


def window_staff_required(view):
    @functools.wraps(view)
    @staff_required
    def wrapper(request, *args, **kwargs):
        if not services.may_manage(request.user):
            return forbidden(request, "预约管理须由窗口人员办理。")
        return view(request, *args, **kwargs)

    return wrapper


def _default_window(user: User, windows):
    return windows.filter(pk=user.window_id).first() or windows.first()


def _chosen_day(text: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(text) if text else clock.today()
    except ValueError:
        return clock.today()


def _day_url(window, day: dt.date) -> str:
    return reverse("appointments_staff:day") + "?" + urlencode({"window": window.number, "day": day.isoformat()})


@window_staff_required
def day(request):
    """当日预约: the slots of one window on one day and who booked them."""
    windows = services.managed_windows(request.user)
    number = request.GET.get("window")
    window = windows.filter(number=number).first() if number else _default_window(request.user, windows)
    chosen = _chosen_day(request.GET.get("day"))
    bookings = services.day_bookings(window, chosen) if window else []
    counts = {code: sum(1 for b in bookings if b.status == code) for code in Booking.Status.values}
    return render(request, "appointments/window_day.html", {
        "windows": windows, "window": window, "day": chosen, "today": clock.today(),
        "previous": chosen - dt.timedelta(days=1), "next": chosen + dt.timedelta(days=1),
        "slots": services.day_slots(window, chosen) if window else [], "bookings": bookings, "counts": counts,
        "now": clock.now(), "outcomes": services.OUTCOMES,
    })


@window_staff_required
def publish(request):
    """放号: slots for a date range on the days and in the sessions the window serves."""
    windows = services.managed_windows(request.user)
    if request.method == "POST":
        form = PublishForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = services.publish(window=data["window"], item=data["item"], first=data["first"],
                                          last=data["last"], every=data["every"], capacity=data["capacity"],
                                          actor=request.user)
            except ServiceError as error:
                _put_errors(form, error)
            else:
                messages.success(request, _published_text(result))
                first_day = result.service_days[0] if result.service_days else data["first"]
                return redirect(_day_url(data["window"], first_day))
        status = 400
    else:
        today = clock.today()
        window = _default_window(request.user, windows)
        form = PublishForm(user=request.user, initial={"window": window, "first": today,
                                                       "last": today + dt.timedelta(days=13)})
        status = 200
    return render(request, "appointments/window_publish.html", {
        "form": form, "window_hours": services.hours_of(list(windows.order_by("number")[:50]))}, status=status)


def _put_errors(form, error: ServiceError) -> None:
    if not error.fields:
        form.add_error(None, error.message)
    for field, texts in error.fields.items():
        for text in texts:
            form.add_error(field if field in form.fields else None, text)


def _published_text(result: services.PublishResult) -> str:
    text = f"已发布 {result.created} 个时段，覆盖 {len(result.service_days)} 个办公日"
    if result.existing:
        text += f"；{result.existing} 个时段此前已发布，保持不变"
    if result.skipped_days:
        text += f"；{len(result.skipped_days)} 天窗口不办公（节假日、周末或暂停服务），未放号"
    return text + "。"


@window_staff_required
@require_POST
def mark(request, code):
    """到场登记: 已到场 or 未到场 for one booking of the day list."""
    booking = get_object_or_404(Booking.objects.select_related("slot", "window"), code=code,
                                window__in=services.managed_windows(request.user))
    try:
        booking = services.mark(booking, request.POST.get("outcome", ""), actor=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request,
                         f"预约 {booking.code}（{booking.applicant_name}）已登记为{booking.get_status_display()}。")
    return redirect(_day_url(booking.window, booking.day))


"""Finding security events: the filters of the audit page, shared by the page and its Excel export."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import SecurityEvent

OUTCOME_CHOICES = [("", "全部"), *SecurityEvent.Outcome.choices]


class SearchForm(forms.Form):
    start = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            error_messages={"invalid": "起始日期应为 年-月-日，如 2026-09-24。"})
    end = forms.DateField(label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                          error_messages={"invalid": "截止日期应为 年-月-日，如 2026-09-24。"})
    user = forms.CharField(label="用户", required=False, max_length=150)
    action = forms.CharField(label="事件", required=False, max_length=60,
                             help_text="事件名称或其前缀，如 login 或 login.failed")
    outcome = forms.ChoiceField(label="结果", required=False, choices=OUTCOME_CHOICES)
    address = forms.CharField(label="地址", required=False, max_length=45, help_text="IP地址或其前缀，如 10.20.")
    target = forms.CharField(label="对象", required=False, max_length=200)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "截止日期不能早于起始日期。")
        return cleaned

    def filters(self) -> dict:
        """The filters in use, as text (the export's conditions line and the recorded search)."""
        return {name: str(value) for name, value in self.cleaned_data.items() if value not in (None, "")}


def _day_start(day: dt.date) -> dt.datetime:
    """00:00 of an Asia/Shanghai day (the platform's zone), as an aware moment."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def events(form: SearchForm) -> QuerySet[SecurityEvent]:
    """The events matching a valid form, newest first."""
    data = form.cleaned_data
    rows = SecurityEvent.objects.order_by("-id")
    if data.get("start"):
        rows = rows.filter(at__gte=_day_start(data["start"]))
    if data.get("end"):
        rows = rows.filter(at__lt=_day_start(data["end"] + dt.timedelta(days=1)))
    if data.get("user"):
        name = data["user"].strip()
        # A failed login has no user, only the name tried: it is the event's target.
        rows = rows.filter(Q(username__icontains=name) | Q(target=f"account:{name}"))
    if data.get("action"):
        action = data["action"].strip()
        rows = rows.filter(Q(action=action) | Q(action__startswith=action.rstrip(".") + "."))
    if data.get("outcome"):
        rows = rows.filter(outcome=data["outcome"])
    if data.get("address"):
        rows = rows.filter(address__startswith=data["address"].strip())
    if data.get("target"):
        rows = rows.filter(target__icontains=data["target"].strip())
    return rows

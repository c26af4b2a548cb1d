"""The calendar in the admin: years and their source, the days of each notice, and the import."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from shenpi import clock

from . import services
from .models import CalendarDay, CalendarYear
from .notices import FORMATS, NoticeError

_WEEKDAYS = "一二三四五六日"
# A notice file is a few kilobytes; anything far larger is not one.
_MAX_UPLOAD_BYTES = 512 * 1024


def warn_missing_notices(request) -> None:
    missing = services.missing_notice_years(clock.today())
    if missing:
        listed = "、".join(str(year) for year in missing)
        messages.warning(
            request,
            f"{listed}年尚无国务院节假日安排通知：落在这些年度的期限按法定节假日估算，并标为“暂定”。"
            "通知发布后请点击“导入节假日安排通知”。",
        )


class NoticeUploadForm(forms.Form):
    file = forms.FileField(
        label="通知文件",
        help_text="YAML（.yaml/.yml）或 CSV（.csv，表头 date,kind,name），格式见 docs/calendar.md。",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(FORMATS)}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > _MAX_UPLOAD_BYTES:
            raise forms.ValidationError("文件过大，节假日安排通知不应超过 512 KB。")
        return upload


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "official", "source", "updated_at"]
    list_filter = ["official"]
    search_fields = ["source"]
    readonly_fields = ["updated_at"]
    change_list_template = "admin/workdays/calendaryear/change_list.html"

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            warn_missing_notices(request)
        extra_context = {**(extra_context or {}), "can_import_notice": self.can_import(request)}
        return super().changelist_view(request, extra_context)

    def can_import(self, request) -> bool:
        # An import writes both tables: it needs the rights an administrator would use by hand.
        return (self.has_add_permission(request) and self.has_change_permission(request)
                and request.user.has_perms(["workdays.add_calendarday", "workdays.delete_calendarday"]))

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="workdays_calendaryear_import"), *super().get_urls()]

    def import_view(self, request):
        if not self.can_import(request):
            raise PermissionDenied
        form = NoticeUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = services.import_uploaded_notice(upload.name, upload.read())
            except NoticeError as error:
                form.add_error("file", str(error))
            else:
                replaced = "，替换了该年度原有的正式数据" if result.replaced_official else ""
                self.message_user(
                    request,
                    f"已导入{result.year}年节假日安排：放假 {result.holidays} 天，"
                    f"调休上班 {result.workdays} 天"
                    f"{replaced}。该年度已标记为正式。",
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:workdays_calendaryear_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "导入节假日安排通知",
            "form": form,
        }
        return TemplateResponse(request, "admin/workdays/calendaryear/import_notice.html", context)


class YearFilter(admin.SimpleListFilter):
    title = "年份"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = CalendarYear.objects.order_by("-year").values_list("year", flat=True)
        return [(str(year), f"{year}年") for year in years]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(date__year=int(value))
        return queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "weekday", "is_workday", "name"]
    list_filter = [YearFilter, "is_workday"]
    search_fields = ["name"]
    date_hierarchy = "date"
    ordering = ["-date"]
    list_per_page = 60

    @admin.display(description="星期", ordering="date")
    def weekday(self, day: CalendarDay) -> str:
        return f"星期{_WEEKDAYS[day.date.weekday()]}"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not CalendarYear.objects.filter(year=obj.date.year, official=True).exists():
            # Estimated years ignore the table, so an edit there would silently do nothing.
            messages.warning(
                request,
                f"{obj.date.year}年尚未标记为“已按国务院通知录入”，该年度的日期在标记前不参与计算；"
                "请录入全年安排后在“日历年度”中勾选，或直接导入通知文件。",
            )

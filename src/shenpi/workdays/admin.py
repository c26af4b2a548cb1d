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
from .notices import FORMATS, Notice, NoticeError

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
            "通知发布后请点击“粘贴国务院通知”，或“导入节假日安排通知”导入文件。",
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


class NoticeTextForm(forms.Form):
    text = forms.CharField(
        label="通知全文", max_length=20000,
        widget=forms.Textarea(attrs={"rows": 14, "cols": 80, "class": "vLargeTextField"}),
        help_text="从中国政府网复制“国务院办公厅关于XXXX年部分节假日安排的通知”全文粘贴到这里，"
                  "例如“一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。”",
    )
    year = forms.IntegerField(label="年份", required=False, min_value=1900, max_value=2100,
                              help_text="正文含标题时可不填。")


def _day(day) -> str:
    return f"{day.month}月{day.day}日（周{_WEEKDAYS[day.weekday()]}）"


def notice_summary(notice: Notice) -> list[dict]:
    """One row per holiday of the notice: its days off as ranges, their count, its make-up workdays."""
    rows: dict[str, dict] = {}
    for day, (is_workday, name) in sorted(notice.days.items()):
        if is_workday:
            continue
        row = rows.setdefault(name, {"name": name, "ranges": [], "count": 0, "workdays": []})
        if row["ranges"] and (day - row["ranges"][-1][1]).days == 1:
            row["ranges"][-1][1] = day
        else:
            row["ranges"].append([day, day])
        row["count"] += 1
    for day, (is_workday, name) in sorted(notice.days.items()):
        if is_workday:
            holiday = name.removesuffix("调休上班")
            rows.setdefault(holiday, {"name": holiday, "ranges": [], "count": 0, "workdays": []})
            rows[holiday]["workdays"].append(_day(day))
    for row in rows.values():
        row["ranges"] = "、".join(_day(a) if a == b else f"{_day(a)}至{_day(b)}" for a, b in row["ranges"])
        row["workdays"] = "、".join(row["workdays"]) or "不调休"
    return list(rows.values())


def notice_changes(notice: Notice) -> list[str]:
    """How the notice differs from what the table holds for its year, date by date."""
    stored = {day.date: (day.is_workday, day.name)
              for day in CalendarDay.objects.filter(date__year=notice.year)}
    changes = []
    for day in sorted(set(stored) | set(notice.days)):
        before, after = stored.get(day), notice.days.get(day)
        if before is None or after is None or before[0] != after[0]:
            was = "无" if before is None else ("上班" if before[0] else "放假")
            now = "按平常" if after is None else ("上班" if after[0] else "放假")
            changes.append(f"{day.year}年{_day(day)}：{was} → {now}")
    return changes


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
        paste = self.admin_site.admin_view(self.paste_view)
        return [path("import/", view, name="workdays_calendaryear_import"),
                path("paste/", paste, name="workdays_calendaryear_paste"), *super().get_urls()]

    def paste_view(self, request):
        """Paste the State Council's notice, see the year it makes, then save it (one transaction)."""
        if not self.can_import(request):
            raise PermissionDenied
        form = NoticeTextForm(request.POST or None)
        notice = None
        if request.method == "POST" and form.is_valid():
            text, year = form.cleaned_data["text"], form.cleaned_data["year"]
            try:
                if "save" in request.POST:
                    result = services.import_notice_text(text, year)
                else:
                    notice = services.preview_notice_text(text, year)
            except NoticeError as error:
                form.add_error("text", str(error))
            else:
                if notice is None:
                    replaced = "，替换了该年度原有的正式数据" if result.replaced_official else ""
                    self.message_user(request, f"已保存{result.year}年节假日安排：放假 {result.holidays} 天，"
                                      f"调休上班 {result.workdays} 天{replaced}。该年度已标记为正式。",
                                      messages.SUCCESS)
                    return redirect(reverse("admin:workdays_calendaryear_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "粘贴国务院节假日安排通知",
            "form": form,
            "notice": notice,
            "summary": notice_summary(notice) if notice else [],
            "changes": notice_changes(notice) if notice else [],
            "replaces_official": bool(notice) and CalendarYear.objects.filter(
                year=notice.year, official=True).exists(),
        }
        return TemplateResponse(request, "admin/workdays/calendaryear/paste_notice.html", context)

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

"""Supervision data in the administration site."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from .models import Alert, Flag, Order, OrderEntry, Rule, ScanRun

# -- 督办 (supervision orders): read-only --------------------------------------------------------
# Orders change only through shenpi.supervision.orders (issue, answer, accept, send back), which
# keeps every step as an entry; the admin shows them and never adds, edits or deletes. Attachments
# are listed with their entry and downloaded through the supervision pages, which check who may.


class OrderReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrderEntryInline(OrderReadOnly, admin.TabularInline):
    model = OrderEntry
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "kind", "by", "text", "reply_due", "files"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by", "order").prefetch_related("attachments")

    @admin.display(description="附件")
    def files(self, entry: OrderEntry) -> str:
        return _attachment_links(entry)


def _attachment_links(entry: OrderEntry) -> str:
    """Links to the supervision download, which checks who may read the file."""
    return format_html_join(
        mark_safe("<br>"), '<a href="{}">{}</a> ({} 字节, SM3 {})',
        ((reverse("supervision:order_attachment", args=[entry.order.number, a.pk]), a.name, a.size, a.digest)
         for a in entry.attachments.all())) or "—"


@admin.register(Order)
class OrderAdmin(OrderReadOnly, admin.ModelAdmin):
    list_display = ["number", "title", "department", "status", "reply_due", "issued_by", "issued_at"]
    list_filter = ["status", "department"]
    search_fields = ["^number", "title"]
    list_select_related = ["department", "issued_by"]
    date_hierarchy = "issued_at"
    inlines = [OrderEntryInline]
    fields = readonly_fields = ["number", "title", "demand", "department", "status", "reply_due", "issued_by",
                                "issued_at", "closed_at", "alert_list", "case_list"]

    @admin.display(description="相关告警")
    def alert_list(self, order: Order) -> str:
        return "；".join(str(a) for a in order.alerts.select_related("rule")) or "—"

    @admin.display(description="相关办件")
    def case_list(self, order: Order) -> str:
        return "、".join(order.cases.values_list("number", flat=True)) or "—"


@admin.register(OrderEntry)
class OrderEntryAdmin(OrderReadOnly, admin.ModelAdmin):
    list_display = ["at", "order", "kind", "by", "reply_due"]
    list_filter = ["kind"]
    search_fields = ["^order__number"]
    list_select_related = ["order", "by"]
    date_hierarchy = "at"
    fields = readonly_fields = ["order", "kind", "at", "by", "text", "reply_due", "files"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order", "by").prefetch_related("attachments")

    @admin.display(description="附件")
    def files(self, entry: OrderEntry) -> str:
        return _attachment_links(entry)


# -- 监察点 (rules): thresholds and switch are the administrators' to edit ---------------------------
# What a rule looks for is code (rules.py); rows are created on migrate, never added or deleted here.


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "level", "enabled", "params", "updated_at"]
    list_filter = ["category", "enabled"]
    list_editable = ["enabled"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "category", "level", "basis", "description", "params", "enabled", "updated_at"]
    readonly_fields = ["code", "category", "description", "updated_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# -- 告警, 人工认定, 扫描记录: the trail of supervision, read-only ---------------------------------------

class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["detected_at", "level", "rule", "subject", "department", "responsible", "status", "closed_reason"]
    list_filter = ["level", "status", "rule__category", "rule"]
    search_fields = ["subject", "case__number"]
    list_select_related = ["rule", "department", "responsible"]
    date_hierarchy = "detected_at"
    raw_id_fields = ["case", "step"]


@admin.register(Flag)
class FlagAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["flagged_at", "rule", "case", "flagged_by", "withdrawn_at", "withdrawn_by"]
    list_select_related = ["rule", "case", "flagged_by", "withdrawn_by"]


@admin.register(ScanRun)
class ScanRunAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["as_of", "kind", "seconds", "raised", "closed", "last_event_id"]
    list_filter = ["kind"]

"""A read-only case browser for superusers.

Cases change only through the lifecycle (shenpi.cases.services.perform): the admin never adds,
changes or deletes them, and staff see cases in the workbench under least privilege, not here.
Encrypted personal data (ID number, phone, query code) is never shown; the masked copies are.
"""

from __future__ import annotations

from django.contrib import admin, messages

from . import hooks
from .models import (
    Case,
    CaseEvent,
    CaseMaterial,
    CaseStep,
    ClockStop,
    Extension,
    MaterialAccess,
    Notice,
    Publication,
)


class ReadOnlyForSuperusers:
    """Viewing only, and only for superusers."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


class ReadOnlyInline(ReadOnlyForSuperusers, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields


class MaterialInline(ReadOnlyInline):
    model = CaseMaterial
    fk_name = "case"
    fields = ["name", "required", "received", "deferred", "copies", "received_at", "file_name", "content_hash"]


class StepInline(ReadOnlyInline):
    model = CaseStep
    fields = ["seq", "name", "department", "role", "assignee", "status", "started_at", "due_at", "finished_at",
              "finished_by", "opinion"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("department", "role", "assignee", "finished_by")


class ClockStopInline(ReadOnlyInline):
    model = ClockStop
    fields = ["kind_name", "reason", "expected_days", "limit_due", "started_at", "ended_at", "stopped_days"]


class ExtensionInline(ReadOnlyInline):
    model = Extension
    fields = ["days", "reason", "approved_by", "at"]


class NoticeInline(ReadOnlyInline):
    model = Notice
    fields = ["kind", "number", "issued_at", "issued_by"]


class EventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ["at", "action", "actor_name", "ip", "from_state", "to_state", "step", "comment"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("step__case")


@admin.register(Case)
class CaseAdmin(ReadOnlyForSuperusers, admin.ModelAdmin):
    list_display = ["number", "item_code", "applicant_name", "state", "promised_due", "department", "received_at"]
    list_filter = ["state", "channel", "due_provisional", "department"]
    search_fields = ["^number"]
    list_select_related = ["item", "department"]
    date_hierarchy = "received_at"
    show_full_result_count = False
    inlines = [MaterialInline, StepInline, ClockStopInline, ExtensionInline, NoticeInline, EventInline]
    fieldsets = [
        ("办件", {"fields": ["number", "item", "version", "department", "window", "channel", "title", "state"]}),
        ("申请人", {"fields": ["applicant_kind", "applicant_name", "applicant_id_masked", "applicant_id_note",
                            "contact_name", "contact_phone_masked"]}),
        ("时限", {"fields": ["received_at", "received_by", "correction_due", "correction_count", "accepted_at",
                           "accept_date", "promised_limit", "statutory_limit", "extension_days", "stopped_days",
                           "clock_stopped_on", "promised_due", "statutory_due", "due_provisional"]}),
        ("结果", {"fields": ["decision", "decision_reason", "decided_at", "delivery_due", "completed_at",
                           "used_days", "closing_reason", "closed_at"]}),
    ]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def lookup_allowed(self, lookup, value, request=None):
        # The catalogue links here to list the cases of one item or one item version.
        if lookup in ("item__id__exact", "version__id__exact"):
            return True
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description="事项编码", ordering="item__code")
    def item_code(self, obj: Case) -> str:
        return obj.item.code


@admin.register(MaterialAccess)
class MaterialAccessAdmin(ReadOnlyForSuperusers, admin.ModelAdmin):
    """Who opened which applicant's file, when and from where (查阅记录): kept, never changed."""

    list_display = ["at", "reference", "material_name", "file_name", "viewer_name", "ip", "inline"]
    list_filter = ["inline"]
    search_fields = ["^reference", "viewer_name"]
    date_hierarchy = "at"
    show_full_result_count = False
    fields = readonly_fields = ["at", "reference", "case", "material", "material_name", "file_name", "digest",
                                "viewer", "viewer_name", "ip", "inline"]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser


@admin.register(Publication)
class PublicationAdmin(ReadOnlyForSuperusers, admin.ModelAdmin):
    """The outbox of case events to after-commit subscribers: what is waiting, what failed, 重新投递."""

    list_display = ["id", "at", "subscriber", "case", "event_number", "action", "status", "attempts",
                    "next_attempt_at", "delivered_at"]
    list_filter = ["status", "subscriber", "action"]
    search_fields = ["case__number", "subscriber"]
    date_hierarchy = "at"
    list_select_related = ["case"]
    readonly_fields = ["subscriber", "case", "event_number", "action", "at", "payload", "status", "attempts",
                       "next_attempt_at", "last_error", "delivered_at"]
    actions = ["resend"]

    def has_resend_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    @admin.action(description="重新投递(仅投递失败的事件)", permissions=["resend"])
    def resend(self, request, queryset):
        count = hooks.resend(queryset)
        skipped = queryset.count() - count
        note = f"；{skipped}条不是“投递失败”状态，未处理" if skipped else ""
        level = messages.SUCCESS if count else messages.WARNING
        self.message_user(request, f"已重新排队投递{count}条事件{note}。", level)

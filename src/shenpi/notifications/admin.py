"""The outbox in the admin: read-only, with 重新发送 for messages that failed for good.

Messages are written by the services of other apps and never edited by hand; addresses are
shown masked.
"""

from django.contrib import admin, messages

from . import services
from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "channel", "address_masked", "template", "subject", "status", "attempts",
                    "next_attempt_at", "sent_at"]
    list_filter = ["status", "channel", "template"]
    search_fields = ["subject", "topic", "case__number"]
    date_hierarchy = "created_at"
    list_select_related = ["case"]
    fields = ["channel", "recipient", "address_masked", "template", "subject", "body", "case", "topic", "status",
              "attempts", "next_attempt_at", "last_error", "created_at", "sent_at"]
    readonly_fields = fields
    actions = ["resend"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        return request.user.has_perm("notifications.change_notification")

    @admin.action(description="重新发送(仅发送失败的通知)", permissions=["resend"])
    def resend(self, request, queryset):
        count = services.resend(queryset)
        skipped = queryset.count() - count
        note = f"；{skipped}条不是“发送失败”状态，未处理" if skipped else ""
        level = messages.SUCCESS if count else messages.WARNING
        self.message_user(request, f"已重新排队发送{count}条通知{note}。", level)

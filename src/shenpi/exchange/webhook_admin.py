"""The centre administrator's view of webhook subscriptions and their delivery logs (admin only).

Department systems make and change their subscriptions through the API (docs/webhooks.md); here the
administrator sees them all, with their owner token and their failures, can stop or resume one, and
reads every subscription's log, taking given-up deliveries (failed) up again. The secret is never
shown. Registered on proxy models so that the upstream destinations keep their own admin pages.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from . import sender
from .admin import ReadOnly
from .models import Subscription, SubscriptionDelivery


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "owner_token", "url", "algorithm", "active", "failures", "retry_at", "log"]
    list_filter = ["active", "algorithm"]
    search_fields = ["name", "code", "url", "owner_token__prefix", "owner_token__name"]
    fields = ["name", "code", "owner_token", "url", "algorithm", "event_kinds", "department_ids", "item_ids",
              "active", "created_at", "failures", "retry_at"]
    readonly_fields = [f for f in fields if f != "active"]
    actions = ["deactivate"]

    def has_add_permission(self, request):
        return False  # made by department systems with their tokens (the filters follow the token's scope)

    @admin.display(description="投递记录")
    def log(self, obj):
        url = reverse("admin:exchange_subscriptiondelivery_changelist")
        return format_html('<a href="{}?destination__id__exact={}">查看</a>', url, obj.pk)

    @admin.action(description="停用所选订阅")
    def deactivate(self, request, queryset):
        count = queryset.update(active=False)
        self.message_user(request, f"已停用 {count} 个订阅。", messages.SUCCESS)


@admin.register(SubscriptionDelivery)
class SubscriptionDeliveryAdmin(ReadOnly):
    list_display = ["event_id", "kind", "case_number", "destination", "round", "status", "attempts", "last_error",
                    "created_at", "delivered_at"]
    list_filter = ["status", "destination", "event__kind"]
    search_fields = ["event__key", "event__payload__case"]
    list_select_related = ["event", "destination"]
    actions = ["resend"]

    @admin.display(description="事件类型")
    def kind(self, obj):
        return obj.event.get_kind_display()

    @admin.display(description="办件编号")
    def case_number(self, obj):
        return obj.event.payload.get("case", "")

    @admin.action(description="重新投递所选的投递失败记录")
    def resend(self, request, queryset):
        count = sender.resend(queryset)  # tries counted afresh, the subscription's pause ended
        self.message_user(request, f"已将 {count} 条投递失败记录重新排入投递。", messages.SUCCESS)

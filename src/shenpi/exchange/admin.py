"""Administration of data exchange: the destinations and their formats, and the outbox itself —
events and their deliveries, read-only, with the dead-letter list (投递失败) resent from here."""

from django.contrib import admin, messages

from shenpi import clock

from . import sender
from .models import Delivery, Destination, Event, Mapping


@admin.register(Mapping)
class MappingAdmin(admin.ModelAdmin):
    list_display = ["name", "field_count", "updated_at"]
    search_fields = ["name"]
    readonly_fields = ["updated_at"]

    @admin.display(description="字段数")
    def field_count(self, obj):
        return len(obj.fields or {})


@admin.register(Destination)
class DestinationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "url", "active", "failures", "retry_at", "mapping"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name", "url"]
    exclude = ["created_at"]
    readonly_fields = ["failures", "retry_at"]
    actions = ["resume"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_at = clock.now()
        super().save_model(request, obj, form, change)

    @admin.action(description="解除暂停，立即恢复投递")
    def resume(self, request, queryset):
        count = sender.resume(queryset)
        self.message_user(request, f"已解除 {count} 个接收方的暂停。", messages.SUCCESS)


class ReadOnly(admin.ModelAdmin):
    """The outbox is written by the actions it tells and by the senders, never by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ReadOnly):
    list_display = ["id", "kind", "case", "action", "at", "key"]
    list_filter = ["kind"]
    search_fields = ["=key", "case__number"]
    raw_id_fields = ["case"]
    date_hierarchy = "at"
    list_select_related = ["case"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ["id", "destination", "kind", "case_id", "status", "attempts", "next_attempt_at", "delivered_at",
                    "short_error"]
    list_filter = ["status", "destination", "event__kind", "round"]
    search_fields = ["=event__key", "event__case__number"]
    list_select_related = ["destination", "event"]
    actions = ["resend"]

    @admin.display(description="类型", ordering="event__kind")
    def kind(self, obj):
        return obj.event.get_kind_display()

    @admin.display(description="最近错误")
    def short_error(self, obj):
        return obj.last_error[:80]

    @admin.action(description="重新投递（投递失败的记录，重新计算尝试次数）")
    def resend(self, request, queryset):
        count = sender.resend(queryset)
        skipped = queryset.count() - count
        text = f"已将 {count} 条投递失败的记录重新放入待投递。"
        if skipped > 0:
            text += f"另有 {skipped} 条不是投递失败状态，未改动。"
        self.message_user(request, text, messages.SUCCESS if count else messages.WARNING)

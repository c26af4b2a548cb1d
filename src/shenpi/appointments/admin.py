from django.contrib import admin

from .models import Booking, Slot


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ("start", "end", "window", "item", "capacity", "booked")
    list_filter = ("window",)
    date_hierarchy = "start"
    # The booked count moves only through bookings and cancellations.
    readonly_fields = ("booked", "published_by", "published_at")


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ("code", "day", "slot", "item_name", "applicant_name", "id_masked", "mobile_masked", "status")
    list_filter = ("status", "window")
    search_fields = ("code",)
    date_hierarchy = "day"
    # Personal data is shown masked; bookings change through the portal and the workbench only.
    exclude = ("id_number", "id_index", "mobile", "mobile_index")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

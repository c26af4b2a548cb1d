"""Administration of fees: the waiver grounds (减免事由) and, read-mostly, the bill stocks."""

from django.contrib import admin

from .models import Bill, BillStock, WaiverReason


@admin.register(WaiverReason)
class WaiverReasonAdmin(admin.ModelAdmin):
    list_display = ["name", "share", "active"]
    list_filter = ["active"]
    search_fields = ["name", "basis"]


class BillInline(admin.TabularInline):
    model = Bill
    extra = 0
    fields = ["number", "status", "charge", "used_at", "used_by", "voided_at", "void_reason"]
    readonly_fields = fields
    can_delete = False
    max_num = 0
    show_change_link = False


@admin.register(BillStock)
class BillStockAdmin(admin.ModelAdmin):
    """Read-mostly: numbers are used, voided, handed in and written off on the staff pages
    (/workbench/fees/stocks/), where each step is checked; here they are looked at."""

    list_display = ["__str__", "kind", "department", "window", "holder", "status", "issued_at"]
    list_filter = ["kind", "status", "department"]
    search_fields = ["series"]
    readonly_fields = ["kind", "series", "first", "last", "department", "window", "holder", "status", "issued_at",
                       "handed_in_at", "written_off_at", "written_off_by"]
    inlines = [BillInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

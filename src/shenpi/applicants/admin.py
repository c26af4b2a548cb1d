"""Applicant accounts in the admin: looked at, never edited (their data comes from the applicants)."""

from django.contrib import admin

from .models import Applicant


@admin.register(Applicant)
class ApplicantAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "id_masked", "mobile_masked", "mobile_verified_at", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name"]
    fields = ["name", "kind", "id_masked", "contact_name", "mobile_masked", "mobile_verified_at", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

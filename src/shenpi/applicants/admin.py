"""Applicant accounts in the admin: looked at, never edited (their data comes from the applicants)."""

from django.contrib import admin

from .models import Applicant, IdentityReclaim, RealNameVerification


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Applicant)
class ApplicantAdmin(ReadOnly):
    list_display = ["name", "kind", "id_masked", "mobile_masked", "mobile_verified_at", "real_name_verified_at",
                    "created_at"]
    list_filter = ["kind", "real_name_source"]
    search_fields = ["name"]
    fields = ["name", "kind", "id_masked", "contact_name", "mobile_masked", "mobile_verified_at",
              "real_name_verified_at", "real_name_source", "identity_released_at", "created_at"]
    readonly_fields = fields


@admin.register(RealNameVerification)
class RealNameVerificationAdmin(ReadOnly):
    list_display = ["applicant", "source", "role", "actor_name", "actor_id_masked", "staff", "verified_at"]
    list_filter = ["source", "role"]
    fields = ["applicant", "source", "role", "actor_name", "actor_id_masked", "representative", "reference",
              "staff", "verified_at"]
    readonly_fields = fields


@admin.register(IdentityReclaim)
class IdentityReclaimAdmin(ReadOnly):
    list_display = ["id_masked", "previous", "reclaimer", "source", "reclaimed_at"]
    fields = list_display
    readonly_fields = fields

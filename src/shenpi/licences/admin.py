"""Admin: certificate templates (per item), and the departments' signing keys — public parts only,
read-only: keys are generated or imported with `shenpi licence keys`, never typed in."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from shenpi.errors import ServiceError

from .issue import validate_fields
from .models import CertificateTemplate, SigningKey


class CertificateTemplateForm(forms.ModelForm):
    class Meta:
        model = CertificateTemplate
        fields = ("item", "title", "type_code", "validity_years", "fields", "layout", "footer", "active")

    def clean_fields(self):
        # Django calls clean_<field> for the model field named "fields".
        value = self.cleaned_data.get("fields")
        try:
            return validate_fields(value)
        except ServiceError as error:
            raise forms.ValidationError(error.message) from None


@admin.register(CertificateTemplate)
class CertificateTemplateAdmin(admin.ModelAdmin):
    form = CertificateTemplateForm
    list_display = ("item", "title", "type_code", "validity_years", "layout", "active")
    list_filter = ("active", "layout")
    search_fields = ("title", "item__code", "type_code")
    raw_id_fields = ("item",)


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    list_display = ("department", "label", "key_reference", "active", "created_at")
    list_filter = ("active",)
    readonly_fields = ("department", "label", "sm2_public_key", "certificate", "ca_certificate", "key_reference",
                       "seal_image", "created_at")
    fields = (*readonly_fields, "active")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

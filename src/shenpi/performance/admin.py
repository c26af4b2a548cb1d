"""The scoring scheme and manual scores in the admin: areas, weights, deductions, bonuses, who scored what."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.db import models

from shenpi import clock

from .models import BonusRule, DeductionRule, ManualScore, ScoringArea, ScoringScheme


class AreaFormSet(forms.BaseInlineFormSet):
    """The weights of a scheme's areas add up to 100 %."""

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        codes = [f.cleaned_data.get("code") for f in kept]
        if len(codes) != len(set(codes)):
            raise forms.ValidationError("考核项代码不能重复。")
        total = sum((f.cleaned_data.get("weight") or Decimal(0) for f in kept), Decimal(0))
        if kept and total != Decimal(100):
            raise forms.ValidationError(f"各考核项权重之和须为100%，现为{total.normalize():f}%。")


class ScoringAreaInline(admin.TabularInline):
    model = ScoringArea
    formset = AreaFormSet
    extra = 0
    fields = ["sort", "code", "name", "weight", "kind", "measure", "description"]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 50})}}


class DeductionRuleInline(admin.TabularInline):
    model = DeductionRule
    extra = 0
    fields = ["name", "indicator", "every", "points", "cap"]


class BonusRuleInline(admin.TabularInline):
    model = BonusRule
    extra = 0
    fields = ["name", "indicator", "every", "points", "cap"]


@admin.register(ScoringScheme)
class ScoringSchemeAdmin(admin.ModelAdmin):
    list_display = ["name", "period", "base", "floor_at_zero", "active", "updated_at"]
    list_filter = ["active"]
    search_fields = ["name", "basis"]
    fields = ["name", "basis", "period", "base", "floor_at_zero", "active", "note"]
    inlines = [ScoringAreaInline, DeductionRuleInline, BonusRuleInline]


class ManualScoreForm(forms.ModelForm):
    class Meta:
        model = ManualScore
        fields = ["area", "department", "month", "score", "note"]
        help_texts = {"month": "填写该月1日，例如 2026-10-01。"}


@admin.register(ManualScore)
class ManualScoreAdmin(admin.ModelAdmin):
    form = ManualScoreForm
    list_display = ["month_label", "department", "area", "score", "note", "entered_by", "entered_at"]
    list_filter = ["month", "area__scheme", "area"]
    search_fields = ["department__name", "note"]
    list_select_related = ["department", "area", "entered_by"]
    autocomplete_fields = ["department"]
    readonly_fields = ["entered_by", "entered_at"]
    date_hierarchy = "month"

    @admin.display(description="考核月份", ordering="month")
    def month_label(self, obj: ManualScore) -> str:
        return f"{obj.month:%Y年%m月}"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "area":
            kwargs["queryset"] = ScoringArea.objects.filter(kind=ScoringArea.Kind.MANUAL).select_related("scheme")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # Who scored and when is recorded by the system, never typed.
        if not change or form.has_changed():
            obj.entered_by, obj.entered_at = request.user, clock.now()
        super().save_model(request, obj, form, change)

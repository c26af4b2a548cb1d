"""Projects and stage approval in the admin: what the centre defines (project types, stage templates
with their items and shared results, the green-channel and joint-handling settings) and what it
only looks at (projects, stages, joint reviews).

Projects are registered and stages opened at the comprehensive window (shenpi.joint.services); the
admin never opens, changes or closes a stage or a review. Of a project, only what the centre
decides about it is edited here: its name and place, its lead department, the key-project and
green-channel flags.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.forms.models import BaseInlineFormSet

from shenpi.catalog.models import Department

from . import templates_reform
from .models import (
    JointReview,
    JointSettings,
    Project,
    ProjectType,
    ResultFeed,
    ReviewInvitation,
    Stage,
    StageItem,
    StagePart,
    StageTemplate,
)

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class ReadOnly(admin.ModelAdmin):
    """Looked at only: these rows change through the services."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields


# -- project types and the reform's four stages --------------------------------------------------------

def reform_lead_department() -> Department | None:
    """Who leads the generated stages until the administrator names each stage's own lead: the centre's
    comprehensive window (综合受理)."""
    return Department.objects.filter(comprehensive=True).order_by("level", "sort", "pk").first()


@admin.register(ProjectType)
class ProjectTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "promised_total", "stage_totals", "note"]
    search_fields = ["code", "name"]
    actions = ["generate_reform_stages"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("stages")

    @admin.display(description="各阶段时限(工作日)")
    def stage_totals(self, obj: ProjectType) -> str:
        stages = sorted((s for s in obj.stages.all() if s.kind == StageTemplate.Kind.STAGE), key=lambda s: s.seq)
        if not stages:
            return "—"
        total = sum(s.promised_total for s in stages)
        text = " + ".join(f"{s.name} {s.promised_total}" for s in stages)
        return f"{text} = {total}" + ("" if total == obj.promised_total else "（与承诺总时限不一致）")

    @admin.action(description="按改革方案生成四个阶段", permissions=["change"])
    def generate_reform_stages(self, request, queryset):
        lead = reform_lead_department()
        if lead is None:
            self.message_user(request, "没有综合受理部门，无法生成阶段：请先在部门中设置综合受理窗口。", messages.ERROR)
            return
        shares = "、".join(f"{s.name}{s.share}%" for s in templates_reform.REFORM_STAGES)
        for project_type in queryset:
            created = templates_reform.create_reform_stages(project_type, lead)
            if created:
                totals = "、".join(f"{t.name}{t.promised_total}个工作日" for t in created)
                self.message_user(request, f"“{project_type}”已生成：{totals}（按{shares}分配，牵头部门暂为{lead}，"
                                           "请逐一核对并配置事项）。", messages.SUCCESS)
            else:
                self.message_user(request, f"“{project_type}”已有四个阶段，未作更改。", messages.WARNING)


# -- stage templates --------------------------------------------------------------------------------

class StageTemplateForm(forms.ModelForm):
    class Meta:
        model = StageTemplate
        fields = ["code", "name", "kind", "project_type", "seq", "lead_department", "promised_total", "audience",
                  "active", "questions", "description"]

    def clean_questions(self):
        questions = self.cleaned_data.get("questions")
        if questions in (None, ""):
            return []
        problem = "情形问题应为列表，每项形如 {\"key\": \"civil_air_defence\", \"label\": \"是否需要建设防空地下室\"}。"
        if not isinstance(questions, list):
            raise forms.ValidationError(problem)
        seen = set()
        cleaned = []
        for question in questions:
            if not isinstance(question, dict) or set(question) != {"key", "label"}:
                raise forms.ValidationError(problem)
            key, label = question["key"], question["label"]
            if not isinstance(key, str) or not _KEY.match(key):
                raise forms.ValidationError(
                    f"情形问题的 key“{key}”应为小写字母开头的字母、数字或下划线（至多40个字符）。")
            if not isinstance(label, str) or not label.strip():
                raise forms.ValidationError(f"情形问题“{key}”缺少问题文字（label）。")
            if key in seen:
                raise forms.ValidationError(f"情形问题的 key“{key}”重复。")
            seen.add(key)
            cleaned.append({"key": key, "label": label.strip()})
        return cleaned

    def clean(self):
        cleaned = super().clean()
        kind, project_type = cleaned.get("kind"), cleaned.get("project_type")
        if kind == StageTemplate.Kind.STAGE and project_type is None:
            self.add_error("project_type", "项目审批阶段须选择项目类型。")
        if kind == StageTemplate.Kind.BUNDLE and project_type is not None:
            self.add_error("project_type", "一件事一次办不属于项目类型，请留空。")
        return cleaned


class StageItemFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        keys = {q["key"] for q in self.instance.questions or [] if isinstance(q, dict) and "key" in q}
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            condition = (form.cleaned_data.get("condition") or "").strip()
            if condition and condition not in keys:
                known = "、".join(sorted(keys)) or "无"
                form.add_error("condition", f"“{condition}”不是本阶段的情形问题（可选：{known}）。")


class StageItemInline(admin.TabularInline):
    model = StageItem
    formset = StageItemFormSet
    extra = 0
    fields = ["seq", "item", "required", "condition"]
    autocomplete_fields = ["item"]


class ResultFeedInline(admin.TabularInline):
    model = ResultFeed
    extra = 0
    fields = ["source_item", "material_name"]
    autocomplete_fields = ["source_item"]


@admin.register(StageTemplate)
class StageTemplateAdmin(admin.ModelAdmin):
    form = StageTemplateForm
    list_display = ["code", "name", "kind", "project_type", "seq", "lead_department", "promised_total", "active"]
    list_filter = ["kind", "project_type", "active"]
    search_fields = ["code", "name"]
    list_select_related = ["project_type", "lead_department"]
    autocomplete_fields = ["lead_department"]
    inlines = [StageItemInline, ResultFeedInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "project_type", "seq", "lead_department", "promised_total",
                           "audience", "active"]}),
        ("一张表单", {"fields": ["questions", "description"]}),
    ]


# -- settings --------------------------------------------------------------------------------------

@admin.register(JointSettings)
class JointSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "green_factor", "stage_statutory_limit", "stage_extension_limit"]

    def has_add_permission(self, request):
        return not JointSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


# -- what the centre looks at ----------------------------------------------------------------------------

class StageInline(ReadOnlyInline):
    model = Stage
    fields = ["number", "name", "state", "green", "accept_date", "promised_total", "promised_due", "used_days"]
    show_change_link = True


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "owner_name", "project_type", "lead_department", "key_project", "green_channel",
                    "created_at"]
    list_filter = ["key_project", "green_channel", "kind", "project_type", "district"]
    search_fields = ["code", "name", "owner_name", "owner_uscc"]
    list_select_related = ["project_type", "lead_department"]
    autocomplete_fields = ["district", "lead_department"]
    date_hierarchy = "created_at"
    inlines = [StageInline]
    fields = ["code", "issued_here", "name", "owner_name", "owner_uscc", "location", "division", "district",
              "total_investment", "kind", "industry", "project_type", "lead_department", "key_project",
              "green_channel", "answers", "created_at", "created_by"]
    readonly_fields = ["code", "issued_here", "owner_name", "owner_uscc", "division", "kind", "industry",
                       "project_type", "answers", "created_at", "created_by"]

    def has_add_permission(self, request):
        return False  # registered at the comprehensive window, where the code is checked or issued

    def has_delete_permission(self, request, obj=None):
        return False


class StagePartInline(ReadOnlyInline):
    model = StagePart
    fields = ["case", "item", "department", "required"]


@admin.register(Stage)
class StageAdmin(ReadOnly):
    list_display = ["number", "name", "project", "lead_department", "state", "green", "accept_date", "promised_due",
                    "used_days"]
    list_filter = ["state", "green", "template"]
    search_fields = ["number", "name", "project__code", "project__name", "applicant_name"]
    list_select_related = ["project", "lead_department"]
    inlines = [StagePartInline]
    fields = ["number", "template", "project", "name", "lead_department", "applicant_name", "state", "green",
              "answers", "opened_at", "opened_by", "accept_date", "promised_total", "statutory_limit",
              "extension_days", "stopped_days", "clock_stopped_on", "promised_due", "statutory_due", "concluded_at",
              "used_days", "outcome"]
    readonly_fields = fields


class InvitationInline(ReadOnlyInline):
    model = ReviewInvitation
    fields = ["department", "verdict", "opinion", "posted_at", "posted_by"]


@admin.register(JointReview)
class JointReviewAdmin(ReadOnly):
    list_display = ["number", "title", "lead_department", "state", "opened_at", "due_on", "concluded_at"]
    list_filter = ["state"]
    search_fields = ["number", "title"]
    list_select_related = ["lead_department"]
    inlines = [InvitationInline]
    fields = ["number", "title", "stage", "case", "lead_department", "opened_by", "opened_at", "limit_days",
              "due_on", "state", "conclusion", "concluded_at", "concluded_by"]
    readonly_fields = fields

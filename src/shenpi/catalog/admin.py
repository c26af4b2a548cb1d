"""The catalogue in the admin: the department tree, windows, items and their versions.

A published or retired version is shown read-only: administrators change an item by copying
its version into a draft, editing the draft and publishing it (shenpi.catalog.services).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, Case, Count, Exists, F, OuterRef, Prefetch, Q, Value, When
from django.urls import reverse
from django.utils.html import format_html

from shenpi import clock

from . import outlines, services
from .models import (
    Department,
    FeeStandard,
    FlowStep,
    HoursException,
    Item,
    ItemProcedure,
    ItemVersion,
    MaterialSpec,
    ProcedureKind,
    WeeklyHours,
    Window,
)
from .transfer_admin import TransferAdminMixin

_LEVEL_ORDER = {level: rank for rank, level in enumerate(Department.Level.values)}


def _sees_cases(queryset, request):
    """Mark rows for this request: case numbers link to the case browser only for superusers.

    The flag travels on the rows because a ModelAdmin is shared by all requests and threads.
    """
    return queryset.annotate(viewer_sees_cases=Value(request.user.is_superuser, output_field=BooleanField()))


def _cases_link(obj, count: int, **lookups) -> str:
    if not count or not getattr(obj, "viewer_sees_cases", False):
        return str(count)
    query = "&".join(f"{key}={value}" for key, value in lookups.items())
    return format_html('<a href="{}?{}">{}件</a>', reverse("admin:cases_case_changelist"), query, count)


# -- departments and windows ---------------------------------------------------------------------

class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["code", "name", "short_name", "parent", "level", "sort", "comprehensive", "functions", "phone",
                  "address", "outline"]
        widgets = {"outline": forms.Textarea(attrs={"rows": 6, "cols": 80, "spellcheck": "false"})}

    def clean_outline(self):
        # A Feature pasted from a map tool is accepted: its geometry is what is kept.
        outline = outlines.geometry_of(self.cleaned_data.get("outline"))
        try:
            outlines.check(outline)
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None
        return outline

    def clean(self):
        cleaned = super().clean()
        parent, level = cleaned.get("parent"), cleaned.get("level")
        if parent and level and _LEVEL_ORDER[level] < _LEVEL_ORDER[parent.level]:
            self.add_error("level", f"层级不能高于上级部门（{parent.get_level_display()}）。")
        return cleaned


class WindowInline(admin.TabularInline):
    model = Window
    extra = 0
    fields = ["number", "name", "location"]


def _ancestors(department: Department) -> list[Department]:
    chain, node, seen = [], department.parent, {department.pk}
    while node is not None and node.pk not in seen:
        chain.append(node)
        seen.add(node.pk)
        node = node.parent
    return chain[::-1]


_DEPTH = 3  # 市 › 县 › 乡 › 村: the deepest node has three ancestors


def _at_depth(depth: int) -> Q:
    above = "parent__" * depth
    if depth == _DEPTH:
        return Q(**{f"{above}isnull": False})
    return Q(**{f"{above}isnull": False} if depth else {}) & Q(**{f"{above}parent__isnull": True})


def _path_key(level: int, field: str, empty) -> Case:
    """The sort key of a node's ancestor at `level` (or of the node itself), so children follow parents."""
    return Case(
        *[When(_at_depth(depth), then=F("parent__" * (depth - level) + field)) for depth in range(level, _DEPTH + 1)],
        default=Value(empty),
    )


class DepartmentTree(ChangeList):
    """Children listed under their parent, unless the user sorts by a column."""

    def get_ordering(self, request, queryset):
        if ORDER_VAR in self.params:
            return super().get_ordering(request, queryset)
        keys = [key for level in range(_DEPTH + 1) for key in (f"tree_sort_{level}", f"tree_code_{level}")]
        return [*keys, "pk"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    form = DepartmentForm
    list_display = ["tree_name", "code", "level", "parent_path", "comprehensive", "phone", "sort"]
    list_display_links = ["tree_name"]
    list_filter = ["level", "comprehensive"]
    search_fields = ["code", "name", "short_name"]
    # Four levels (市/县/乡/村): three parents joined give every path without further queries.
    list_select_related = ["parent__parent__parent"]
    autocomplete_fields = ["parent"]
    inlines = [WindowInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "short_name", "parent", "level", "sort", "comprehensive"]}),
        ("公开信息", {"fields": ["functions", "phone", "address"]}),
        ("辖区轮廓", {"fields": ["outline"], "classes": ["collapse"],
                  "description": "县区、乡镇的辖区范围，用于统计分析首页的地图；也可用命令 "
                                 "shenpi catalogue outlines import 批量导入 GeoJSON 文件。"}),
    ]

    def get_queryset(self, request):
        keys = {}
        for level in range(_DEPTH + 1):
            keys[f"tree_sort_{level}"] = _path_key(level, "sort", -1)
            keys[f"tree_code_{level}"] = _path_key(level, "code", "")
        depth = Case(*[When(_at_depth(d), then=Value(d)) for d in range(_DEPTH + 1)], default=Value(0))
        return super().get_queryset(request).annotate(tree_depth=depth, **keys)

    def get_changelist(self, request, **kwargs):
        return DepartmentTree

    @admin.display(description="部门名称", ordering="name")
    def tree_name(self, obj: Department) -> str:
        depth = getattr(obj, "tree_depth", 0)
        marker = "└ " if depth else ""
        return format_html("{}{}{}", "\u3000" * depth * 2, marker, obj.name)

    @admin.display(description="上级路径")
    def parent_path(self, obj: Department) -> str:
        return " › ".join(node.name for node in _ancestors(obj)) or "—"


# -- a window's hours: its week and dated exceptions (docs/hours.md) ---------------------------------

_SESSION_FIELDS = ["morning_opens", "morning_closes", "afternoon_opens", "afternoon_closes", "extended_until"]


class _OnePerKey(forms.BaseInlineFormSet):
    """One row per weekday (or date) of a window: the unique index is conditional (the centre's rows
    have no window), so the formset's own unique check does not see it; say it before the database does."""

    key = ""
    message = ""

    def clean(self):
        super().clean()
        shown = [form.instance.pk for form in self.forms if form.instance.pk]
        # Rows the inline does not show (past dates) still count.
        seen = set(self.model.objects.filter(window=self.instance).exclude(pk__in=shown)
                   .values_list(self.key, flat=True)) if self.instance.pk else set()
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or form.cleaned_data.get("DELETE"):
                continue
            value = form.cleaned_data.get(self.key)
            if value in seen:
                form.add_error(self.key, self.message)
            seen.add(value)


class _OneWeekday(_OnePerKey):
    key, message = "weekday", "同一窗口每个星期几只能有一行办公时间。"


class _OneDate(_OnePerKey):
    key, message = "day", "同一窗口同一日期只能有一条特殊办公安排。"


class WeeklyHoursInline(admin.TabularInline):
    model = WeeklyHours
    formset = _OneWeekday
    extra = 0
    fields = ["weekday", *_SESSION_FIELDS, "note"]
    verbose_name = verbose_name_plural = "每周办公时间（不填则沿用中心默认办公时间）"


class HoursExceptionInline(admin.TabularInline):
    model = HoursException
    formset = _OneDate
    extra = 0
    fields = ["day", "kind", *_SESSION_FIELDS, "note"]
    verbose_name = verbose_name_plural = "特殊办公安排（延时服务、加班/预约服务、暂停服务）"

    def get_queryset(self, request):
        # The days still to come: past arrangements stay in the 特殊办公安排 list.
        return super().get_queryset(request).filter(day__gte=clock.today())


@admin.register(WeeklyHours)
class WeeklyHoursAdmin(admin.ModelAdmin):
    """All weekly rows; those without a window are the centre's default (中心默认办公时间)."""

    list_display = ["window_or_centre", "weekday", *_SESSION_FIELDS, "note"]
    list_filter = [("window", admin.EmptyFieldListFilter), "weekday"]
    search_fields = ["window__number", "window__name"]
    list_select_related = ["window"]
    autocomplete_fields = ["window"]
    fields = ["window", "weekday", *_SESSION_FIELDS, "note"]

    @admin.display(description="窗口", ordering="window__number")
    def window_or_centre(self, obj: WeeklyHours) -> str:
        return str(obj.window) if obj.window else "中心默认"


@admin.register(HoursException)
class HoursExceptionAdmin(admin.ModelAdmin):
    list_display = ["day", "window_or_centre", "kind", *_SESSION_FIELDS, "note"]
    list_filter = ["kind", ("window", admin.EmptyFieldListFilter)]
    search_fields = ["window__number", "window__name", "note"]
    list_select_related = ["window"]
    autocomplete_fields = ["window"]
    date_hierarchy = "day"
    fields = ["window", "day", "kind", *_SESSION_FIELDS, "note"]

    @admin.display(description="窗口", ordering="window__number")
    def window_or_centre(self, obj: HoursException) -> str:
        return str(obj.window) if obj.window else "全中心"


@admin.register(Window)
class WindowAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "department", "location", "staff_count"]
    list_filter = ["department__level", "department"]
    search_fields = ["number", "name", "department__name"]
    list_select_related = ["department"]
    autocomplete_fields = ["department"]
    inlines = [WeeklyHoursInline, HoursExceptionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(staff_total=Count("staff"))

    @admin.display(description="工作人员", ordering="staff_total")
    def staff_count(self, obj: Window) -> int:
        return obj.staff_total


@admin.register(ProcedureKind)
class ProcedureKindAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "default_limit_days"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        # Suspension requests name the kind by code (API, lifecycle): a saved code stays.
        return ["code"] if obj else []


# -- items and versions --------------------------------------------------------------------------

def _report(request, done: list[str], failed: list[str], warnings: list[str] = ()) -> None:
    for text in done:
        messages.success(request, text)
    for text in warnings:
        messages.warning(request, text)
    for text in failed:
        messages.error(request, text)


def _draft_from(request, versions) -> None:
    done, failed = [], []
    for version in versions:
        try:
            draft = services.new_version(version, actor=request.user)
        except services.CatalogError as error:
            failed.append(error.message)
        else:
            done.append(f"已将“{version}”复制为第{draft.number}版草稿，修改后请发布。")
    _report(request, done, failed)


def _publish(request, versions) -> None:
    done, failed, warnings = [], [], []
    for version in versions:
        try:
            published = services.publish(version, actor=request.user)
        except services.CatalogError as error:
            failed.append(error.message)
        else:
            done.append(f"已发布“{published}”，此前发布的版本已停用；已受理的办件仍按原版本办理。")
            warnings += [f"“{published}”：{text}" for text in services.publication_warnings(published)]
    _report(request, done, failed, warnings)


def _retire(request, versions) -> None:
    done, failed = [], []
    for version in versions:
        try:
            services.retire(version, actor=request.user)
        except services.CatalogError as error:
            failed.append(error.message)
        else:
            done.append(f"已停用“{version}”，该事项不再收件；已受理的办件不受影响。")
    _report(request, done, failed)


class VersionInline(admin.TabularInline):
    """The versions of an item, newest first, with the cases accepted under each."""

    model = ItemVersion
    extra = 0
    fields = ["number", "status", "name", "promised_limit", "statutory_limit", "published_at", "cases"]
    readonly_fields = fields
    ordering = ["-number"]
    show_change_link = True
    can_delete = False

    def get_queryset(self, request):
        return _sees_cases(super().get_queryset(request).annotate(case_total=Count("cases")), request)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="办件")
    def cases(self, obj: ItemVersion) -> str:
        return _cases_link(obj, obj.case_total, version__id__exact=obj.pk)


class ItemStatusFilter(admin.SimpleListFilter):
    title = "状态"
    parameter_name = "in_service"

    def lookups(self, request, model_admin):
        return [("published", "已发布(可收件)"), ("draft", "有待发布草稿"), ("retired", "已停用(不收件)")]

    def queryset(self, request, queryset):
        published = ItemVersion.objects.published().filter(item=OuterRef("pk"))
        draft = ItemVersion.objects.filter(item=OuterRef("pk"), status=ItemVersion.Status.DRAFT)
        retired = ItemVersion.objects.filter(item=OuterRef("pk"), status=ItemVersion.Status.RETIRED)
        if self.value() == "published":
            return queryset.filter(Exists(published))
        if self.value() == "draft":
            return queryset.filter(Exists(draft))
        if self.value() == "retired":
            return queryset.filter(~Exists(published), Exists(retired))
        return queryset


@admin.register(Item)
class ItemAdmin(TransferAdminMixin, admin.ModelAdmin):
    list_display = ["code", "current_name", "department", "current_number", "version_count", "case_count"]
    list_filter = [ItemStatusFilter, "department__level", "department"]
    search_fields = ["code", "versions__name"]
    list_select_related = ["department"]
    autocomplete_fields = ["department"]
    inlines = [VersionInline]
    actions = ["draft_from_current", "publish_draft"]

    def get_queryset(self, request):
        published = ItemVersion.objects.published().order_by("-number")
        queryset = (
            super().get_queryset(request)
            .annotate(version_total=Count("versions", distinct=True), case_total=Count("cases", distinct=True))
            .prefetch_related(Prefetch("versions", queryset=published, to_attr="published_versions"))
        )
        return _sees_cases(queryset, request)

    def get_readonly_fields(self, request, obj=None):
        # 同一事项、同一编码: once a version was in force, the code is what cases and guides cite.
        if obj and obj.versions.exclude(status=ItemVersion.Status.DRAFT).exists():
            return ["code"]
        return []

    def has_delete_permission(self, request, obj=None):
        if obj and obj.versions.exclude(status=ItemVersion.Status.DRAFT).exists():
            return False
        return super().has_delete_permission(request, obj)

    def _current(self, obj: Item) -> ItemVersion | None:
        versions = getattr(obj, "published_versions", None)
        return versions[0] if versions else None

    @admin.display(description="事项名称")
    def current_name(self, obj: Item) -> str:
        current = self._current(obj)
        return current.name if current else "（未发布）"

    @admin.display(description="现行版本")
    def current_number(self, obj: Item) -> str:
        current = self._current(obj)
        return f"第{current.number}版" if current else "—"

    @admin.display(description="版本数", ordering="version_total")
    def version_count(self, obj: Item) -> int:
        return obj.version_total

    @admin.display(description="办件数", ordering="case_total")
    def case_count(self, obj: Item) -> str:
        return _cases_link(obj, obj.case_total, item__id__exact=obj.pk)

    @admin.action(description="复制现行版本为新版本（草稿）", permissions=["change"])
    def draft_from_current(self, request, queryset):
        sources, failed = [], []
        for item in queryset:
            source = item.current_version() or item.versions.exclude(
                status=ItemVersion.Status.DRAFT).order_by("-number").first()
            if source is None:
                failed.append(f"事项“{item.code}”还没有发布过的版本，请直接修改其草稿。")
            else:
                sources.append(source)
        _report(request, [], failed)
        _draft_from(request, sources)

    @admin.action(description="发布草稿", permissions=["change"])
    def publish_draft(self, request, queryset):
        drafts, failed = [], []
        for item in queryset:
            draft = services.open_draft(item)
            if draft is None:
                failed.append(f"事项“{item.code}”没有待发布的草稿。")
            else:
                drafts.append(draft)
        _report(request, [], failed)
        _publish(request, drafts)


class MaterialInline(admin.TabularInline):
    model = MaterialSpec
    extra = 0
    fields = ["seq", "name", "required", "form", "copies", "deferrable", "template", "note", "licence_type_code"]


class FeeInline(admin.TabularInline):
    model = FeeStandard
    extra = 0
    fields = ["name", "standard", "kind", "amount", "unit", "unit_price", "tiers", "basis"]


class FlowStepInline(admin.TabularInline):
    model = FlowStep
    extra = 0
    fields = ["seq", "name", "role", "department", "limit", "limit_unit"]
    autocomplete_fields = ["department"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["queryset"] = db_field.related_model.objects.filter(code__in=services.STEP_ROLES)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ProcedureInline(admin.TabularInline):
    model = ItemProcedure
    extra = 0
    fields = ["kind", "limit_days"]
    verbose_name = verbose_name_plural = "允许的特别程序及时限"


class ItemVersionForm(forms.ModelForm):
    class Meta:
        model = ItemVersion
        fields = ["item", "name", "type", "audience", "publicity", "legal_basis", "conditions", "result_name",
                  "statutory_limit", "promised_limit", "extension_limit", "joint_handling", "deferral_days",
                  "deferral_rule", "free_of_charge", "fee_basis", "where", "office_hours", "how_to_apply",
                  "online_depth", "max_visits", "contact_phone"]

    def clean(self):
        cleaned = super().clean()
        item = cleaned.get("item")
        if self.instance.pk is None and item is not None:
            draft = services.open_draft(item)
            if draft is not None:
                raise forms.ValidationError(f"该事项已有草稿（第{draft.number}版），请修改该草稿，不要另建。")
        return cleaned


@admin.register(ItemVersion)
class ItemVersionAdmin(admin.ModelAdmin):
    form = ItemVersionForm
    list_display = ["item_code", "name", "number", "status", "department", "promised_limit", "statutory_limit",
                    "published_at", "case_count"]
    list_display_links = ["item_code", "name"]
    list_filter = ["status", "type", "joint_handling", "item__department"]
    search_fields = ["name", "item__code"]
    list_select_related = ["item__department"]
    autocomplete_fields = ["item"]
    inlines = [MaterialInline, FeeInline, FlowStepInline, ProcedureInline]
    actions = ["copy_as_draft", "publish", "retire"]

    class Media:
        css = {"all": ["catalog/version-form.css"]}
    fieldsets = [
        ("版本", {"fields": ["item", "number", "status", "published_at", "usage"]}),
        ("办事指南", {"fields": ["name", "type", "audience", "legal_basis", "conditions", "result_name"]}),
        ("公示", {"fields": ["publicity"]}),
        ("时限(工作日)", {"fields": ["statutory_limit", "promised_limit", "extension_limit", "joint_handling"]}),
        ("容缺受理", {"fields": ["deferral_days", "deferral_rule"],
                      "description": "申请材料中标为“允许容缺”的材料，受理时申请人书面承诺限期补交。"}),
        ("收费", {"fields": ["free_of_charge", "fee_basis"]}),
        ("办理方式", {"fields": ["where", "office_hours", "how_to_apply", "online_depth", "max_visits",
                             "contact_phone"]}),
    ]

    def get_queryset(self, request):
        return _sees_cases(super().get_queryset(request).annotate(case_total=Count("cases")), request)

    def get_readonly_fields(self, request, obj=None):
        fixed = ["number", "status", "published_at", "usage"]
        return [*fixed, "item"] if obj else fixed

    def has_change_permission(self, request, obj=None):
        # Without change permission on the version, Django shows its inlines read-only as well.
        if obj is not None and obj.status != ItemVersion.Status.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status != ItemVersion.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        try:
            if change:
                services.edit_draft(obj)
            else:
                services.add_draft(obj, actor=request.user)
        except services.CatalogError as error:
            # Only a race gets here (published between loading and saving the form).
            raise PermissionDenied(error.message) from error

    def save_formset(self, request, form, formset, change):
        try:
            services.ensure_draft(form.instance)
        except services.VersionLocked as error:
            raise PermissionDenied(error.message) from error
        super().save_formset(request, form, formset, change)

    @admin.display(description="事项编码", ordering="item__code")
    def item_code(self, obj: ItemVersion) -> str:
        return obj.item.code

    @admin.display(description="实施部门", ordering="item__department__name")
    def department(self, obj: ItemVersion) -> str:
        return str(obj.item.department)

    @admin.display(description="办件数", ordering="case_total")
    def case_count(self, obj: ItemVersion) -> str:
        return _cases_link(obj, obj.case_total, version__id__exact=obj.pk)

    @admin.display(description="使用情况")
    def usage(self, obj: ItemVersion) -> str:
        if obj.pk is None:
            return "新建版本保存为草稿，发布后方可收件。"
        total = obj.cases.count()
        versions = obj.item.versions.count()
        link = _cases_link(obj, total, version__id__exact=obj.pk)
        return format_html("本事项共{}个版本；按本版本受理的办件：{}", versions, link)

    @admin.action(description="复制为新版本（草稿）", permissions=["change"])
    def copy_as_draft(self, request, queryset):
        _draft_from(request, queryset.order_by("item__code", "number"))

    @admin.action(description="发布", permissions=["change"])
    def publish(self, request, queryset):
        _publish(request, queryset.order_by("item__code", "number"))

    @admin.action(description="停用(事项不再收件)", permissions=["change"])
    def retire(self, request, queryset):
        _retire(request, queryset.order_by("item__code", "number"))

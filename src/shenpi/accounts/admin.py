"""Staff accounts in the admin: department, window, roles and duty, with Django's password handling."""

from __future__ import annotations

from axes import admin as axes_admin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from shenpi import clock
from shenpi.security import separation

from .models import Absence, Role, StandIn, User

# Granting these is granting power over the admin itself: only a superuser may.
_ESCALATING_FIELDS = ["is_superuser", "groups", "user_permissions"]


class StaffPlacementMixin:
    """A window belongs to a department: staff sit at a window of their own department. No one holds
    two of the system, security and audit administrators' roles (三权分立, shenpi.security.separation)."""

    def clean(self):
        cleaned = super().clean()
        department, window = cleaned.get("department"), cleaned.get("window")
        if window is not None and window.department_id != getattr(department, "pk", None):
            self.add_error("window", f"窗口“{window}”属于{window.department}，与所属部门不一致。")
        if "roles" in cleaned:
            # is_superuser is read-only for anyone but a superuser: then the account's own value stands.
            superuser = cleaned.get("is_superuser", getattr(self.instance, "is_superuser", False))
            refused = separation.conflict([role.code for role in cleaned["roles"]], is_superuser=bool(superuser))
            if refused:
                self.add_error("roles", refused)
        return cleaned


class StaffChangeForm(StaffPlacementMixin, DjangoUserAdmin.form):
    pass


class StaffCreationForm(StaffPlacementMixin, DjangoUserAdmin.add_form):
    pass


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = StaffChangeForm
    add_form = StaffCreationForm
    list_display = ["username", "full_name", "department", "window", "role_names", "on_duty", "is_active",
                    "is_staff", "last_login"]
    list_filter = ["on_duty", "is_active", "is_staff", "is_superuser", "roles", "department"]
    search_fields = ["username", "full_name", "email", "department__name"]
    list_select_related = ["department", "window"]
    autocomplete_fields = ["department", "window"]
    ordering = ["department__sort", "department__code", "username"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("个人信息", {"fields": ["full_name", "email"]}),
        ("岗位", {"fields": ["department", "window", "roles", "on_duty"]}),
        ("权限", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"],
                "description": "“职员状态”允许登录管理后台；日常办件只需角色，不需勾选。"}),
        ("重要日期", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "full_name", "password1", "password2"]}),
        ("岗位", {"classes": ["wide"], "fields": ["department", "window", "roles", "on_duty"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("roles")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += _ESCALATING_FIELDS
        return fields

    def has_change_permission(self, request, obj=None):
        # Otherwise a password reset would hand a superuser's account to anyone who may edit staff.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "roles":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description="角色")
    def role_names(self, obj: User) -> str:
        return "、".join(role.name for role in obj.roles.all()) or "—"


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    """Roles are fixed by the lifecycle (who may do which action): listed, never edited here."""

    list_display = ["code", "name", "staff_count"]
    fields = ["code", "name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(staff_total=Count("user"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="人数", ordering="staff_total")
    def staff_count(self, obj: Role) -> int:
        return obj.staff_total


class _RoutingForm(forms.ModelForm):
    """The same checks as the workbench's AB角与离岗 page (shenpi.accounts.routing)."""

    def clean(self):
        cleaned = super().clean()
        principal, stand_in = cleaned.get("principal"), cleaned.get("stand_in")
        if principal is not None and stand_in is not None:
            if principal.pk == stand_in.pk:
                self.add_error("stand_in", "B角不能是A角本人。")
            elif principal.department_id != stand_in.department_id:
                self.add_error("stand_in", "AB角须为同一部门的同事。")
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", "结束日期不能早于开始日期。")
        return cleaned


@admin.register(StandIn)
class StandInAdmin(admin.ModelAdmin):
    form = _RoutingForm
    list_display = ["principal", "stand_in", "department", "recorded_by", "recorded_at"]
    list_filter = ["principal__department"]
    search_fields = ["principal__username", "principal__full_name", "stand_in__username", "stand_in__full_name"]
    autocomplete_fields = ["principal", "stand_in"]
    fields = ["principal", "stand_in"]
    list_select_related = ["principal__department", "stand_in", "recorded_by"]

    @admin.display(description="部门")
    def department(self, obj: StandIn):
        return obj.principal.department

    def save_model(self, request, obj, form, change):
        obj.recorded_by, obj.recorded_at = request.user, clock.now()
        super().save_model(request, obj, form, change)


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    form = _RoutingForm
    list_display = ["user", "starts_on", "ends_on", "reason", "recorded_by", "recorded_at"]
    list_filter = ["user__department"]
    search_fields = ["user__username", "user__full_name", "reason"]
    autocomplete_fields = ["user"]
    date_hierarchy = "starts_on"
    fields = ["user", "starts_on", "ends_on", "reason"]
    list_select_related = ["user", "recorded_by"]

    def save_model(self, request, obj, form, change):
        obj.recorded_by, obj.recorded_at = request.user, clock.now()
        super().save_model(request, obj, form, change)


# django-axes names two columns after its methods ("Expiration", "Status"): give them Chinese headers.
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    @admin.display(description="到期时间")
    def expiration(self, obj):
        return super().expiration(obj)

    @admin.display(description="状态")
    def status(self, obj):
        return super().status(obj)


# django-otp's own pages would show authenticator keys and recovery codes to anyone allowed to view
# them and let devices be added beside enrolment: second factors are managed only by their owner
# (二次验证设置) and the security administrator (工作人员二次验证, docs/two-factor.md).
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)

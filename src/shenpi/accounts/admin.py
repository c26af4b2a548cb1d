"""Staff accounts in the admin: department, window, roles and duty, with Django's password handling."""

from __future__ import annotations

from axes import admin as axes_admin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count

from .models import Role, User

# Granting these is granting power over the admin itself: only a superuser may.
_ESCALATING_FIELDS = ["is_superuser", "groups", "user_permissions"]


class StaffPlacementMixin:
    """A window belongs to a department: staff sit at a window of their own department."""

    def clean(self):
        cleaned = super().clean()
        department, window = cleaned.get("department"), cleaned.get("window")
        if window is not None and window.department_id != getattr(department, "pk", None):
            self.add_error("window", f"窗口“{window}”属于{window.department}，与所属部门不一致。")
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

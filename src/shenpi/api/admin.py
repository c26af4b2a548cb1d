"""API tokens in the admin: made through a form that shows the key once, listed, revoked.

A token is never edited: what it reaches is fixed when it is made; to change it, make another and
revoke this one.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from shenpi.accounts.models import User
from shenpi.catalog.models import Department, Item
from shenpi.errors import InvalidInput

from . import tokens
from .models import ApiToken


class TokenForm(forms.ModelForm):
    user = forms.ModelChoiceField(User.objects.filter(is_active=True, is_superuser=False).order_by("username"),
                                  label="持有人", help_text="超级用户的令牌会被接口拒绝，不能选择。")
    departments = forms.ModelMultipleChoiceField(Department.objects.order_by("code"), required=False,
                                                 label="部门范围", help_text="不选则为持有人本部门。")
    items = forms.ModelMultipleChoiceField(Item.objects.order_by("code"), required=False, label="事项范围",
                                           help_text="不选则为范围内部门的全部事项。")
    days = forms.IntegerField(label="有效天数", min_value=1, initial=settings.API_TOKEN_DAYS,
                              help_text=f"最长{settings.API_TOKEN_MAX_DAYS}天。")

    class Meta:
        model = ApiToken
        fields = ["user", "name", "can_act"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.made = tokens.create(
                cleaned["user"], name=cleaned["name"], departments=[d.code for d in cleaned["departments"]],
                items=[i.code for i in cleaned["items"]], act=cleaned["can_act"], days=cleaned["days"],
                created_by=self.request.user, request=self.request)
        except InvalidInput as error:
            raise ValidationError(error.message) from None
        return cleaned


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "can_act", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["can_act", "revoked_at"]
    search_fields = ["prefix", "name", "user__username"]
    list_select_related = ["user"]
    readonly_fields = ["prefix", "user", "name", "department_ids", "item_ids", "can_act", "created_at", "created_by",
                       "expires_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, **kwargs)
        return type("TokenForm", (TokenForm,), {"request": request})

    def get_fields(self, request, obj=None):
        return ["user", "name", "departments", "items", "can_act", "days"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return
        token, key = form.made  # made by tokens.create when the form was checked
        for field in ApiToken._meta.concrete_fields:
            setattr(obj, field.attname, getattr(token, field.attname))
        obj._state.adding = False
        messages.warning(request, f"令牌 {token.prefix} 已创建，密钥只显示这一次，请立即复制保存：{key}")

    def save_related(self, request, form, formsets, change):
        pass

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="撤销所选令牌（立即生效）", permissions=["change"])
    def revoke(self, request, queryset):
        count = sum(tokens.revoke(token, by=request.user, request=request)
                    for token in queryset.select_related("user").filter(revoked_at__isnull=True))
        self.message_user(request, f"已撤销{count}个令牌。", messages.SUCCESS)

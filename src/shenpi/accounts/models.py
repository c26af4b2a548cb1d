"""Staff users, their roles and department membership."""

import functools

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.Model):
    CLERK = "clerk"
    HANDLER = "handler"
    REVIEWER = "reviewer"
    APPROVER = "approver"
    LIAISON = "liaison"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    NAMES = {
        CLERK: "窗口人员",
        HANDLER: "承办人",
        REVIEWER: "审核人",
        APPROVER: "审批人(分管领导)",
        LIAISON: "部门联络员",
        SUPERVISOR: "监察员",
        ADMIN: "中心管理员",
    }
    # Roles that see every department's cases.
    CENTRE_WIDE = frozenset({SUPERVISOR, ADMIN})

    code = models.CharField("代码", max_length=20, primary_key=True)
    name = models.CharField("名称", max_length=30)

    class Meta:
        verbose_name = verbose_name_plural = "角色"

    def __str__(self):
        return self.name


class User(AbstractUser):
    full_name = models.CharField("姓名", max_length=50, blank=True)
    department = models.ForeignKey("catalog.Department", models.PROTECT, null=True, blank=True,
                                   related_name="staff", verbose_name="所属部门")
    window = models.ForeignKey("catalog.Window", models.SET_NULL, null=True, blank=True,
                               related_name="staff", verbose_name="所在窗口")
    roles = models.ManyToManyField(Role, blank=True, verbose_name="角色")
    on_duty = models.BooleanField("在岗", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "工作人员"

    def __str__(self):
        return self.full_name or self.username

    def role_codes(self) -> frozenset[str]:
        if not hasattr(self, "_role_codes"):
            self._role_codes = frozenset(code for (code,) in roles_of().rows(user=self.pk)) \
                if self.pk is not None else frozenset()
        return self._role_codes

    def has_role(self, *codes: str) -> bool:
        return bool(self.role_codes() & set(codes))

    @property
    def sees_all_departments(self) -> bool:
        return self.is_superuser or bool(self.role_codes() & Role.CENTRE_WIDE)


@functools.cache
def roles_of():
    """A user's role codes from the link table alone, compiled once: every action asks for them."""
    from shenpi.prepared import Param, Prepared

    return Prepared(User.roles.through.objects.filter(user_id=Param("user", models.BigIntegerField()))
                    .values_list("role_id"))

"""Who may call the API: staff of the centre and the departments' systems, never an applicant.

An applicant is a Django user too (without department or roles, docs/online.md): signed in on the
public site, their session cookie would otherwise pass IsAuthenticated here. They are refused with
403 before anything else is looked at (query parameters, bodies, case numbers).
"""

from __future__ import annotations

from rest_framework.permissions import IsAuthenticated


def is_staff(user) -> bool:
    """A member of a department, a holder of a role, or a superuser. (role_codes is cached on the user
    that the token authentication loads, so this asks the database nothing more.)"""
    return bool(user.is_superuser or user.department_id is not None or user.role_codes())


class IsStaff(IsAuthenticated):
    message = "本接口供政务服务中心工作人员和部门业务系统使用，申请人账号无权调用。"

    def has_permission(self, request, view):
        return super().has_permission(request, view) and is_staff(request.user)

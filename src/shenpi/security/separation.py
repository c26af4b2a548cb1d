"""三权分立 (GB/T 22239-2019 level 3): the system administrator, the security administrator and the
audit administrator are three different people, and only an audit administrator reads the security
audit log. Role codes are strings here: this app sits below shenpi.accounts (duck typing on users).
"""

from __future__ import annotations

SYSTEM_ADMIN = "admin"
SECURITY_ADMIN = "security_admin"
AUDIT_ADMIN = "audit_admin"
SUPERVISOR = "supervisor"
# The three powers; a superuser holds the system administrator's (and every other) power.
SEPARATED = {SYSTEM_ADMIN: "中心管理员（系统管理员）", SECURITY_ADMIN: "安全管理员", AUDIT_ADMIN: "审计管理员"}
# Who may not read the log even holding audit_admin: those whose acts it records most.
NOT_WITH_AUDIT = (SYSTEM_ADMIN, SECURITY_ADMIN, SUPERVISOR)


def conflict(role_codes, *, is_superuser: bool = False) -> str | None:
    """Why one person may not hold these roles together (a Chinese sentence), or None."""
    held = [code for code in SEPARATED if code in set(role_codes)]
    if is_superuser and SYSTEM_ADMIN not in held and held:
        return (f"超级用户已拥有系统管理员的全部权限，不能再担任{SEPARATED[held[0]]}："
                "系统管理员、安全管理员和审计管理员须由不同的人担任（三权分立）。")
    if len(held) > 1:
        names = "和".join(SEPARATED[code] for code in held)
        return f"同一人不能同时担任{names}：系统管理员、安全管理员和审计管理员须由不同的人担任（三权分立）。"
    return None


def reads_security_log(user) -> bool:
    """An audit administrator who is not also a superuser, a system or security administrator, or a supervisor."""
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "is_superuser", False):
        return False
    return user.has_role(AUDIT_ADMIN) and not user.has_role(*NOT_WITH_AUDIT)


def refusal(user) -> str:
    """Why the security audit log is refused to this signed-in user."""
    if getattr(user, "is_superuser", False):
        return "安全审计记录只对审计管理员开放：超级用户不能查阅（三权分立）。"
    if not user.has_role(AUDIT_ADMIN):
        return "安全审计记录只对审计管理员开放。"
    return ("您同时担任审计管理员和中心管理员、安全管理员或监察员，不能查阅安全审计记录（三权分立），"
            "请联系中心调整角色。")

"""The names of security events and how the audit page and its export call them.

Features may record other names (docs/security-audit.md lists them); an unknown name shows as itself.
"""

NAMES = {
    "login.succeeded": "登录成功",
    "login.failed": "登录失败",
    "login.locked_out": "账号锁定",
    "logout": "退出登录",
    "permission.denied": "拒绝访问",
    "personal_data.viewed": "查看未脱敏个人信息",
    "material.viewed": "查看申请材料",
    "export.performance_ranking": "导出绩效考核排名",
    "export.key_projects": "导出重点项目专报",
    "export.security_log": "导出安全审计记录",
    "export.notice_pdf": "打印文书（PDF）",
    "export.joint_review_pdf": "打印联审意见书（PDF）",
    "admin.added": "管理后台新增",
    "admin.changed": "管理后台修改",
    "admin.deleted": "管理后台删除",
    "staff.stand_in_paired": "设置AB角",
    "staff.stand_in_unpaired": "取消AB角",
    "staff.absence_recorded": "登记离岗",
    "staff.absence_ended": "结束离岗",
    "audit.viewed": "查阅安全审计记录",
    "audit.purged": "按保存期限删除安全审计记录",
    "identity.verified": "实名核验通过",
    "identity.verify_failed": "实名核验未通过",
    "identity.reclaimed": "找回被占用的证件号码",
    "identity.unified_sign_in": "统一身份认证登录",
    "identity.window_verified": "窗口现场核验身份",
    "case.claimed": "认领办件",
    "case.claim_failed": "认领办件失败",
    "webhook.created": "部门系统订阅事件",
    "webhook.changed": "修改事件订阅",
    "webhook.secret_rotated": "更换订阅签名密钥",
    "webhook.replayed": "申请重发订阅事件",
}
PREFIXES = {
    "otp.": "动态口令",
    "token.": "访问令牌",
    "login.": "登录",
    "identity.": "身份认证",
    "export.": "导出",
    "admin.": "管理后台",
}


def label(action: str) -> str:
    if action in NAMES:
        return NAMES[action]
    for prefix, name in PREFIXES.items():
        if action.startswith(prefix):
            return f"{name}：{action.removeprefix(prefix)}"
    return action

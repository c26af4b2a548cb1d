"""shenpi demo: load the demo city (departments, items, staff, a year of cases) once.

    shenpi demo                 create what is missing (3000 cases by default); again: changes nothing
    shenpi demo --cases 200     a smaller year
    shenpi demo --accounts      the demo logins (staff, and applicants by ID number / USCC) with the password
    shenpi demo --key-accounts  only the logins a first look needs (`shenpi demo` ends with them too)
    shenpi demo --reset-passwords   a new shared password for every demo login (if var/ was lost)
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from shenpi.accounts import second_factor
from shenpi.accounts.models import Role, User
from shenpi.demo import generator, people, portal, projects, results
from shenpi.demo import licences as demo_licences

# The logins a first look needs: one person per role of the walk-through (README), the centre's
# administrator, the supervisor, the security and the audit administrator (安全审计, 三权分立);
# the applicants follow. The other staff: --accounts.
KEY_ACCOUNTS = ("admin", "supervisor", *people.PERSONAS, "anquan_admin", "shenji_admin")


class Command(BaseCommand):
    help = "生成演示数据：示范市政务服务中心的部门、事项、工作人员和近一年的办件（只生成一次）。"

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=generator.DEFAULT_CASES,
                            help=f"生成的办件数（默认 {generator.DEFAULT_CASES}）。")
        parser.add_argument("--seed", type=int, default=generator.DEFAULT_SEED,
                            help="随机数种子：同一种子、同一天生成的数据相同。")
        parser.add_argument("--password", help="首次生成时为全部演示账号设置的密码（默认随机生成并保存在 var/ 下）。")
        parser.add_argument("--accounts", action="store_true", help="列出演示账号及密码。")
        parser.add_argument("--key-accounts", action="store_true",
                            help="只列出体验所需的主要演示账号（各角色一个、管理员、监察员和申请人）。")
        parser.add_argument("--reset-passwords", action="store_true",
                            help="为全部演示账号重新生成共同密码（密码文件丢失时使用）。")

    def handle(self, *args, **options):
        if options["accounts"] or options["key_accounts"]:
            self.print_accounts(key_only=options["key_accounts"])
            return
        if options["password"] is not None:
            try:
                validate_password(options["password"])
            except ValidationError as error:
                raise CommandError("".join(error.messages)) from None
        if options["reset_passwords"]:
            password, count = generator.reset_passwords(options["password"])
            self.stdout.write(f"已为 {count} 个演示账号设置新密码：{password}")
            return
        if options["cases"] < 0:
            raise CommandError("--cases 不能为负数。")
        began = time.perf_counter()
        result = generator.generate(cases=options["cases"], seed=options["seed"], password=options["password"])
        elapsed = time.perf_counter() - began
        if result.changed:
            made = "、".join(f"{label} {result.created[key]}" for key, label in (
                ("departments", "部门"), ("windows", "窗口"), ("items", "事项"), ("users", "账号"),
                ("stand_ins", "AB角"), ("absences", "离岗登记"), ("cases", "办件"),
                ("applicants", "申请人账号"), ("applications", "网上申报"), ("slots", "预约时段"), ("bookings", "预约"),
                ("questions", "咨询"), ("complaints", "投诉"), ("ratings", "评价"), ("answers", "整改说明"),
                ("manual_scores", "人工评分"), ("projects", "项目"), ("stages", "并联审批阶段和一件事"))
                if result.created[key])
            self.stdout.write(self.style.SUCCESS(f"已生成演示数据：{made}（用时 {elapsed:.1f} 秒）。"))
            if "cases" in result.seconds:
                self.stdout.write(f"  其中办件 {result.seconds['cases']:.1f} 秒，共执行 "
                                  f"{sum(result.actions.values())} 次受理和办理操作。")
            if "projects" in result.seconds:
                self.stdout.write(f"  其中项目并联审批和企业开办 {result.seconds['projects']:.1f} 秒。")
            if "portal" in result.seconds:
                self.stdout.write(f"  其中网上申报、预约、咨询投诉和评价 {result.seconds['portal']:.1f} 秒。")
            if "licences" in result.seconds:
                self.stdout.write(f"  其中制证 {result.seconds['licences']:.1f} 秒："
                                  f"证照 {result.created['licences']} 本"
                                  f"（近{demo_licences.PDF_DAYS}天的 {result.created['licence_pdfs']} 本已生成签章PDF，"
                                  f"其余在首次下载时生成），签章密钥 {result.created['signing_keys']} 套。")
        else:
            self.stdout.write("演示数据已存在，没有任何更改。")
        for failure in result.failures:
            self.stderr.write(f"未能执行：{failure}")
        self.print_summary()
        # The logins to start with, and their password (the same for all): what `make run` shows.
        self.stdout.write("")
        self.print_accounts(key_only=True)

    def print_summary(self):
        s = generator.summary()
        out = self.stdout.write
        out("部门：" + "，".join(f"{label} {n}" for label, n in s.departments.items()))
        out(f"已发布事项：{s.items}")
        out("演示账号：" + "，".join(f"{label} {n}" for label, n in s.users.items()))
        out("办件状态：" + "，".join(f"{label} {n}" for label, n in s.states.items()))
        out(f"今日：即将到期 {s.due_soon}，已超期 {s.overdue}（其中超期3个工作日以上 {s.long_overdue}）")
        if s.todo:
            out("演示账号待办：" + "，".join(f"{name} {n}" for name, n in s.todo.items()))
        out(projects.summary())
        for line in results.summary():
            out(line)
        out("阶段申报和一件事由综合窗口账号 zhongxin_clerk 受理（工作台“项目审批”）；"
            "重点项目督查见监察员或管理员的工作台。")
        for label, text in s.portal.items():
            out(f"{label}：{text}")

    def print_accounts(self, key_only: bool = False):
        everyone = generator.demo_usernames()
        usernames = [name for name in KEY_ACCOUNTS if name in everyone] if key_only else everyone
        users = {u.username: u for u in User.objects.filter(username__in=usernames)
                 .select_related("department", "window").prefetch_related("roles")}
        if not users:
            raise CommandError("尚未生成演示数据，请先运行 shenpi demo。")
        password = generator.read_password() or "（密码文件缺失：请运行 shenpi demo --reset-passwords）"
        rows = [("用户名", "角色", "部门", "窗口", "姓名", "密码")]
        for username in usernames:
            user = users.get(username)
            if user is None:
                continue
            roles = "、".join(Role.NAMES.get(r.code, r.code) for r in user.roles.all())
            if user.is_superuser:
                roles += "(超级用户)"
            department = user.department.name if user.department else ""
            window = user.window.number if user.window else ""
            rows.append((username, roles, department, window, user.full_name, password))
        # Applicants sign in on the public site with their ID number or unified social credit code.
        for data, applicant in portal.find_demo_applicants():
            kind = "个人" if applicant.is_person else "法人"
            rows.append((data.id_number, f"申请人({kind})", "", "", applicant.name, password))
        if key_only:
            # One password opens every demo login: said once under the table instead of on every row.
            rows = [row[:-1] for row in rows]
        widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write("  ".join(_pad(cell, width) for cell, width in zip(row, widths, strict=True)).rstrip())
        # Administrators and supervisors must pass a second factor (docs/two-factor.md): at their first
        # sign-in the demo asks them to enrol an authenticator app, as a real centre would.
        if key_only:
            enrol = "、".join(name for name in usernames if name in users and second_factor.is_required(users[name]))
        else:
            enrol = "、".join(Role.NAMES[code] for code in Role.NAMES if code in settings.SECOND_FACTOR_ROLES)
        enrol_note = (f"{enrol}首次登录时，输入密码后须先用手机验证器扫码设置二次验证（等保三级要求），再进入系统。"
                      if enrol else "")
        if key_only:
            self.stdout.write(f"以上账号的密码均为：{password}（工作人员账号共 {len(everyone)} 个，全部列出："
                              f"shenpi demo --accounts）。{enrol_note}")
        elif enrol_note:
            self.stdout.write(enrol_note)


def _width(text: str) -> int:
    """Columns a terminal gives the text: CJK characters take two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))

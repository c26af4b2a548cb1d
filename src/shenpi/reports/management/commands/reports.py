"""shenpi reports monthly --month YYYY-MM [--department CODE] [--send] — the monthly department reports.

    shenpi reports monthly --month 2026-10                  generate (or regenerate) October's report of
                                                             every department with anything in October
    shenpi reports monthly --month 2026-10 --department D1  one department's (whatever its month held)
    … --send                                                 and e-mail them to the liaisons and leaders
"""

from __future__ import annotations

from shenpi.commandline import OneLineCommand, OneLineParser, Refused


class Command(OneLineCommand):
    help = "统计报表：monthly 生成部门月度统计报告（PDF 与 Excel），可同时发送。"

    def add_arguments(self, parser):
        # The actions' own argument mistakes are one line too.
        actions = parser.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
        monthly = actions.add_parser("monthly", help="生成指定月份的部门月度统计报告")
        monthly.add_argument("--month", required=True, help="月份 YYYY-MM（须已结束）")
        monthly.add_argument("--department", help="部门编码（默认：当月有办件或告警的全部部门）")
        monthly.add_argument("--send", action="store_true", help="生成后发送给部门联络员和中心领导")

    def _monthly(self, options):
        from shenpi.catalog.models import Department
        from shenpi.reports import monthly

        try:
            month = monthly.parse_month(options["month"])
        except monthly.MonthlyError as error:
            raise Refused(str(error)) from None
        departments = None
        if options["department"]:
            code = options["department"].strip()
            department = Department.objects.filter(code=code).first()
            if department is None:
                raise Refused(f"部门编码“{code}”不存在。")
            departments = [department]
        outcome = monthly.generate(month, departments)
        label = f"{month.year}年{month.month}月"
        self.stdout.write(f"{label}月度统计报告：生成 {len(outcome.generated)} 份。")
        if options["send"]:
            sent = monthly.send(outcome.generated)
            self.stdout.write(f"已发送 {sent} 份。")
        if outcome.failed:
            names = "、".join(f"{d.name}（{error}）" for d, error in outcome.failed)
            raise Refused(f"{len(outcome.failed)} 个部门的报告生成失败：{names}")

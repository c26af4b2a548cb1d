"""`shenpi assess --month 2026-10 [--level department|window|person] [--json]`: the ranking on the console.

The ranking goes to stdout (a table, or JSON with every month's breakdown and indicators); the
time taken goes to stderr; bad input ends with one Chinese line on stderr and a non-zero status.
"""

from __future__ import annotations

import json
import sys
from dataclasses import fields

from django.core.management.base import BaseCommand

from shenpi import clock
from shenpi.commandline import OneLineParser
from shenpi.performance import services
from shenpi.performance.indicators import LEVELS
from shenpi.performance.measures import Indicators
from shenpi.performance.periods import Period
from shenpi.performance.present import INDICATOR_COLUMNS, number
from shenpi.performance.scoring import MonthScore, NoScheme
from shenpi.performance.services import AssessmentError

INPUT_ERROR, USAGE_ERROR = 1, 2




class Command(BaseCommand):
    help = "绩效考核排名：按月（或季度、半年、年度）计算各部门、窗口或个人的得分和名次。"
    requires_system_checks: list = []

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # Django builds the parser itself; only its error() differs, so the class is swapped.
        parser.__class__ = OneLineParser
        return parser

    def add_arguments(self, parser):
        when = parser.add_mutually_exclusive_group()
        when.add_argument("--month", metavar="YYYY-MM", help="考核月份，例如 2026-10（默认上月）")
        when.add_argument("--period", metavar="PERIOD", help="考核期间：2026-10、2026-Q4、2026-H2 或 2026")
        parser.add_argument("--level", choices=list(LEVELS), default="department", help="考核对象（默认 department）")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出排名、计分明细和指标")

    def handle(self, *args, month=None, period=None, level="department", **options):
        try:
            chosen = self._period(month, period)
            ranking = services.assess(chosen, level)
        except (AssessmentError, NoScheme) as error:
            self.stderr.write(getattr(error, "message", None) or str(error))
            sys.exit(INPUT_ERROR)
        if options["json"]:
            self.stdout.write(_dumps(ranking))
        else:
            self._table(ranking)
        self.stderr.write(f"共{len(ranking.rows)}个{LEVELS[level]}，{len(ranking.months)}个月，"
                          f"用时{ranking.seconds:.3f}秒。")

    def _period(self, month: str | None, period: str | None) -> Period:
        if month is not None:
            chosen = services.parse_period(month)
            if chosen.kind != "month":
                raise AssessmentError(f"--month 应为月份，例如 2026-10，而不是“{month}”。")
            return chosen
        if period is not None:
            return services.parse_period(period)
        return Period.month_of(clock.today()).previous()

    def _table(self, ranking: services.Ranking) -> None:
        self.stdout.write(f"{ranking.period.label}{LEVELS[ranking.level]}绩效考核排名（{ranking.scheme.scheme.name}）")
        if ranking.single_month:
            self.stdout.write("名次\t得分\t扣分\t加分\t名称\t未录入项")
            for row in ranking.rows:
                m = row.months[0]
                self.stdout.write(f"{row.rank}\t{float(m.score):.2f}\t{float(m.deducted):.2f}\t{float(m.added):.2f}\t"
                                  f"{row.subject.name}\t{'、'.join(m.not_entered) or '—'}")
        else:
            self.stdout.write("名次\t平均得分\t计入月数\t名称")
            for row in ranking.rows:
                self.stdout.write(f"{row.rank}\t{float(row.score):.2f}\t{len(row.months)}\t{row.subject.name}")


def _dumps(ranking: services.Ranking) -> str:
    return json.dumps({
        "period": ranking.period.code, "label": ranking.period.label, "level": ranking.level,
        "scheme": ranking.scheme.scheme.name, "months": [m.code for m in ranking.months],
        "seconds": round(ranking.seconds, 4),
        "rows": [{
            "rank": row.rank, "id": row.subject.key, "name": row.subject.name,
            "department": row.subject.department_name, "score": round(float(row.score), 2),
            "months": [_month(m) for m in row.months],
        } for row in ranking.rows],
    }, ensure_ascii=False, indent=2)


def _month(month: MonthScore) -> dict:
    return {
        "month": month.month.code, "score": round(float(month.score), 2),
        "areas": {a.area.code: {"name": a.area.name, "weight": float(a.area.weight), "source": a.source,
                                "value": number(a.value, "points"), "points": number(a.points, "points")}
                  for a in month.areas},
        "weighted": round(float(month.weighted), 2),
        "deductions": [{"name": d.rule.name, "value": number(d.value, "points"), "points": float(d.points)}
                       for d in month.deductions],
        "bonuses": [{"name": b.rule.name, "value": number(b.value, "points"), "points": float(b.points)}
                    for b in month.bonuses],
        "not_entered": month.not_entered,
        "indicators": _indicators(month.indicators),
    }


def _indicators(ind: Indicators) -> dict:
    counts = {f.name: getattr(ind, f.name) for f in fields(ind)}
    rates = {c.code: number(c.get(ind), c.kind) for c in INDICATOR_COLUMNS if c.kind != "count"}
    return {**counts, **rates}

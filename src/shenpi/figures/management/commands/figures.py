"""`shenpi figures keep-up|rebuild|status`: the statistics aggregates from the console."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from shenpi.figures import upkeep
from shenpi.figures.models import CaseDay, CaseMonth, Upkeep


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期“{text}”格式不对，应为 YYYY-MM-DD。") from None


class Command(BaseCommand):
    help = "统计汇总：keep-up 补算变更的日期，rebuild 全量重建（修复），status 查看数据截至时间。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("keep-up", help="重算上次以来有变更的日期")
        rebuild = sub.add_parser("rebuild", help="按办件全量重算汇总（可限定日期范围）")
        rebuild.add_argument("--from", dest="first", type=_date, help="起始日期 YYYY-MM-DD（默认最早办件）")
        rebuild.add_argument("--to", dest="last", type=_date, help="截止日期 YYYY-MM-DD（默认今天）")
        sub.add_parser("status", help="各类汇总的数据截至时间与行数")

    def handle(self, *args, action, **options):
        if action == "keep-up":
            result = upkeep.keep_up()
            self.stdout.write(f"重算 {result.days} 天，数据截至 {result.as_of:%Y-%m-%d %H:%M:%S}")
        elif action == "rebuild":
            first, last = options["first"], options["last"]
            if first and last and first > last:
                raise CommandError("起始日期晚于截止日期。")
            result = upkeep.rebuild(first, last)
            self.stdout.write(f"已重建 {result.days} 天的汇总，数据截至 {result.as_of:%Y-%m-%d %H:%M:%S}")
        else:
            for row in Upkeep.objects.order_by("family"):
                as_of = f"{row.as_of:%Y-%m-%d %H:%M:%S}" if row.as_of else "尚未生成"
                self.stdout.write(f"{row.family}: 数据截至 {as_of}")
            self.stdout.write(f"日汇总 {CaseDay.objects.count()} 行，月汇总 {CaseMonth.objects.count()} 行")

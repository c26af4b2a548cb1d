"""`shenpi figures keep-up|rebuild|status`: the statistics aggregates from the console."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from shenpi.commandline import OneLineCommand, Refused
from shenpi.figures import upkeep
from shenpi.figures.models import CaseDay, CaseMonth, Upkeep


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Refused(f"日期“{text}”格式不对，应为 YYYY-MM-DD。") from None


def _local(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}"


class Command(OneLineCommand):
    help = "统计汇总：keep-up 补算变更，rebuild 全量重建（修复），status 查看数据截至时间。"

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("keep_up", aliases=["keep-up"], help="补算上次以来的变更")
        rebuild = actions.add_parser("rebuild", help="按源数据全量重算汇总（可限定日期范围）")
        rebuild.add_argument("--from", dest="first", help="起始日期 YYYY-MM-DD（默认最早的数据）")
        rebuild.add_argument("--to", dest="last", help="截止日期 YYYY-MM-DD（默认今天）")
        actions.add_parser("status", help="各类汇总的数据截至时间与行数")

    def handle(self, *args, action, **options):
        super().handle(*args, action=action.replace("-", "_"), **options)

    def _keep_up(self, options):
        result = upkeep.keep_up()
        self.stdout.write(f"重算 {result.days} 天，数据截至 {_local(result.as_of)}")

    def _rebuild(self, options):
        first, last = _date(options["first"]), _date(options["last"])
        if first and last and first > last:
            raise Refused("起始日期晚于截止日期。")
        result = upkeep.rebuild(first, last)
        self.stdout.write(f"已重建 {result.days} 天的汇总，数据截至 {_local(result.as_of)}")

    def _status(self, options):
        for row in Upkeep.objects.order_by("family"):
            self.stdout.write(f"{row.family}: 数据截至 {_local(row.as_of) if row.as_of else '尚未生成'}")
        self.stdout.write(f"日汇总 {CaseDay.objects.count()} 行，月汇总 {CaseMonth.objects.count()} 行")

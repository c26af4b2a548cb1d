"""`shenpi appointments …`: publish a window's appointment slots from the console.

    shenpi appointments publish --window W01 --from 2026-09-28 --to 2026-10-16 --every 30 --capacity 2 [--item CODE]

Working days only (the calendar decides: 国庆 and weekends get no slots, 调休 make-up days do),
within office hours (SHENPI_OFFICE_OPENS_AT … SHENPI_OFFICE_CLOSES_AT). Exit status 0 on success,
1 for input the command refuses, 2 for a usage error; the reason is one Chinese line on stderr.
"""

from __future__ import annotations

import datetime as dt

from shenpi.appointments import services
from shenpi.catalog.models import Item, Window
from shenpi.commandline import USAGE_ERROR, OneLineCommand, OneLineParser, Refused
from shenpi.errors import ServiceError


def _date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise Refused(f"{what}“{text}”不是有效日期，应为 YYYY-MM-DD，例如 2026-09-28。", USAGE_ERROR) from None


class Command(OneLineCommand):
    help = "网上预约：为窗口发布预约时段（放号）。"

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{publish}",
                                        parser_class=OneLineParser)
        publish = actions.add_parser("publish", help="在工作日的办公时间内按固定间隔发布预约时段")
        publish.add_argument("--window", required=True, help="窗口号")
        publish.add_argument("--from", dest="first", required=True, help="开始日期 YYYY-MM-DD")
        publish.add_argument("--to", dest="last", required=True, help="结束日期 YYYY-MM-DD（含）")
        publish.add_argument("--every", type=int, default=30, help="每个时段的分钟数（默认30）")
        publish.add_argument("--capacity", type=int, default=2, help="每个时段可预约人数（默认2）")
        publish.add_argument("--item", default="", help="事项编码；不填为窗口所属部门的任一事项")




    def _publish(self, options):
        window = Window.objects.select_related("department").filter(number=options["window"].strip()).first()
        if window is None:
            raise Refused(f"没有窗口号为“{options['window']}”的窗口。")
        item = None
        if options["item"].strip():
            item = Item.objects.filter(code=options["item"].strip()).first()
            if item is None:
                raise Refused(f"没有编码为“{options['item']}”的事项。")
        first, last = _date(options["first"], "开始日期"), _date(options["last"], "结束日期")
        try:
            result = services.publish(window=window, item=item, first=first, last=last, every=options["every"],
                                      capacity=options["capacity"])
        except ServiceError as error:
            raise Refused(error.message) from error
        self.stdout.write(f"{window}：新发布 {result.created} 个时段，已存在 {result.existing} 个，"
                          f"办公日 {len(result.service_days)} 天，跳过不办公的日子 {len(result.skipped_days)} 天")

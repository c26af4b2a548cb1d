"""shenpi payments query | rebuild-summary — online payments' and the month summary's maintenance.

    shenpi payments query [--after MINUTES]      ask the gateway now about orders waiting that long (default:
                                                  SHENPI_PAYMENT_QUERY_AFTER_MINUTES); what beat does every minute
    shenpi payments rebuild-summary FIRST LAST   recompute the month summary's day totals of these days
                                                  (YYYY-MM-DD) from the payments, after a bulk load or a repair
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from shenpi.commandline import OneLineCommand, Refused


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Refused(f"日期格式应为 YYYY-MM-DD：{text}") from None


class Command(OneLineCommand):
    help = "网上缴费：query 查询未收到通知的支付订单；rebuild-summary 重算月汇总的日合计。"

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        query = actions.add_parser("query", help="查询等待超过指定分钟数的支付订单并补记已支付的")
        query.add_argument("--after", type=int, default=None, help="分钟（默认 SHENPI_PAYMENT_QUERY_AFTER_MINUTES）")
        rebuild = actions.add_parser("rebuild_summary", aliases=["rebuild-summary"], help="按缴费记录重算日合计")
        rebuild.add_argument("first")
        rebuild.add_argument("last")

    def handle(self, *args, action, **options):
        super().handle(*args, action=action.replace("-", "_"), **options)

    def _query(self, options):
        from shenpi.fees.online import query_waiting

        minutes = settings.PAYMENT_QUERY_AFTER_MINUTES if options["after"] is None else options["after"]
        result = query_waiting(dt.timedelta(minutes=minutes))
        self.stdout.write(f"查询支付订单 {result['queried']} 笔，补记已支付 {result['paid']} 笔。")

    def _rebuild_summary(self, options):
        from shenpi.fees.summary import rebuild

        first, last = _date(options["first"]), _date(options["last"])
        if last < first:
            raise Refused("截止日期不能早于起始日期。")
        rows = rebuild(first, last)
        self.stdout.write(f"已重算 {first}至{last} 的日合计：{rows} 行。")

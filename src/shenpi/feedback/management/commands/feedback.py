"""`shenpi feedback default-ratings`: rate 基本满意 every completed case left unrated too long.

Too long: SHENPI_RATING_DEFAULT_DAYS days after completion. Run daily from cron or Celery beat; with the
default 0 it does nothing.
Exit status 0, or 1 with one Chinese line on stderr.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shenpi.feedback import services


class Command(BaseCommand):
    help = "咨询、投诉与好差评：default-ratings 为超期未评价的办结办件默认“基本满意”。"

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{default-ratings}")
        default = actions.add_parser("default-ratings", help="超期未评价的办结办件默认“基本满意”")
        default.add_argument("--today", default="", help="按此日期计算（YYYY-MM-DD，默认今天）")

    def handle(self, *args, action, today="", **options):
        day = None
        if today:
            try:
                day = dt.date.fromisoformat(today)
            except ValueError:
                raise CommandError(f"日期格式应为YYYY-MM-DD：{today}") from None
        if settings.RATING_DEFAULT_DAYS <= 0:
            self.stdout.write("默认评价未启用（SHENPI_RATING_DEFAULT_DAYS=0），未作任何评价。")
            return
        count = services.default_ratings(day)
        self.stdout.write(f"已为{count}件超过{settings.RATING_DEFAULT_DAYS}天未评价的办结办件默认“基本满意”。")

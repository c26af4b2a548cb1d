"""Days and months of fees as Asia/Shanghai calendar days, as half-open ranges of aware moments."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from shenpi.clock import day_start, days_range  # noqa: F401 - the fees' modules import them from here
from shenpi.clock import local_date as local_day  # noqa: F401


def month_days(year: int, month: int) -> tuple[dt.date, dt.date]:
    first = dt.date(year, month, 1)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def local_time(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")

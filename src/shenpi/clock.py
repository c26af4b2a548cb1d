"""The one clock every service reads.

Tests and the demo generator move it to play out a year; production leaves it alone.
"""

import contextlib
import datetime as dt

from django.utils import timezone

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    return _frozen if _frozen is not None else timezone.now()


def today() -> dt.date:
    return timezone.localdate(now())


def set_now(moment: dt.datetime | None) -> None:
    """Freeze the clock at an aware moment (None lets it run again)."""
    global _frozen
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    _frozen = moment


@contextlib.contextmanager
def frozen(moment: dt.datetime):
    previous = _frozen
    set_now(moment)
    try:
        yield
    finally:
        set_now(previous)


def local_date(moment: dt.datetime) -> dt.date:
    """The local (Asia/Shanghai) day of an aware moment: never `moment.date()`, which is the UTC day."""
    return timezone.localdate(moment)


def day_start(day: dt.date) -> dt.datetime:
    """00:00 local time of a day, aware."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def days_range(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start of `first`, start of the day after `last`): the local days first..last as moments."""
    return day_start(first), day_start(last + dt.timedelta(days=1))

"""The hall's wall screen (大屏): today's figures of the centre, refreshed live, nothing personal on it.

The page (`page`) is a frame; a static script polls `data` (JSON) every SHENPI_WALL_REFRESH_SECONDS
and fills it. What the screen shows is counted here, from the same definitions as the reports:

- today's cases received and completed and the on-time rate of today's completions
  (shenpi.figures.counters / definitions), read live from the indexed time columns of today: a day
  holds a few thousand cases whatever the size of the table, so the screen never waits for the
  aggregates' upkeep;
- the windows open today (their hours: shenpi.catalog.hours), serving now, staffed (a member of staff
  of the window on duty who signed in today), and the queue of each window: cases received today
  still waiting to be accepted, and today's appointments not yet arrived;
- the open supervision alerts by level, this month's satisfaction rate (shenpi.feedback.services),
  the month's ranking of departments (shenpi.performance.services.assess) and the key projects
  (shenpi.joint.board) — these are slower and kept in the cache (`_cached`).

No applicant, staff member or phone number ever reaches the screen: only departments, windows,
projects and counts. Access: no login from SHENPI_WALL_ADDRESSES, signed-in staff otherwise.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import time
from collections.abc import Callable
from fractions import Fraction

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from shenpi import clock
from shenpi.accounts.access import forbidden
from shenpi.accounts.models import User
from shenpi.appointments.models import Booking
from shenpi.cases.models import Case, State
from shenpi.catalog.hours import HoursBook
from shenpi.catalog.models import Window
from shenpi.feedback.services import satisfaction as feedback_satisfaction
from shenpi.figures import upkeep
from shenpi.figures.counters import HOURS
from shenpi.figures.definitions import DERIVED
from shenpi.joint.board import rows_for
from shenpi.joint.models import Project, Stage, StageTemplate
from shenpi.performance.periods import Period
from shenpi.performance.services import assess
from shenpi.supervision.models import Alert, Level
from shenpi.web import client_address
from shenpi.workdays.services import get_calendar

QUEUE_ROWS = 10      # windows listed with their queue (the longest first)
RANKING_ROWS = 10    # departments of the month's ranking
KEY_PROJECTS = 5     # key projects shown
WEEKDAYS = "一二三四五六日"


# -- who may see it ------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=8)
def display_networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """SHENPI_WALL_ADDRESSES as networks (an address alone is a /32 or /128)."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def from_display(request) -> bool:
    """Whether the request comes from a display's address (the client as shenpi.web reads it)."""
    networks = display_networks(tuple(settings.WALL_ADDRESSES))
    address = client_address(request)
    if not networks or not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in networks)


def wall_access(json: bool = False) -> Callable:
    """A display's address needs no login; anyone else must be signed-in staff. The data endpoint
    answers 403 in JSON instead of a redirect: its script then reloads the page, which signs in."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if from_display(request):
                return view(request, *args, **kwargs)
            user = request.user
            if not user.is_authenticated:
                if json:
                    return JsonResponse({"detail": "请先登录。"}, status=403)
                return redirect_to_login(request.get_full_path())
            if not (user.is_superuser or user.role_codes()):
                if json:
                    return JsonResponse({"detail": "您的账号尚未分配工作角色。"}, status=403)
                return forbidden(request, "您的账号尚未分配工作角色，请联系中心管理员。")
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


# -- the views -------------------------------------------------------------------------------------------

@never_cache
@wall_access()
def page(request):
    return render(request, "reports/wall.html", {
        "centre": settings.CENTRE_NAME, "refresh": settings.WALL_REFRESH_SECONDS,
        "levels": LEVELS})


@never_cache
@wall_access(json=True)
def data(request):
    return JsonResponse(figures(clock.now()), json_dumps_params={"ensure_ascii": False})


# -- what the screen shows -------------------------------------------------------------------------------

LEVELS = (("warning", Level.WARNING, "预警"), ("yellow", Level.YELLOW, "黄牌"), ("red", Level.RED, "红牌"))


def figures(now: dt.datetime) -> dict:
    """Everything the screen shows at `now`: plain numbers and names, ready for JSON."""
    local = clock.local_date(now)
    started = time.perf_counter()
    shown = {
        "date": f"{local.year}年{local.month}月{local.day}日 星期{WEEKDAYS[local.weekday()]}",
        "as_of": clock_text(now),
        "today": today_cases(local),
        "windows": windows(local, now),
        "queues": queues(local),
        "alerts": _cached("alerts", settings.WALL_CACHE_SECONDS, open_alerts),
        "satisfaction": _cached(f"satisfaction:{local:%Y-%m-%d}", settings.WALL_CACHE_SECONDS,
                                lambda: month_satisfaction(local)),
        "ranking": _cached(f"ranking:{local:%Y-%m}", settings.WALL_RANKING_SECONDS, lambda: month_ranking(local)),
        "projects": _cached(f"projects:{local:%Y-%m-%d}", settings.WALL_CACHE_SECONDS,
                            lambda: key_projects(local)),
    }
    shown["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return shown


def clock_text(now: dt.datetime) -> str:
    """HH:MM:SS of a moment, local time (数据截至)."""
    return timezone.localtime(now).strftime("%H:%M:%S")


def today_cases(day: dt.date) -> dict:
    """Cases received and completed on the local day, by the counters' own definitions, and the
    received ones per hour of the day: the aggregates, with the last minutes counted live."""
    hours = [f"received_h{h:02d}" for h in HOURS]
    done = upkeep.live_day(day, ["completed", "on_time", *hours])
    hourly = [done[name] for name in hours]
    rate = DERIVED["on_time_rate"].of(done)
    return {"received": sum(hourly), "completed": done["completed"], "on_time": done["on_time"],
            "on_time_rate": _percent(rate), "hourly": hourly}


def windows(day: dt.date, now: dt.datetime) -> dict:
    """How many windows serve today, serve at this moment, and have a member of staff signed in."""
    ids = list(Window.objects.values_list("pk", flat=True))
    book, calendar = HoursBook.load(ids, day, day), get_calendar()
    moment = clock_text(now)
    open_today = serving = 0
    for pk in ids:
        hours = book.day(pk, day, calendar)
        if hours.open:
            open_today += 1
            if any(f"{o:%H:%M:%S}" <= moment < f"{c:%H:%M:%S}" for o, c in hours.sessions):
                serving += 1
    staffed = (User.objects.filter(window__isnull=False, is_active=True, on_duty=True,
                                   last_login__gte=clock.day_start(day))
               .values("window_id").distinct().count())
    return {"total": len(ids), "open_today": open_today, "serving": serving, "staffed": staffed}


def queues(day: dt.date) -> dict:
    """Per window: cases received today still waiting to be accepted (待受理), and today's
    appointments booked and not yet arrived (预约未到). The longest queues first."""
    start, end = clock.days_range(day, day)
    waiting = dict(Case.objects.filter(received_at__gte=start, received_at__lt=end, state=State.RECEIVED,
                                       window__isnull=False)
                   # Count the window, not the id: the partial index case_waiting answers alone.
                   .order_by().values("window_id").annotate(n=Count("window_id")).values_list("window_id", "n"))
    booked = dict(Booking.objects.filter(day=day, status=Booking.Status.BOOKED)
                  .order_by().values("window_id").annotate(n=Count("pk")).values_list("window_id", "n"))
    keys = set(waiting) | set(booked)
    names = {w.pk: w for w in Window.objects.filter(pk__in=keys).select_related("department")}
    rows = [{"window": names[pk].number, "name": names[pk].name,
             "department": names[pk].department.short_name or names[pk].department.name,
             "waiting": waiting.get(pk, 0), "booked": booked.get(pk, 0)} for pk in keys if pk in names]
    rows.sort(key=lambda r: (-(r["waiting"] + r["booked"]), r["window"]))
    return {"waiting": sum(waiting.values()), "booked": sum(booked.values()), "rows": rows[:QUEUE_ROWS]}


def open_alerts() -> dict:
    """Open supervision alerts by level (the board's index: status, level)."""
    counts = dict(Alert.objects.filter(status=Alert.Status.OPEN).order_by().values("level")
                  .annotate(n=Count("pk")).values_list("level", "n"))
    return {code: counts.get(level, 0) for code, level, _label in LEVELS}


def month_satisfaction(day: dt.date) -> dict:
    """This month's 满意率 over every department, as shenpi.feedback.services defines it."""
    first = day.replace(day=1)
    rows = feedback_satisfaction(None, first, day).values()
    ratings = sum(r["ratings"] for r in rows)
    satisfied = sum(r["satisfied"] for r in rows)
    rate = Fraction(100 * satisfied, ratings) if ratings else None
    return {"month": f"{day.year}年{day.month}月", "ratings": ratings, "satisfied": satisfied,
            "rate": _percent(rate)}


def month_ranking(day: dt.date) -> dict:
    """The current month's assessment of departments, the first RANKING_ROWS of them."""
    period = Period.month_of(day)
    ranking = assess(period, "department", today=day)
    rows = [{"rank": row.rank, "name": row.subject.name, "score": round(float(row.score), 2)}
            for row in ranking.rows[:RANKING_ROWS]]
    return {"month": period.label, "rows": rows, "computed_at": clock_text(clock.now())}


def key_projects(day: dt.date) -> list[dict]:
    """The key projects with a stage under way (the latest first), else the latest key projects:
    each with its current stage and how far along its stages it is."""
    under_way = Stage.objects.filter(state=Stage.State.OPEN, project_id__isnull=False).values("project_id")
    chosen = list(Project.objects.filter(key_project=True)
                  .annotate(running=Count("pk", filter=Q(pk__in=under_way)))
                  .select_related("lead_department").order_by("-running", "-created_at", "-pk")[:KEY_PROJECTS])
    planned = dict(StageTemplate.objects.filter(project_type_id__in={p.project_type_id for p in chosen})
                   .order_by().values("project_type_id").annotate(n=Count("pk"))
                   .values_list("project_type_id", "n"))
    shown = []
    for row in rows_for(chosen, get_calendar(), day):
        done = sum(1 for s in row.stages if s.stage.state == Stage.State.CONCLUDED)
        total = max(planned.get(row.project.project_type_id, 0), len(row.stages))
        current = row.current
        shown.append({
            "name": row.project.name, "lead": row.project.lead_department.name,
            "stage": current.stage.name if current else "尚未申报",
            "stage_state": current.stage.get_state_display() if current else "",
            "used": current.used if current else None, "allotment": current.allotment if current else None,
            "done": done, "total": total, "progress": round(100 * done / total) if total else 0,
            "trend": row.trend, "trend_label": row.trend_label,
        })
    return shown


# -- the cache of the slow parts ---------------------------------------------------------------------------

def _cached(name: str, seconds: float, compute: Callable[[], object]):
    """A slow figure at most `seconds` old. When it is due, one request computes it again (it holds a
    short lock in the cache) while the others keep showing the last one, so a slow assessment never
    holds up every screen at once."""
    key = f"shenpi:wall:{name}"
    entry = cache.get(key)
    fresh = entry is not None and time.time() - entry[0] < seconds
    if fresh:
        return entry[1]
    if entry is not None and not cache.add(f"{key}:lock", 1, timeout=max(30, int(seconds))):
        return entry[1]
    value = compute()
    # Kept well beyond its age so that a stale value can stand in while it is computed again.
    cache.set(key, (time.time(), value), timeout=max(600, int(seconds) * 10))
    cache.delete(f"{key}:lock")
    return value


def _percent(rate: Fraction | None) -> float | None:
    return None if rate is None else round(float(rate), 1)

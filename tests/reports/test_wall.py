"""The hall's wall screen (大屏): its figures equal direct counts over a planted day, it opens without a
login from a display's address only, and nothing personal ever reaches it.

The planted hall, Thursday 5 November 2026, the clock frozen at 15:00 (Asia/Shanghai):

| case | received | state | completed | due | counts today as |
| --- | --- | --- | --- | --- | --- |
| late_evening | 11-04 23:50 | 待受理 | — | — | nothing (yesterday, though 15:50 UTC of 11-04 too) |
| just_after_midnight | 11-05 00:10 | 待受理 | — | — | received, waiting at window A |
| morning | 11-05 09:30 | 办理中 | — | — | received |
| on_the_spot | 11-05 10:15 | 已办结 | 11-05 14:00 | 11-05 | received, completed on time |
| late | 11-01 | 已办结 | 11-05 11:00 | 11-03 | completed late |
| yesterday_done | 11-01 | 已办结 | 11-04 23:55 | 11-10 | nothing |
| voided | 11-05 13:20 | 已作废 | — | — | nothing |

So today: received 3 (hours 0, 9, 10), completed 2, on time 1 (50 %), waiting 1 at A's window.
Windows: A's and B's serve the default hours (serving at 15:00), C's is closed today (暂停服务): 3 windows,
2 open, 2 serving; A's clerk signed in today, B's yesterday: 1 staffed. Appointments today: 2 booked at
B's window, 1 attended, 1 cancelled; 1 booked tomorrow. Alerts open: 2 预警, 1 黄牌, 1 红牌 (and a closed 红牌).
Ratings this month: 3, of which 2 satisfied (非常满意, 基本满意) and 1 不满意; one in October.
Every applicant is 欧阳锦绣 (phone 13912345678); the clerks are 诸葛明远 and 司马慧敏.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db.models import Q
from django.test import Client
from django.utils import timezone

from shenpi import clock
from shenpi.appointments.models import Booking, Slot
from shenpi.cases.models import Case, State
from shenpi.catalog.models import HoursException, Window
from shenpi.feedback.models import Level as RatingLevel
from shenpi.feedback.models import Rating
from shenpi.joint.models import Project, ProjectKind, ProjectType, Stage, StageTemplate
from shenpi.performance.periods import Period
from shenpi.performance.services import assess
from shenpi.reports import wall
from shenpi.supervision.models import Alert, Level
from tests import factories as f
from tests.performance.conftest import alert, at, make_case

NOW = at(2026, 11, 5, 15, 0)
TODAY = dt.date(2026, 11, 5)
APPLICANT = "欧阳锦绣"
PHONE = "13912345678"
CLERKS = ("诸葛明远", "司马慧敏")
PERSONAL = (APPLICANT, PHONE, *CLERKS, "110105", "示范置业")


@pytest.fixture(autouse=True)
def own_cache(settings):
    """The screen's slow parts are cached: each test starts with an empty cache of its own."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "wall-tests"}}
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def plant_hall(now: dt.datetime) -> dict:
    """The hall of the module's docstring around `now` (the e2e test plants it at the real time)."""
    day = clock.local_date(now)
    a, b = f.department("住房和城乡建设局", sort=1), f.department("市场监督管理局", sort=2)
    people_a, people_b = f.staff(a), f.staff(b)
    clerk_a, clerk_b = people_a["clerk"], people_b["clerk"]
    for clerk, name, login in ((clerk_a, CLERKS[0], now - dt.timedelta(hours=1)),
                               (clerk_b, CLERKS[1], clock.day_start(day) - dt.timedelta(hours=2))):
        clerk.full_name, clerk.last_login = name, login
        clerk.save()
    closed = Window.objects.create(department=b, number="ZK-1", name="企业开办专窗")
    HoursException.objects.create(window=closed, day=day, kind=HoursException.Kind.CLOSED, note="设备检修")
    item_a, item_b = f.item(a), f.item(b, name="食品经营许可")
    midnight = clock.day_start(day)

    def moment(days: int, hh: int, mm: int = 0) -> dt.datetime:
        return midnight + dt.timedelta(days=days, hours=hh, minutes=mm)

    cases = {
        "late_evening": make_case(a, item_a, clerk_a, received=moment(-1, 23, 50), state=State.RECEIVED),
        "just_after_midnight": make_case(a, item_a, clerk_a, received=moment(0, 0, 10), state=State.RECEIVED),
        "morning": make_case(a, item_a, clerk_a, received=moment(0, 9, 30), state=State.IN_PROGRESS,
                             due=day + dt.timedelta(days=10)),
        "on_the_spot": make_case(b, item_b, clerk_b, received=moment(0, 10, 15), completed=moment(0, 14),
                                 due=day, limit=0, used=0),
        "late": make_case(a, item_a, clerk_a, received=moment(-4, 10), completed=moment(0, 11),
                          due=day - dt.timedelta(days=2), limit=1, used=3),
        "yesterday_done": make_case(b, item_b, clerk_b, received=moment(-4, 10), completed=moment(-1, 23, 55),
                                    due=day + dt.timedelta(days=5), used=2),
        "voided": make_case(a, item_a, clerk_a, received=moment(0, 13, 20), state=State.VOIDED,
                            closed=moment(0, 13, 30)),
    }
    Case.objects.update(applicant_name=APPLICANT, contact_name=APPLICANT, contact_phone_masked=PHONE)
    slot = Slot.objects.create(window=clerk_b.window, start=moment(0, 16), end=moment(0, 16, 30), capacity=10,
                               booked=4, published_at=moment(-3, 9))
    later = Slot.objects.create(window=clerk_b.window, start=moment(1, 9), end=moment(1, 9, 30), capacity=5,
                                booked=1, published_at=moment(-3, 9))
    for n, (on, status) in enumerate(((slot, Booking.Status.BOOKED), (slot, Booking.Status.BOOKED),
                                      (slot, Booking.Status.ATTENDED), (slot, Booking.Status.CANCELLED),
                                      (later, Booking.Status.BOOKED))):
        Booking.objects.create(code=f"YY{n:08d}", slot=on, window=on.window, day=clock.local_date(on.start),
                               item=item_b, item_name="食品经营许可", applicant_name=APPLICANT,
                               id_number=f.PERSON_ID, id_index=f"idx{n}", id_masked="110105********002X",
                               mobile=PHONE, mobile_index=f"m{n}", mobile_masked=PHONE, status=status,
                               created_at=moment(-2, 9))
    for n, level in enumerate((Level.WARNING, Level.WARNING, Level.YELLOW, Level.RED, Level.RED)):
        made = alert("time.case", level, a, moment(0, 8), subject=f"case:{90 + n}")
        if n == 4:
            Alert.objects.filter(pk=made.pk).update(status=Alert.Status.CLOSED, closed_at=moment(0, 9))
    month_start = day.replace(day=1)
    for level, when in ((RatingLevel.VERY_SATISFIED, now), (RatingLevel.BASIC, now),
                        (RatingLevel.DISSATISFIED, now), (RatingLevel.DISSATISFIED, clock.day_start(month_start)
                                                          - dt.timedelta(hours=1))):
        Rating.objects.create(department=b, window=clerk_b.window, level=level, rater_name=APPLICANT,
                              rater_mobile=PHONE, rated_at=when)
    project = plant_key_project(a, clerk_a, midnight - dt.timedelta(days=3))
    return {"a": a, "b": b, "people_a": people_a, "people_b": people_b, "cases": cases, "item_a": item_a,
            "clerk_a": clerk_a, "project": project}


def plant_key_project(dept, clerk, opened: dt.datetime) -> Project:
    """A key project of two planned stages, the first under way (its applicant is the planted person)."""
    kind = ProjectType.objects.create(code="wall-building", name="社会投资房屋建筑类", promised_total=60)
    first = StageTemplate.objects.create(code="wall-1", name="立项用地规划许可阶段", project_type=kind, seq=1,
                                         lead_department=dept, promised_total=20)
    StageTemplate.objects.create(code="wall-2", name="工程建设许可阶段", project_type=kind, seq=2,
                                 lead_department=dept, promised_total=20)
    project = Project.objects.create(
        code="2026-330106-47-01-000001", name="城西科创中心一期", owner_name="杭州示范置业有限公司",
        owner_uscc=f.ORG_USCC, location="西湖区", division="330106", total_investment="52000",
        kind=ProjectKind.APPROVAL, industry="47", project_type=kind, lead_department=dept, key_project=True,
        created_at=opened)
    Stage.objects.create(number="JD2026000001", template=first, project=project, name=first.name,
                         lead_department=dept, applicant_name=APPLICANT, applicant_id_index="x", opened_at=opened,
                         opened_by=clerk, accept_date=clock.local_date(opened), promised_total=20,
                         statutory_limit=45, promised_due=clock.local_date(opened) + dt.timedelta(days=28),
                         statutory_due=clock.local_date(opened) + dt.timedelta(days=63))
    return project


@pytest.fixture
def hall(db):
    clock.set_now(NOW)
    return plant_hall(NOW)


def direct_today(day: dt.date) -> dict:
    """The same figures by plain queries over the cases, written out here independently."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    end = start + dt.timedelta(days=1)
    live = Case.objects.exclude(state=State.VOIDED)
    received = live.filter(received_at__gte=start, received_at__lt=end)
    completed = live.filter(state=State.COMPLETED, completed_at__gte=start, completed_at__lt=end)
    return {"received": received.count(), "completed": completed.count(),
            "on_time": completed.filter(promised_due__gte=day).count(),
            "waiting": Case.objects.filter(state=State.RECEIVED, received_at__gte=start, received_at__lt=end,
                                           window__isnull=False).count()}


# -- the figures ------------------------------------------------------------------------------------------

def test_todays_cases_equal_direct_counts_and_midnight_is_local(hall):
    shown = wall.figures(NOW)
    direct = direct_today(TODAY)
    today = shown["today"]
    assert (today["received"], today["completed"], today["on_time"]) == (3, 2, 1)
    assert (today["received"], today["completed"], today["on_time"]) == (
        direct["received"], direct["completed"], direct["on_time"])
    assert today["on_time_rate"] == 50.0
    # 00:10 is today's first hour; 23:50 yesterday (the same UTC day as 00:10) is not counted.
    assert today["hourly"][0] == 1 and today["hourly"][9] == 1 and today["hourly"][10] == 1
    assert sum(today["hourly"]) == 3 and today["hourly"][23] == 0
    assert shown["as_of"] == "15:00:00" and shown["date"] == "2026年11月5日 星期四"


def test_the_next_day_starts_from_nothing(hall):
    tomorrow = at(2026, 11, 6, 0, 5)
    today = wall.figures(tomorrow)["today"]
    assert (today["received"], today["completed"], today["on_time_rate"]) == (0, 0, None)
    assert wall.figures(tomorrow)["queues"]["booked"] == 1  # tomorrow's appointment


def test_windows_and_queues(hall):
    shown = wall.figures(NOW)
    assert shown["windows"] == {"total": 3, "open_today": 2, "serving": 2, "staffed": 1}
    queues = shown["queues"]
    assert (queues["waiting"], queues["booked"]) == (direct_today(TODAY)["waiting"], 2) == (1, 2)
    by_window = {row["window"]: row for row in queues["rows"]}
    a_window, b_window = hall["people_a"]["clerk"].window, hall["people_b"]["clerk"].window
    assert (by_window[a_window.number]["waiting"], by_window[a_window.number]["booked"]) == (1, 0)
    assert (by_window[b_window.number]["waiting"], by_window[b_window.number]["booked"]) == (0, 2)
    assert by_window[b_window.number]["department"] == "市场监督管理局"
    # After the close of office hours the windows still open today no longer serve.
    evening = wall.windows(TODAY, at(2026, 11, 5, 18, 30))
    assert (evening["open_today"], evening["serving"]) == (2, 0)


def test_alerts_satisfaction_ranking_and_projects(hall):
    shown = wall.figures(NOW)
    assert shown["alerts"] == {"warning": 2, "yellow": 1, "red": 1}
    assert shown["alerts"]["red"] == Alert.objects.filter(status=Alert.Status.OPEN, level=Level.RED).count()
    satisfaction = shown["satisfaction"]
    assert (satisfaction["ratings"], satisfaction["satisfied"], satisfaction["rate"]) == (3, 2, 66.7)
    assert satisfaction["month"] == "2026年11月"
    ranking = assess(Period.month_of(TODAY), "department", today=TODAY)
    assert [r["name"] for r in shown["ranking"]["rows"]] == [r.subject.name for r in ranking.rows]
    assert [r["rank"] for r in shown["ranking"]["rows"]] == [r.rank for r in ranking.rows]
    assert shown["ranking"]["rows"], "departments with cases this month are ranked"
    (project,) = shown["projects"]
    assert (project["name"], project["stage"], project["done"], project["total"]) == (
        "城西科创中心一期", "立项用地规划许可阶段", 0, 2)
    assert project["lead"] == "住房和城乡建设局" and project["stage_state"] == "办理中"


def test_a_new_case_shows_at_once_but_the_ranking_is_kept_for_its_interval(hall, settings, monkeypatch):
    settings.WALL_RANKING_SECONDS = 300
    calls = []
    real = wall.assess
    monkeypatch.setattr(wall, "assess", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = wall.figures(NOW)
    make_case(hall["a"], hall["item_a"], hall["clerk_a"], received=at(2026, 11, 5, 14, 50), state=State.RECEIVED)
    second = wall.figures(NOW)
    assert second["today"]["received"] == first["today"]["received"] + 1
    assert second["queues"]["waiting"] == first["queues"]["waiting"] + 1
    assert len(calls) == 1  # the month's ranking was assessed once, then read from the cache
    monkeypatch.setattr(wall.time, "time", lambda: 10 ** 10)  # long after: computed again
    wall.figures(NOW)
    assert len(calls) == 2


# -- who may see it -----------------------------------------------------------------------------------------

def test_a_display_address_needs_no_login(hall, settings):
    settings.WALL_ADDRESSES = ["10.1.2.0/24", "192.168.9.9"]
    client = Client()
    for address in ("10.1.2.7", "192.168.9.9"):
        assert client.get("/wall/", REMOTE_ADDR=address).status_code == 200
        response = client.get("/wall/data.json", REMOTE_ADDR=address)
        assert response.status_code == 200 and response.json()["today"]["received"] == 3


def test_another_address_is_sent_to_the_login(hall, settings):
    settings.WALL_ADDRESSES = ["10.1.2.0/24"]
    client = Client()
    response = client.get("/wall/", REMOTE_ADDR="10.1.3.7")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=/wall/")
    assert client.get("/wall/data.json", REMOTE_ADDR="10.1.3.7").status_code == 403
    settings.WALL_ADDRESSES = []  # no display configured: a login everywhere
    assert client.get("/wall/", REMOTE_ADDR="10.1.2.7").status_code == 302


def test_a_forwarded_address_counts_only_behind_a_trusted_proxy(hall, settings):
    settings.WALL_ADDRESSES = ["10.1.2.0/24"]
    client = Client()
    forged = client.get("/wall/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="10.1.2.7")
    assert forged.status_code == 302
    settings.TRUSTED_PROXIES = ["172.16.0.1"]
    proxied = client.get("/wall/", REMOTE_ADDR="172.16.0.1", HTTP_X_FORWARDED_FOR="10.1.2.7")
    assert proxied.status_code == 200


def test_signed_in_staff_see_it_from_anywhere_accounts_without_a_role_do_not(hall, settings):
    settings.WALL_ADDRESSES = ["10.1.2.0/24"]
    staff = f.login_staff(Client(), hall["people_a"]["handler"])
    assert staff.get("/wall/", REMOTE_ADDR="10.9.9.9").status_code == 200
    assert staff.get("/wall/data.json", REMOTE_ADDR="10.9.9.9").json()["today"]["completed"] == 2
    nobody = Client()
    nobody.force_login(f.user(None))
    assert nobody.get("/wall/", REMOTE_ADDR="10.9.9.9").status_code == 403
    assert nobody.get("/wall/data.json", REMOTE_ADDR="10.9.9.9").status_code == 403


def test_the_page_loads_its_script_and_charts_from_files(hall, settings):
    settings.WALL_ADDRESSES = ["127.0.0.1"]
    settings.WALL_REFRESH_SECONDS = 7
    html = Client().get("/wall/").content.decode()
    assert 'data-refresh="7"' in html and 'data-source="/wall/data.json"' in html
    assert "vendor/echarts.common.min.js" in html and "reports/wall.js" in html
    assert "<script>" not in html and "style=" not in html  # the CSP allows neither


# -- nothing personal ----------------------------------------------------------------------------------------

def test_nothing_personal_reaches_the_page_or_the_data(hall, settings):
    settings.WALL_ADDRESSES = ["10.1.2.0/24"]
    client = Client()
    html = client.get("/wall/", REMOTE_ADDR="10.1.2.7").content.decode()
    raw = client.get("/wall/data.json", REMOTE_ADDR="10.1.2.7").content.decode()
    text = json.dumps(json.loads(raw), ensure_ascii=False)
    assert "住房和城乡建设局" in text and "城西科创中心一期" in text  # departments and projects are shown
    for personal in PERSONAL:
        assert personal not in html and personal not in text, personal
    numbers = set(Case.objects.values_list("number", flat=True)) | set(
        Booking.objects.values_list("code", flat=True))
    assert not any(n in text for n in numbers)
    assert not Case.objects.filter(Q(applicant_name__contains="锦绣")).exclude(applicant_name=APPLICANT).exists()


def test_with_internal_hosts_the_wall_is_served_on_them_only(hall, settings):
    settings.WALL_ADDRESSES = ["10.1.2.0/24"]
    settings.INTERNAL_HOSTS = ["intranet.example.cn"]
    settings.ALLOWED_HOSTS = ["intranet.example.cn", "www.example.cn"]
    client = Client()
    assert client.get("/wall/", REMOTE_ADDR="10.1.2.7", HTTP_HOST="www.example.cn").status_code == 404
    assert client.get("/wall/", REMOTE_ADDR="10.1.2.7", HTTP_HOST="intranet.example.cn").status_code == 200


def test_a_wrong_display_address_stops_the_start_naming_it():
    import os
    import subprocess
    import sys

    env = {**os.environ, "SHENPI_WALL_ADDRESSES": "10.1.2.0/24,hall-screen"}
    run = subprocess.run([sys.executable, "-c", "import shenpi.settings"], env=env, capture_output=True, text=True)
    assert run.returncode != 0 and "SHENPI_WALL_ADDRESSES 中的“hall-screen”" in run.stderr
    env["SHENPI_WALL_ADDRESSES"] = "10.1.2.0/24, 10.8.0.5"
    assert subprocess.run([sys.executable, "-c", "import shenpi.settings"], env=env).returncode == 0

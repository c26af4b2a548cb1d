"""The demo's 一厅双网: cases of 市场监督管理局 handled in its own 企业登记系统 and registered here.

Each case goes through shenpi.exchange.registration exactly as the system's API calls would: registered
after its acceptance there, then each step, the decision (with the system's letter number) and the
delivery pushed with the moment it happened there, recorded here a little later — except one decision
recorded five days after it was made (先批后录), one case late in the department's own handling and
completed late, and one still open past its promised due (办件超时).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.cases import services
from shenpi.cases.models import ApplicantKind, Case, State
from shenpi.catalog.models import Department, Item
from shenpi.catalog.services import flow_of, materials_of, published_version
from shenpi.exchange import registration
from shenpi.workdays.services import get_calendar

from . import people
from .catalogue import DEPARTMENTS_BY_SLUG

SYSTEM = "SF-SCJG-QYDJ"
SYSTEM_NAME = "企业登记系统"
COMPANIES = ("榕信贸易有限公司", "闽江源食品有限公司", "海峡数码科技有限公司", "鼓山文化传媒有限公司",
             "三坊七巷餐饮管理有限公司", "东湖物流有限公司")


@dataclass(frozen=True)
class Story:
    """One case: accepted `back` working days before today (negative: that many days beyond the item's
    promised limit); each step `pace` working days after the one before (0: the same day; -1: slow enough
    to miss the promised limit);
    `stop_at` steps passed (None: all, then decided and delivered); the decision recorded `lag` hours late."""

    back: int
    pace: int
    stop_at: int | None = None
    lag: int = 1


STORIES = (
    Story(back=25, pace=0),                 # on time
    Story(back=22, pace=0, lag=5 * 24),     # decided there, recorded here five days later: 先批后录
    Story(back=-12, pace=-1),               # late in the department's own handling, completed late
    Story(back=-4, pace=0, stop_at=1),      # open past its promised due: 办件超时
    Story(back=0, pace=0, stop_at=1),       # under way, on time
    Story(back=12, pace=0),                 # on time
)


def played() -> bool:
    return Case.objects.filter(source_system=SYSTEM).exists()


def play_if_missing(end: dt.datetime, seed: int, result, cases: int) -> bool:
    """Register the stories once (the demo's runner calls this near its end); True if anything was made."""
    if cases <= 0 or played():
        return False
    made = play(end, seed)
    result.created["outside_cases"] = made
    return made > 0


def _setting() -> tuple[User, Item] | None:
    dept = Department.objects.filter(code=DEPARTMENTS_BY_SLUG["shichang"].code).first()
    clerk = User.objects.filter(department=dept, roles=Role.CLERK, is_active=True).order_by("pk").first()
    if dept is None or clerk is None:
        return None
    # 企业设立登记 first: what a 企业登记系统 handles.
    versions = [(item, published_version(item)) for item in Item.objects.filter(department=dept).order_by("code")]
    for item, version in sorted(versions, key=lambda pair: "企业设立" not in (pair[1].name if pair[1] else "")):
        if (version is not None and version.promised_limit >= 1 and 2 <= len(flow_of(version)) <= 4
                and not version.audience_refusal(ApplicantKind.ORGANISATION)):
            return clerk, item
    return None


def play(end: dt.datetime, seed: int) -> int:
    setting = _setting()
    if setting is None:
        return 0
    clerk, item = setting
    rng = random.Random(seed + 15)
    calendar = get_calendar()
    today = timezone.localdate(end)
    materials = {spec.pk: {"received": True} for spec in materials_of(published_version(item))}
    made = 0
    for serial, (story, company) in enumerate(zip(STORIES, COMPANIES, strict=True), start=1):
        limit = published_version(item).promised_limit
        back = story.back if story.back >= 0 else limit - story.back
        day = calendar.add(calendar.latest_start(today, back + 1), 1)  # a working day, `back` before today
        if story.pace < 0:
            story = Story(story.back, limit // len(flow_of(published_version(item))) + 2, story.stop_at, story.lag)
        source = services.Source(SYSTEM, SYSTEM_NAME, f"QYDJ{day:%Y%m%d}{serial:04d}")
        accepted = _moment(day, 9, rng)
        if accepted >= end:  # today's, before the office opened
            continue
        applicant = services.ApplicantInput(kind=ApplicantKind.ORGANISATION, name=company,
                                            id_number=people.uscc(rng), contact_name="经办人", phone="13905910000")
        with clock.frozen(min(accepted + dt.timedelta(minutes=40), end)):
            case, _ = registration.register(actor=clerk, item=item, source=source, applicant=applicant,
                                            accepted_at=accepted, materials=materials, title="企业设立登记")
        _work(case, story, day, clerk, rng, end)
        made += 1
    return made


def _moment(day: dt.date, hour: int, rng: random.Random) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, rng.randint(0, 59))))


def _push(case: Case, action: str, moment: dt.datetime, clerk: User, end: dt.datetime, lag_hours: int = 1,
          **kw) -> Case:
    with clock.frozen(min(moment + dt.timedelta(hours=lag_hours), end)):
        return registration.push(case, action, actor=clerk, happened_at=moment, **kw)


def _work(case: Case, story: Story, day: dt.date, clerk: User, rng: random.Random, end: dt.datetime) -> None:
    calendar = get_calendar()
    passed = 0
    while case.state == State.IN_PROGRESS and (story.stop_at is None or passed < story.stop_at):
        day = calendar.add(day, story.pace) if story.pace else day
        moment = _moment(day, 10 + min(passed, 4), rng)
        if moment >= end:  # not yet happened there
            return
        case = _push(case, "pass", moment, clerk, end, params={"opinion": "符合条件，同意"})
        passed += 1
    if story.stop_at is not None:
        return
    decided = _moment(day, 15, rng)
    case = _push(case, "grant", decided, clerk, end, story.lag, params={"opinion": "准予设立登记"},
                 letter_number=f"（榕）登字〔{day.year}〕第{rng.randint(1000, 9999)}号")
    _push(case, "complete", decided + dt.timedelta(minutes=30), clerk, end, story.lag,
          params={"delivery": "窗口领取"})

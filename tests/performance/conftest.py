"""A small city with known figures for October 2026, built row by row with chosen dates.

Department A (住房和城乡建设局), October 2026:

| case | received | completed (local) | promised due | limit | used | what |
| --- | --- | --- | --- | --- | --- | --- |
| on_time | 10-09 | 10-20 23:30 | 10-20 | 7 | 7 | on the due day, late in the evening: on time, not early |
| early | 10-09 | 10-15 | 10-23 | 10 | 4 | early |
| late | 10-09 | 10-13 00:30 | 10-12 | 3 | 5 | late (still 10-12 in UTC) |
| spot | 10-16 | 10-16 | 10-16 | 0 | 0 | 即办件: on time, not early |
| denied | 10-12 | 10-28 | 10-30 | 10 | 6 | 不予许可, early |
| online | 10-20 (online) | — | 10-30 | 7 | — | accepted 10-21, in progress, suspended once 10-22 |
| refused | 10-22 | — | — | 5 | — | 不予受理 10-22 |
| voided | 10-23 | — | — | 5 | — | voided: never counted |
| september | 09-10 | 09-25 | 09-28 | 5 | 3 | September: early |

So in October: received 7 (online 1), accepted 6, completed 5, on time 4 (80 %), early 2 (40 %),
on the spot 1 (20 %), denied 1, refused 1, used 22 days, promised 30 days, 1 suspension.
Alerts of A in October: 7 warnings, a yellow card (procedure, on `late`, answered) and a red card
(time, on `late`, not answered): cards 2, answered 1 (50 %); completed cases with a procedure
alert 1 (规范办结率 80 %). In September A has one warning and one suspension.

Department B (市场监督管理局), October: two cases completed on their due day (limit 5), no alert.

The clock is frozen at 2026-11-05 10:00: October is over, November has begun, December has not.

The cases are planted as rows, without the trail events the upkeep of the case aggregates reads, so
the performance tests build the aggregates once the world is planted (`built`), as the upkeep's first
run does on an installation: departments and windows are assessed from them.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import User
from shenpi.cases.models import ApplicantKind, Case, CaseStep, Channel, ClockStop, Decision, State
from shenpi.catalog.models import Department, Item
from shenpi.figures import upkeep
from shenpi.supervision.models import Alert, Level, Rule
from tests import factories as f

NOW = timezone.make_aware(dt.datetime(2026, 11, 5, 10, 0))
_numbers = itertools.count(1)


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


@dataclass
class World:
    a: Department
    b: Department
    people_a: dict[str, User]
    people_b: dict[str, User]
    item_a: Item
    item_b: Item
    cases: dict[str, Case] = field(default_factory=dict)

    def client(self, person: User) -> Client:
        client = Client()
        f.login_staff(client, person)
        return client


def make_case(dept: Department, item: Item, clerk: User, *, received: dt.datetime, state=State.COMPLETED,
              accepted: dt.datetime | None = None, completed: dt.datetime | None = None,
              due: dt.date | None = None, limit: int = 5, used: int | None = None, channel=Channel.WINDOW,
              decision: str = "", closed: dt.datetime | None = None) -> Case:
    accepted = accepted or (received if state not in (State.RECEIVED, State.REFUSED) else None)
    return Case.objects.create(
        number=f"PERF{next(_numbers):08d}", query_code="123456", item=item, version=item.current_version(),
        department=dept, window=clerk.window, channel=channel, state=state,
        applicant_kind=ApplicantKind.PERSON, applicant_name="张三", applicant_id=f.PERSON_ID,
        applicant_id_index="perf", applicant_id_masked="110105********002X",
        received_at=received, received_by=clerk, correction_due=timezone.localdate(received) + dt.timedelta(days=7),
        accepted_at=accepted, accept_date=timezone.localdate(accepted) if accepted else None,
        promised_limit=limit, statutory_limit=20, promised_due=due, completed_at=completed,
        closed_at=closed or completed, used_days=used, decision=decision or (Decision.GRANT if completed else ""),
        closing_reason="材料不符合法定形式" if state in (State.REFUSED, State.VOIDED) else "",
    )


def step(case: Case, person: User, seq: int = 1, *, finished: dt.datetime | None = None) -> CaseStep:
    flow_step = case.version.steps.get(seq=seq)
    return CaseStep.objects.create(
        case=case, flow_step=flow_step, seq=seq, name=flow_step.name, role_id=flow_step.role_id,
        department=case.department, assignee=person, status=CaseStep.Status.DONE if finished else
        CaseStep.Status.ACTIVE, started_at=case.accepted_at, finished_at=finished,
        finished_by=person if finished else None)


def alert(rule_code: str, level: int, dept: Department, detected: dt.datetime, *, case: Case | None = None,
          responsible: User | None = None, subject: str = "", answered: bool = False) -> Alert:
    return Alert.objects.create(
        rule=Rule.objects.get(code=rule_code), level=level, subject=subject or f"case:{case.pk}", case=case,
        department=dept, responsible=responsible, detected_at=detected,
        answer="已整改" if answered else "", answered_at=detected + dt.timedelta(days=1) if answered else None)


def stop(case: Case, started: dt.datetime, on_step: CaseStep | None = None) -> ClockStop:
    return ClockStop.objects.create(case=case, step=on_step, kind_name="补件", reason="补交图纸", expected_days=5,
                                    limit_days=5, limit_due=timezone.localdate(started) + dt.timedelta(days=7),
                                    resume_to=State.IN_PROGRESS, started_at=started)


@pytest.fixture
def frozen():
    clock.set_now(NOW)
    yield NOW


@pytest.fixture
def world(db, frozen) -> World:
    a, b = f.department("住房和城乡建设局", sort=1), f.department("市场监督管理局", sort=2)
    w = World(a, b, f.staff(a), f.staff(b), f.item(a), f.item(b, name="食品经营许可"))
    clerk, handler, reviewer = w.people_a["clerk"], w.people_a["handler"], w.people_a["reviewer"]
    c = w.cases
    c["on_time"] = make_case(a, w.item_a, clerk, received=at(2026, 10, 9), completed=at(2026, 10, 20, 23, 30),
                             due=dt.date(2026, 10, 20), limit=7, used=7)
    c["early"] = make_case(a, w.item_a, clerk, received=at(2026, 10, 9), completed=at(2026, 10, 15),
                           due=dt.date(2026, 10, 23), limit=10, used=4)
    c["late"] = make_case(a, w.item_a, clerk, received=at(2026, 10, 9), completed=at(2026, 10, 13, 0, 30),
                          due=dt.date(2026, 10, 12), limit=3, used=5)
    c["spot"] = make_case(a, w.item_a, clerk, received=at(2026, 10, 16), completed=at(2026, 10, 16, 10, 5),
                          due=dt.date(2026, 10, 16), limit=0, used=0)
    c["denied"] = make_case(a, w.item_a, clerk, received=at(2026, 10, 12), completed=at(2026, 10, 28),
                            due=dt.date(2026, 10, 30), limit=10, used=6, decision=Decision.DENY)
    c["online"] = make_case(a, w.item_a, clerk, received=at(2026, 10, 20), accepted=at(2026, 10, 21),
                            state=State.IN_PROGRESS, due=dt.date(2026, 10, 30), limit=7, channel=Channel.ONLINE)
    c["refused"] = make_case(a, w.item_a, clerk, received=at(2026, 10, 22), state=State.REFUSED,
                             closed=at(2026, 10, 22, 15))
    c["voided"] = make_case(a, w.item_a, clerk, received=at(2026, 10, 23), state=State.VOIDED,
                            closed=at(2026, 10, 24))
    c["september"] = make_case(a, w.item_a, clerk, received=at(2026, 9, 10), completed=at(2026, 9, 25),
                               due=dt.date(2026, 9, 28), limit=5, used=3)
    # Steps: the handler worked `on_time` twice (returned and redone: one case for him), the reviewer
    # once; the clerk who received `denied` also finished a step of it (one case for her, not two).
    step(c["on_time"], handler, 1, finished=at(2026, 10, 12))
    step(c["on_time"], handler, 1, finished=at(2026, 10, 14))
    step(c["on_time"], reviewer, 2, finished=at(2026, 10, 16))
    step(c["early"], handler, 1, finished=at(2026, 10, 13))
    step(c["denied"], clerk, 1, finished=at(2026, 10, 20))
    running = step(c["online"], handler, 1)
    stop(c["online"], at(2026, 10, 22), running)
    stop(c["september"], at(2026, 9, 15))
    # Subjects no real case has (a leading zero): on PostgreSQL ids keep growing from test to test.
    for n in range(7):
        alert("time.case", Level.WARNING, a, at(2026, 10, 1 + n * 3), subject=f"case:0{n}", responsible=handler)
    alert("proc.missing_material", Level.YELLOW, a, at(2026, 10, 12), case=c["late"], responsible=clerk,
          answered=True)
    alert("time.case", Level.RED, a, at(2026, 10, 12, 18), case=c["late"], responsible=handler)
    alert("time.case", Level.WARNING, a, at(2026, 9, 24), case=c["september"], responsible=handler)
    clerk_b = w.people_b["clerk"]
    for day in (14, 21):
        make_case(b, w.item_b, clerk_b, received=at(2026, 10, day - 7), completed=at(2026, 10, day),
                  due=dt.date(2026, 10, day), limit=5, used=5)
    return w


@pytest.fixture(autouse=True)
def built(request):
    """In this folder: the case aggregates built over the world, for the tests that plant it."""
    if "world" in request.fixturenames:
        request.getfixturevalue("world")
        upkeep.rebuild()

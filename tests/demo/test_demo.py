"""The demo city as people will use it: catalogue, staff, a year of cases, today's deadlines."""

import datetime as dt
import io
from collections import Counter

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from shenpi import clock
from shenpi.accounts import identifiers
from shenpi.accounts.models import Role, User
from shenpi.applicants.models import Applicant
from shenpi.appointments.models import Booking, Slot
from shenpi.cases.models import (
    ApplicantKind,
    Case,
    CaseEvent,
    CaseMaterial,
    ClockStop,
    Decision,
    DeferralCommitment,
    Extension,
    State,
)
from shenpi.catalog.models import Department, FeeStandard, FlowStep, Item, ItemVersion, MaterialSpec, Window
from shenpi.crypto import blind_index
from shenpi.demo import generator, people, projects
from shenpi.demo.catalogue import DEPARTMENTS_BY_SLUG
from shenpi.feedback.models import Complaint, Level, Question, Rating, RatingFollowUp
from shenpi.joint.models import Project, Stage, StageTemplate
from shenpi.licences.models import Citation
from shenpi.online.models import OnlineApplication, Upload
from shenpi.supervision.models import Alert
from shenpi.workdays.services import get_calendar

from .conftest import CASES

# The demo year ends now: what it shows as due, late or booked depends on the day it is generated.
pytestmark = [pytest.mark.django_db, pytest.mark.clocks(per_test=False)]


def demo_items():
    return Item.objects.filter(department__code__startswith="SF-")


def published(item):
    return item.versions.get(status=ItemVersion.Status.PUBLISHED)


# -- the run itself ------------------------------------------------------------------------------

def test_every_planned_action_was_accepted_by_the_services_and_the_clock_runs_again(demo):
    result, frozen_after = demo
    assert result.failures == []
    assert result.created["cases"] == CASES
    assert frozen_after is None
    # Cases went through the services: each has the receive event and its actor recorded.
    # ... and so were the online applications the window accepted.
    accepted = OnlineApplication.objects.filter(status=OnlineApplication.Status.ACCEPTED).count()
    # ... and so were the projects' and bundles' cases, opened by the comprehensive window.
    joint = projects.joint_cases().count()
    assert joint > 0
    # 一证通办: holders apply again on the last working day, their licence cited instead of a copy.
    citing = result.created["citing_cases"]
    assert citing > 0 and Citation.objects.filter(verified=True).count() >= citing
    outside = result.created["outside_cases"]  # 一厅双网 (demo/outside.py)
    assert CaseEvent.objects.filter(action="receive", actor__isnull=False).count() == (
        CASES + accepted + joint + citing + outside)


# -- catalogue -----------------------------------------------------------------------------------

def test_city_has_at_least_fifteen_departments_a_comprehensive_window_and_a_three_level_tree(demo):
    city = Department.objects.filter(code__startswith="SF-", level=Department.Level.CITY)
    assert city.count() >= 15
    names = set(city.values_list("short_name", flat=True))
    assert {"发改委", "住建局", "规划局", "国土局", "环保局", "市场监管局", "公安局", "交通局", "人防办",
            "消防救援支队", "卫健委", "教育局", "民政局", "人社局", "文旅局", "水利局", "农业农村局", "城管局",
            "税务局", "商务局"} <= names
    centre = Department.objects.get(comprehensive=True, code__startswith="SF-")
    assert centre.windows.count() >= 2
    for level, parent_level in ((Department.Level.TOWN, Department.Level.DISTRICT),
                                (Department.Level.VILLAGE, Department.Level.TOWN)):
        rows = Department.objects.filter(code__startswith="SF-", level=level).select_related("parent")
        assert rows.exists()
        assert {d.parent.level for d in rows} == {parent_level}
    assert Department.objects.filter(code__startswith="SF-", level=Department.Level.DISTRICT).count() == 2


def test_districts_and_towns_have_outlines_for_the_statistics_map(demo):
    network = Department.objects.filter(code__startswith="SF-", level__in=("district", "town"))
    assert network.count() == 7
    assert not network.filter(outline__isnull=True).exists()
    assert not Department.objects.filter(code__startswith="SF-", level__in=("city", "village"),
                                         outline__isnull=False).exists()


def test_sixty_published_items_each_with_a_three_to_five_step_flow_materials_and_a_legal_basis(demo):
    first_case = Case.objects.earliest("received_at").received_at
    items = list(demo_items())
    assert len(items) >= 60
    for item in items:
        version = published(item)
        seqs = set(version.steps.values_list("seq", flat=True))
        assert 3 <= len(seqs) <= 5, version.name
        assert 3 <= version.steps.count() <= 5, version.name
        assert 3 <= version.materials.count() <= 8, version.name
        assert version.legal_basis.startswith("《"), version.name
        assert version.result_name and version.promised_limit <= version.statutory_limit
        assert version.published_at is not None and version.published_at < first_case


def test_catalogue_shows_the_variety_a_guide_needs(demo):
    versions = ItemVersion.objects.filter(item__in=demo_items(), status=ItemVersion.Status.PUBLISHED)
    names = set(versions.values_list("name", flat=True))
    for expected in ("建筑工程施工许可证核发", "企业设立登记", "户外广告设置审批", "建设项目环境影响评价文件审批",
                     "建设工程规划许可证核发", "建设用地规划许可证核发", "建设工程消防设计审查", "食品经营许可",
                     "药品零售企业许可", "道路货物运输经营许可", "娱乐场所经营许可", "民办学校设立审批",
                     "医疗机构执业登记"):
        assert expected in names
    assert versions.filter(promised_limit=0).count() >= 5  # 即办件
    charged = versions.filter(free_of_charge=False)
    assert 1 <= charged.count() < versions.count() / 5  # most items are free
    assert all(v.fee_basis and v.fees.exists() for v in charged)
    assert FeeStandard.objects.filter(version__in=charged, amount__isnull=False).exists()
    joint = versions.filter(joint_handling=True)
    assert joint.count() >= 3 and set(joint.values_list("extension_limit", flat=True)) == {15}
    # A joint item's middle stage runs in two other departments side by side.
    for version in joint:
        parallel = version.steps.filter(seq=2)
        assert parallel.count() == 2
        assert all(s.department_id not in (None, version.item.department_id) for s in parallel)
    steps = FlowStep.objects.filter(version__in=versions)
    assert steps.filter(limit__isnull=False, limit_unit=FlowStep.LimitUnit.DAYS).exists()
    assert steps.filter(limit__isnull=False, limit_unit=FlowStep.LimitUnit.HOURS).exists()
    assert set(steps.values_list("role", flat=True)) == {Role.HANDLER, Role.REVIEWER, Role.APPROVER}
    procedures = Counter(versions.values_list("procedure_kinds__code", flat=True))
    for kind in ("expert_review", "site_survey", "hearing", "testing", "publicity"):
        assert procedures[kind] >= 1
    materials = MaterialSpec.objects.filter(version__in=versions)
    assert materials.filter(deferrable=True).exists() and materials.filter(required=False).exists()
    assert {"original", "copy"} <= set(materials.values_list("form", flat=True))


# -- staff ---------------------------------------------------------------------------------------

def test_every_department_with_items_has_someone_in_every_role_and_clerks_sit_at_windows(demo):
    departments = Department.objects.filter(items__in=demo_items()).distinct()
    for department in departments:
        roles = set(User.objects.filter(department=department).values_list("roles", flat=True))
        assert {Role.CLERK, Role.HANDLER, Role.REVIEWER, Role.APPROVER, Role.LIAISON} <= roles, department.name
    clerks = User.objects.filter(roles=Role.CLERK, username__in=generator.demo_usernames())
    assert not clerks.filter(window__isnull=True).exists()
    assert Window.objects.filter(staff__in=clerks).exists()
    names = list(User.objects.filter(username__in=generator.demo_usernames()).values_list("full_name", flat=True))
    assert len(set(names)) == len(names) and all(2 <= len(n) <= 3 for n in names)


def test_personas_are_in_the_construction_bureau_and_admin_is_a_superuser(demo):
    zhujian = Department.objects.get(short_name="住建局", code__startswith="SF-")
    for role in (Role.CLERK, Role.HANDLER, Role.REVIEWER, Role.APPROVER):
        user = User.objects.get(username=role)
        assert user.department == zhujian and user.has_role(role)
    assert User.objects.get(username="zhujian_clerk").department == zhujian
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.has_role(Role.ADMIN)
    assert User.objects.get(username="supervisor").has_role(Role.SUPERVISOR)
    # 三权分立: the security and the audit administrator are neither administrators nor superusers.
    auditor, security = User.objects.get(username="shenji_admin"), User.objects.get(username="anquan_admin")
    assert auditor.role_codes() == {Role.AUDIT_ADMIN} and security.role_codes() == {Role.SECURITY_ADMIN}
    assert not auditor.is_superuser and not auditor.is_staff and not security.is_superuser


def test_accounts_listing_prints_every_login_with_the_password_that_works(demo, var_dir, settings):
    # The demo hashes with the installation's hasher (Argon2), not the fast one other tests switch to.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    out = io.StringIO()
    call_command("demo", "--accounts", stdout=out)
    text = out.getvalue()
    password = (var_dir / generator.PASSWORD_FILE).read_text().strip()
    assert len(password) >= 14
    for account in people.accounts():
        assert f"\n{account.username} " in text
    # Applicants sign in with their ID number or unified social credit code, with the same password.
    for applicant in people.demo_applicants():
        assert f"\n{applicant.id_number} " in text and applicant.name in text
    assert text.count(password) == len(people.accounts()) + len(people.demo_applicants())
    assert check_password(password, User.objects.get(username="clerk").password)
    assert "住房和城乡建设局" in text and "中心管理员" in text


def test_make_run_prints_only_the_logins_a_first_look_needs(demo, var_dir):
    out = io.StringIO()
    call_command("demo", "--key-accounts", stdout=out)
    lines = out.getvalue().splitlines()
    password = (var_dir / generator.PASSWORD_FILE).read_text().strip()
    usernames = [line.split()[0] for line in lines[1:-1]]
    assert usernames[:8] == ["admin", "supervisor", "clerk", "handler", "reviewer", "approver", "anquan_admin",
                             "shenji_admin"]
    assert usernames[8:] == [applicant.id_number for applicant in people.demo_applicants()]
    assert len(lines) < 17 and out.getvalue().count(password) == 1
    assert "shenpi demo --accounts" in lines[-1] and str(len(people.accounts())) in lines[-1]
    # The administrators and the supervisor are told they will enrol a second factor first.
    first_login = "admin、supervisor、anquan_admin、shenji_admin首次登录时，输入密码后须先用手机验证器扫码设置二次验证"
    assert first_login in lines[-1]


# -- cases ---------------------------------------------------------------------------------------

def test_cases_are_in_every_state_of_the_lifecycle(demo):
    states = set(generator.demo_cases().values_list("state", flat=True))
    assert states == set(State.values)
    completed = generator.demo_cases().filter(state=State.COMPLETED)
    assert {Decision.GRANT, Decision.DENY} <= set(completed.values_list("decision", flat=True))
    on_the_spot = completed.filter(promised_limit=0)
    assert on_the_spot.exists() and set(on_the_spot.values_list("used_days", flat=True)) == {0}
    assert completed.filter(promised_limit__gt=0, used_days__gt=0).exists()


def test_cases_spread_over_the_last_twelve_months_on_working_days(demo):
    calendar = get_calendar()
    today = clock.today()
    received = list(generator.demo_cases().values_list("received_at", flat=True))
    assert all(r <= clock.now() for r in received)
    days = {timezone.localdate(r) for r in received}
    assert (today - min(days)).days > 300
    assert len({(d.year, d.month) for d in days}) >= 12
    assert all(calendar.is_workday(d) for d in days)


def test_today_shows_cases_about_to_expire_overdue_and_long_overdue(demo):
    calendar = get_calendar()
    today = clock.today()
    first = calendar.next_workday(today)
    running = generator.demo_cases().filter(state__in=[State.IN_PROGRESS, State.DECIDING])
    assert running.filter(promised_due__in=[first, calendar.add(first, 1)]).exists()
    late = list(running.filter(promised_due__lt=today))
    assert late
    assert any(calendar.between(c.promised_due, today) >= 3 for c in late)
    assert any(calendar.between(c.promised_due, today) < 3 for c in late)


def test_history_has_corrections_deferred_materials_returns_suspensions_and_extensions(demo):
    cases = generator.demo_cases()
    actions = Counter(CaseEvent.objects.filter(case__in=cases).values_list("action", flat=True))
    for action in ("request_correction", "supplement", "refuse", "handle_on_the_spot", "pass", "return", "suspend",
                   "request_supplement", "resume", "extend", "grant", "deny", "complete", "withdraw", "void",
                   "receive_deferred"):
        assert actions[action] >= 1, action
    assert CaseMaterial.objects.filter(case__in=cases, deferred=True).exists()
    # 容缺受理: every accepted case with a deferred material has the applicant's commitment and a due date.
    deferred = CaseMaterial.objects.filter(case__in=cases, deferred=True, case__accepted_at__isnull=False)
    assert not deferred.filter(due_on__isnull=True).exists()
    assert set(deferred.values_list("case_id", flat=True)) == set(
        DeferralCommitment.objects.filter(case__in=cases).values_list("case_id", flat=True))
    assert ClockStop.objects.filter(case__in=cases, ended_at__isnull=False, stopped_days__gt=0).exists()
    assert ClockStop.objects.filter(case__in=cases, kind__isnull=True).exists()  # 补件
    assert Extension.objects.filter(case__in=cases).exists()
    assert cases.filter(channel="online").exists() and cases.filter(channel="window").exists()
    # Both the departments' windows and the centre's comprehensive windows received cases.
    assert cases.filter(received_by__department__comprehensive=True).exists()
    assert cases.exclude(received_by__department__comprehensive=True).exists()


def test_every_case_history_starts_with_receipt_and_chains_its_states(demo):
    events = CaseEvent.objects.filter(case__in=generator.demo_cases()).order_by("case_id", "pk").values_list(
        "case_id", "action", "from_state", "to_state", "at", "actor_id")
    cases = dict(generator.demo_cases().values_list("pk", "state"))
    previous: dict[int, tuple] = {}
    for case_id, action, from_state, to_state, at, actor in events:
        assert actor is not None
        if case_id not in previous:
            assert (action, from_state, to_state) == ("receive", "", State.RECEIVED)
        else:
            _, last_to, last_at = previous[case_id]
            assert from_state == last_to, (case_id, action)
            assert at >= last_at
        previous[case_id] = (action, to_state, at)
    assert set(previous) == set(cases)
    assert all(previous[pk][1] == state for pk, state in cases.items())


def test_applicants_carry_identifiers_with_correct_check_digits(demo):
    for case in generator.demo_cases():
        if case.applicant_kind == ApplicantKind.PERSON:
            assert identifiers.validate_id_number(case.applicant_id) == case.applicant_id
        else:
            assert identifiers.validate_uscc(case.applicant_id) == case.applicant_id
        assert case.applicant_id_note == ""
        identifiers.validate_mobile(case.contact_phone)
    assert generator.demo_cases().values("applicant_kind").annotate(n=Count("pk")).count() == 2


# -- running it again ----------------------------------------------------------------------------

def test_running_the_command_again_changes_nothing_and_says_so(demo):
    def counts():
        return (Department.objects.count(), Item.objects.count(), ItemVersion.objects.count(), User.objects.count(),
                Case.objects.count(), CaseEvent.objects.count(), Window.objects.count(),
                OnlineApplication.objects.count(), Upload.objects.count(), Slot.objects.count(),
                Booking.objects.count(), Question.objects.count(), Complaint.objects.count(),
                Rating.objects.count(), Alert.objects.count(), Project.objects.count(), Stage.objects.count(),
                StageTemplate.objects.count())

    before = counts()
    out = io.StringIO()
    call_command("demo", "--cases", str(CASES), stdout=out)
    after = counts()
    assert after == before
    text = out.getvalue()
    assert "没有任何更改" in text
    # It ends with the logins to start with, as `make run` shows them before the address.
    assert text.splitlines()[-1].startswith("以上账号的密码均为：") and "\nclerk " in text
    assert "办件状态" in text and f"已发布事项：{demo_items().count()}" in text
    assert "综合窗口账号 zhongxin_clerk" in text  # who opens stages and bundles in the demo
    assert clock._frozen is None


def test_summary_counts_what_is_there(demo):
    summary = generator.summary()
    citing = Case.objects.filter(materials__citation__isnull=False).distinct().count()
    assert sum(summary.states.values()) == (CASES + OnlineApplication.objects.filter(case__isnull=False).count()
                                            + projects.joint_cases().count() + citing
                                            + Case.objects.exclude(source_system="").count())
    assert summary.states["已作废"] >= 1 and summary.states["补正中"] >= 1
    assert summary.departments["市级"] >= 15 and summary.items == demo_items().count()
    assert summary.users["监察员"] >= 1 and summary.users["中心管理员"] >= 1
    assert summary.due_soon >= 1 and summary.overdue >= summary.long_overdue >= 1


def test_reset_passwords_gives_every_demo_login_one_new_password(demo, var_dir, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    path = var_dir / generator.PASSWORD_FILE
    old = path.read_text()
    try:
        out = io.StringIO()
        call_command("demo", "--reset-passwords", stdout=out)
        new = path.read_text().strip()
        assert new != old.strip() and new in out.getvalue()
        for username in ("admin", "clerk", "binhe_approver"):
            assert check_password(new, User.objects.get(username=username).password)
        assert not check_password(old.strip(), User.objects.get(username="clerk").password)
    finally:
        path.write_text(old)


def test_supervision_watched_the_year_and_red_cards_got_orders(demo):
    from shenpi.supervision.models import Alert, Level, Order, ScanRun

    # Supervision watched the year: a scan before the first action of every played week, of every played
    # day since the first of the previous month (the months the pages show first), and one now.
    scanned = {timezone.localdate(at) for at in ScanRun.objects.values_list("as_of", flat=True)}
    daily_from = generator.daily_scans_from(clock.now())
    received = {timezone.localdate(at) for at in generator.demo_cases().values_list("received_at", flat=True)}
    weeks = {day.isocalendar()[:2] for day in scanned}
    assert {day.isocalendar()[:2] for day in received if day < daily_from} <= weeks
    assert {day for day in received if day >= daily_from and day < timezone.localdate(clock.now()) - dt.timedelta(
        days=14)} <= scanned  # the portal's own cases of the last two weeks come after the year's scans
    assert len({day for day in scanned if day >= daily_from}) >= 12
    assert timezone.localdate(clock.now()) in scanned
    levels = set(Alert.objects.values_list("level", flat=True))
    assert levels == {Level.WARNING, Level.YELLOW, Level.RED}
    assert Alert.objects.filter(status=Alert.Status.CLOSED).exists()  # warnings that escalated or ended
    statuses = sorted(Order.objects.values_list("status", flat=True))
    assert statuses == sorted([Order.Status.ACCEPTED, Order.Status.ANSWERED, Order.Status.OPEN])


def test_departments_answered_their_cards_and_the_past_months_are_scored(demo):
    """The ranking of a month that is over reads as a real one: every department that served applicants
    was scored by hand, and no score passes what the scheme allows (base + the capped bonus)."""
    from shenpi.performance import services as performance
    from shenpi.performance.periods import Period
    from shenpi.supervision.models import Level as AlertLevel

    cards = Alert.objects.filter(level__in=(AlertLevel.YELLOW, AlertLevel.RED))
    assert cards.filter(answered_at__isnull=False).count() > cards.count() // 2
    assert cards.filter(answered_at__isnull=True).exists()  # some are left to turn red
    ranking = performance.assess(Period.month_of(clock.today()).previous())
    assert ranking.rows and not ranking.incomplete
    ceiling = ranking.scheme.scheme.base + sum(b.cap for b in ranking.scheme.bonuses)
    assert all(0 <= row.score <= ceiling for row in ranking.rows)
    for row in ranking.rows:
        month = row.months[0]
        assert month.score == max(0, sum(a.points for a in month.areas) - month.deducted + month.added)


# -- the public side -----------------------------------------------------------------------------

def open_alerts(code):
    return Alert.objects.filter(rule__code=code, status=Alert.Status.OPEN)


def test_applicant_accounts_have_verified_mobiles_and_valid_identifiers(demo):
    accounts = Applicant.objects.filter(id_index__in=[
        blind_index(a.id_number) for a in people.demo_applicants()]).select_related("user")
    assert accounts.count() == 3
    assert {a.kind for a in accounts} == {ApplicantKind.PERSON, ApplicantKind.ORGANISATION}
    for account in accounts:
        assert account.verified and account.user.is_active and not account.user.roles.exists()
        # Real-name verified at a window: their window cases show under 我的办件.
        assert account.real_name_verified and account.real_name_source == "window"
        assert account.verifications.get().actor_id_masked
        check = identifiers.validate_id_number if account.is_person else identifiers.validate_uscc
        assert check(account.id_number) == account.id_number
        identifiers.validate_mobile(account.mobile)
        assert account.is_person or account.contact_name


def test_online_applications_in_every_state_with_real_uploads(demo):
    Status = OnlineApplication.Status
    apps = OnlineApplication.objects.all()
    counts = Counter(apps.values_list("status", flat=True))
    assert counts[Status.DRAFT] >= 2 and counts[Status.SUBMITTED] >= 3 and counts[Status.CORRECTING] >= 2
    assert counts[Status.ACCEPTED] >= 2 and counts[Status.REFUSED] >= 2
    assert all(v.online_depth >= 3 for v in ItemVersion.objects.filter(online_applications__in=apps))
    for app in apps.filter(status=Status.ACCEPTED).select_related("case"):
        assert app.case.channel == "online" and app.case.state == State.IN_PROGRESS
        assert app.case.materials.filter(file__gt="").exists()
    assert all(a.correction_notice.items for a in apps.filter(status=Status.CORRECTING))
    assert apps.filter(status=Status.ACCEPTED, correction_notice__isnull=False).exists()  # corrected, then accepted
    assert all(a.refusal_reason for a in apps.filter(status=Status.REFUSED))
    uploads = Upload.objects.filter(application__in=apps)
    assert {"application/pdf", "image/png"} <= set(uploads.values_list("content_type", flat=True))
    for upload in uploads.filter(content_type="application/pdf")[:3]:
        with upload.file.open("rb") as handle:
            assert handle.read(5) == b"%PDF-"
        assert upload.pages == 1


def test_one_application_waits_past_its_prereview_date_and_supervision_shows_it(demo):
    late = OnlineApplication.objects.filter(status=OnlineApplication.Status.SUBMITTED, prereview_due__lt=clock.today())
    assert late.count() == 1
    alerts = open_alerts("proc.prereview_late")
    assert alerts.count() == 1 and alerts.get().subject == f"online:{late.get().pk}"


def test_windows_published_slots_for_the_next_ten_working_days_and_people_booked(demo):
    calendar = get_calendar()
    today = clock.today()
    slots = Slot.objects.filter(start__gte=timezone.now() - timezone.timedelta(days=1))
    days = {timezone.localdate(s) for s in slots.values_list("start", flat=True)}
    workdays = {d for d in days if calendar.is_workday(d)}
    assert len(workdays) == 10 and max(days) <= calendar.add(today, 10)
    # Nothing in the noon break; rest days only at the 户籍 window's Saturday morning service, never on holidays.
    evening = Window.objects.filter(department__code=DEPARTMENTS_BY_SLUG["gongan"].code).order_by("number").first()
    for slot in slots.select_related("window"):
        start, end = timezone.localtime(slot.start), timezone.localtime(slot.end)
        assert end.time() <= dt.time(12, 0) or start.time() >= dt.time(13, 30)
        if not calendar.is_workday(start.date()):
            assert slot.window == evening and start.isoweekday() == 6 and end.time() <= dt.time(12, 0)
            assert not calendar.is_holiday(start.date())
    span = (today + dt.timedelta(days=n) for n in range((max(days) - today).days + 1))
    served = [d for d in span if d.isoweekday() == 6 and not calendar.is_workday(d) and not calendar.is_holiday(d)]
    assert {d for d in days if d.isoweekday() == 6 and not calendar.is_workday(d)} == set(served)
    wednesdays = [d for d in workdays if d.isoweekday() == 3]
    evening_ends = {timezone.localtime(e).time() for e in slots.filter(window=evening).values_list("end", flat=True)
                    if timezone.localdate(e) in wednesdays}
    assert not wednesdays or max(evening_ends) == dt.time(19, 0)
    assert Slot.objects.values("window__department").distinct().count() >= 3
    bookings = Booking.objects.all()
    assert bookings.filter(day__gt=today).exists()
    if calendar.is_workday(today):
        assert bookings.filter(day=today).exists()
    assert bookings.filter(status=Booking.Status.CANCELLED).exists()
    assert not Slot.objects.filter(booked__gt=0).exclude(pk__in=bookings.filter(
        status__in=[Booking.Status.BOOKED, Booking.Status.ATTENDED, Booking.Status.NO_SHOW]).values("slot")).exists()


def test_faq_has_published_answers_on_popular_items_and_open_questions(demo):
    published = Question.objects.filter(published=True, answered_at__isnull=False)
    assert published.count() >= 10 and published.values("item").distinct().count() >= 5
    assert Question.objects.filter(answered_at__isnull=True, published=False).count() == 2
    assert published.filter(question__contains="需要准备哪些材料").exists()


def test_complaints_answered_open_and_late_with_an_alert(demo):
    complaints = Complaint.objects.all()
    assert complaints.filter(status=Complaint.Status.ANSWERED).count() == 1
    today = clock.today()
    assert complaints.filter(status=Complaint.Status.OPEN, answer_due__gte=today).count() == 1
    late = complaints.filter(status=Complaint.Status.OPEN, answer_due__lt=today)
    assert late.count() == 1
    assert open_alerts("service.complaint_late").get().subject == f"complaint:{late.get().pk}"


def test_ratings_mostly_satisfied_and_bad_ones_followed_up_or_flagged(demo):
    ratings = Rating.objects.all()
    levels = Counter(ratings.values_list("level", flat=True))
    good = levels[Level.VERY_SATISFIED] + levels[Level.SATISFIED]
    assert good >= 2 * (levels[Level.BASIC] + levels[Level.DISSATISFIED] + levels[Level.VERY_DISSATISFIED])
    assert ratings.filter(window__isnull=False, case__isnull=True).count() >= 3  # 一次一评
    assert all(c.state == State.COMPLETED and r.rated_at >= c.completed_at
               for r in ratings.filter(case__isnull=False).select_related("case") for c in [r.case])
    bad = ratings.filter(level__in=[Level.DISSATISFIED, Level.VERY_DISSATISFIED])
    assert bad.count() == 3 and all(r.reason for r in bad)
    tasks = RatingFollowUp.objects.filter(rating__in=bad)
    assert tasks.filter(done_at__isnull=False, outcome__gt="").count() == 1
    assert tasks.filter(done_at__isnull=True, visited_at__isnull=False, due__gte=clock.today()).count() == 1
    untouched = tasks.filter(visited_at__isnull=True, due__lt=clock.today())
    assert untouched.count() == 1
    assert open_alerts("service.bad_rating_unhandled").get().subject == f"rating:{untouched.get().pk}"


def test_the_replayed_years_messages_count_as_sent_then(demo):
    from shenpi.notifications.models import Notification

    messages = Notification.objects.all()
    assert messages.exists()
    assert not messages.exclude(status=Notification.Status.SENT).exists()
    assert all(m.sent_at == m.created_at for m in messages[:50])


def test_the_readme_accounts_each_hold_open_work_and_the_bureau_has_stand_ins_and_an_absence(demo):
    from shenpi.accounts.models import Absence, StandIn
    from shenpi.cases import queries

    today = clock.today()
    for username in ("clerk", "handler", "reviewer", "approver"):
        user = User.objects.get(username=username)
        assert queries.todo(user, today).exists(), f"{username} logs in to an empty list"
    assert generator.summary().todo.keys() == {"clerk", "handler", "reviewer", "approver"}
    # Steps were handed to them (转办) and the trail says by whom and why.
    transfers = CaseEvent.objects.filter(action="transfer")
    assert transfers.exists()
    assert all(e.comment and e.data["to_name"] for e in transfers)
    pairs = {(p.principal.username, p.stand_in.username) for p in StandIn.objects.select_related(
        "principal", "stand_in")}
    assert ("zhujian_reviewer", "reviewer") in pairs
    assert Absence.objects.filter(user__username="zhujian_reviewer", starts_on__lte=today, ends_on__gte=today).exists()


def test_every_items_application_form_can_be_downloaded_as_a_workbook_with_its_fields(demo):
    from openpyxl import load_workbook

    from shenpi.demo.applicationforms import FIELDS

    forms = list(MaterialSpec.objects.filter(ItemVersion.published_through("version__"),
                                             version__item__code__startswith="SF-").exclude(template="")
                 .select_related("version"))
    versions = ItemVersion.objects.published().filter(item__code__startswith="SF-")
    assert {f.version_id for f in forms} == set(versions.values_list("pk", flat=True))
    for spec in forms:
        assert spec.name.endswith("表") or spec.name.endswith("声明书")
        assert spec.template.name.endswith(".xlsx")
    presale = next(f for f in forms if f.version.name == "商品房预售许可")
    with presale.template.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    found = {cell for row in sheet.iter_rows(values_only=True) for cell in row if cell}
    assert set(FIELDS["商品房预售许可"]) <= found and "统一社会信用代码" in found

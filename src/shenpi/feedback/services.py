"""The operations of consultation (咨询), complaints (投诉) and ratings (好差评).

Views and the management command call these; each public operation is one transaction. Rules:
- who may answer or follow up: the department's staff (部门联络员, 审批人, 承办人; 中心管理员 too);
  supervisors (监察员) see everything and decide appeals (申诉复核);
- public submissions are counted per client address in the shared cache (shenpi.limits) (anti-spam), and the
  complaint tracking query counts failures like the progress query does, answering a wrong number
  and a wrong mobile with the same message;
- deadlines are working days from the calendar, stored as dates.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from shenpi import clock, limits
from shenpi.accounts.identifiers import IdentifierError, mask_phone, validate_mobile
from shenpi.accounts.models import Role, User
from shenpi.cases.models import Case, State
from shenpi.catalog.models import Department, Item, Window
from shenpi.errors import Conflict, Forbidden, InvalidInput
from shenpi.notifications.services import notify
from shenpi.workdays.services import get_calendar

from . import signals
from .models import BAD_LEVELS, Complaint, Level, Question, Rating, RatingAppeal, RatingFollowUp

_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32: no I, L, O, U
COMPLAINT_PREFIX = "TS"
TRACK_WRONG = "投诉编号或手机号码不正确，请核对投诉时取得的编号和所留手机号码。"
# Roles that answer for their department; 中心管理员 may act for any department.
DEPARTMENT_ROLES = (Role.LIAISON, Role.APPROVER, Role.HANDLER)
TEXT_MAX = 2000
NAME_MAX = 50


# -- who may do what ---------------------------------------------------------------------------------

def sees_all(user: User) -> bool:
    return user.sees_all_departments


def acts_for(user: User, department_id: int) -> bool:
    """Answer, visit, rectify for a department: its liaison, approver or handler; an administrator anywhere."""
    if user.is_superuser or user.has_role(Role.ADMIN):
        return True
    return user.department_id == department_id and user.has_role(*DEPARTMENT_ROLES)


def may_work_feedback(user: User) -> bool:
    return sees_all(user) or bool(user.department_id and user.has_role(*DEPARTMENT_ROLES))


def may_decide_appeals(user: User) -> bool:
    return user.is_superuser or user.has_role(Role.SUPERVISOR)


def _scoped(queryset: QuerySet, user: User) -> QuerySet:
    if sees_all(user):
        return queryset
    if user.department_id and user.has_role(*DEPARTMENT_ROLES):
        return queryset.filter(department_id=user.department_id)
    return queryset.none()


def visible_questions(user: User) -> QuerySet[Question]:
    return _scoped(Question.objects.select_related("item", "department", "answered_by"), user)


def visible_complaints(user: User) -> QuerySet[Complaint]:
    return _scoped(Complaint.objects.select_related("department", "case", "window", "answered_by"), user)


def visible_follow_ups(user: User) -> QuerySet[RatingFollowUp]:
    return _scoped(RatingFollowUp.objects.select_related("rating", "rating__case", "rating__window", "department"),
                   user)


def _require(user: User, department_id: int) -> None:
    if not acts_for(user, department_id):
        raise Forbidden("只有本部门的联络员、审批人或承办人可以办理。")


# -- anti-spam and tracking limits ---------------------------------------------------------------------

def take_post_allowance(ip: str | None) -> None:
    """One public submission from this address; refused beyond SHENPI_FEEDBACK_POSTS_PER_HOUR an hour.

    Without an address (staff registering a complaint taken by phone, tests) nothing is counted.
    """
    if ip is None:
        return
    key = limits.key("feedback-posts", ip)
    if limits.reached(key, settings.FEEDBACK_POSTS_PER_HOUR):
        raise Forbidden("提交过于频繁，请一小时后再试；急事请拨打中心服务电话。")
    limits.hit(key, 3600)


def tracking_limited(ip: str | None) -> bool:
    return limits.reached(limits.key("feedback-track", ip), settings.QUERY_ATTEMPTS)


def _count_tracking_failure(ip: str | None) -> None:
    limits.hit(limits.key("feedback-track", ip), max(1, settings.QUERY_WINDOW_MINUTES) * 60)


# -- small checks ------------------------------------------------------------------------------------

def _text(value: str, field: str, label: str, *, required: bool = True, limit: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(f"请填写{label}。", {field: [f"请填写{label}。"]})
    if len(value) > limit:
        raise InvalidInput(f"{label}不能超过{limit}字。", {field: [f"{label}不能超过{limit}字。"]})
    return value


def _mobile(value: str, field: str = "mobile", *, required: bool = True) -> str:
    value = (value or "").strip()
    if not value and not required:
        return ""
    try:
        return validate_mobile(value)
    except IdentifierError as error:
        raise InvalidInput(str(error), {field: [str(error)]}) from None


def _due(start: dt.date, days: int) -> tuple[dt.date, bool]:
    calendar = get_calendar()
    due = calendar.add(start, days)
    return due, calendar.is_provisional(start, due)


# == 咨询 consultation ===================================================================================

@transaction.atomic
def ask(item: Item, *, question: str, name: str = "", contact: str = "", ip: str | None = None) -> Question:
    """Anyone asks about a published item; the item's department answers."""
    if item.current_version() is None:
        raise InvalidInput("该事项不存在或已停止办理。")
    text = _text(question, "question", "咨询问题")
    if len(text) < 5:
        raise InvalidInput("请把问题写完整（至少5个字）。", {"question": ["请把问题写完整（至少5个字）。"]})
    name = _text(name, "name", "姓名", required=False, limit=NAME_MAX)
    contact = _text(contact, "contact", "联系方式", required=False, limit=100)
    take_post_allowance(ip)
    return Question.objects.create(item=item, department_id=item.department_id, name=name, contact=contact,
                                   question=text, asked_at=clock.now())


def _locked_question(question: Question | int) -> Question:
    pk = question.pk if isinstance(question, Question) else question
    return Question.objects.select_for_update().get(pk=pk)


@transaction.atomic
def answer_question(question: Question | int, *, actor: User, answer: str, publish: bool = False) -> Question:
    question = _locked_question(question)
    _require(actor, question.department_id)
    question.answer = _text(answer, "answer", "答复")
    question.answered_at, question.answered_by = clock.now(), actor
    if publish and not question.published:
        question.published, question.published_at = True, question.answered_at
    question.save()
    return question


@transaction.atomic
def set_published(question: Question | int, *, actor: User, published: bool) -> Question:
    """Only answered questions go into the FAQ (常见问题); withdrawing one is allowed too."""
    question = _locked_question(question)
    _require(actor, question.department_id)
    if published and not question.answered_at:
        raise InvalidInput("尚未答复的咨询不能公开。")
    question.published = published
    question.published_at = clock.now() if published else None
    question.save(update_fields=["published", "published_at"])
    return question


def faq(item: Item | None = None, keyword: str = "") -> QuerySet[Question]:
    """Published questions, of one item or all, whose question or answer contains every word of `keyword`."""
    found = Question.objects.filter(published=True, answered_at__isnull=False).select_related("item")
    if item is not None:
        found = found.filter(item=item)
    for word in keyword.split()[:5]:
        found = found.filter(Q(question__icontains=word) | Q(answer__icontains=word))
    return found.order_by("-published_at", "-id")


# == 投诉 complaints ======================================================================================

def new_complaint_number(moment: dt.datetime) -> str:
    """Like case numbers: the date, then 40 random bits so numbers cannot be guessed."""
    return COMPLAINT_PREFIX + timezone.localtime(moment).strftime("%Y%m%d") + "".join(
        secrets.choice(_NUMBER_ALPHABET) for _ in range(8))


@dataclass
class ComplaintInput:
    subject: str
    complainant: str
    mobile: str
    content: str
    case_number: str = ""
    window_id: int | None = None
    person: str = ""
    department_id: int | None = None


def _route(data: ComplaintInput) -> tuple[Department, Case | None, Window | None]:
    """The department that answers: the case's, else the window's, else the one chosen."""
    case = window = None
    if data.subject == Complaint.Subject.CASE:
        number = re.sub(r"\s+", "", data.case_number or "").upper()
        if not number:
            raise InvalidInput("请填写投诉涉及的办件编号。", {"case_number": ["请填写办件编号。"]})
        case = Case.objects.select_related("department").filter(number=number).first()
        if case is not None:
            return case.department, case, None
    if data.subject == Complaint.Subject.WINDOW:
        window = Window.objects.select_related("department").filter(pk=data.window_id).first() \
            if data.window_id else None
        if window is None:
            raise InvalidInput("请选择投诉涉及的窗口。", {"window": ["请选择窗口。"]})
        return window.department, None, window
    department = Department.objects.filter(pk=data.department_id).first() if data.department_id else None
    if department is None:
        message = ("未找到该办件编号，请核对，或选择投诉涉及的部门。" if data.subject == Complaint.Subject.CASE
                   else "请选择投诉涉及的部门。")
        raise InvalidInput(message, {"department": [message]})
    return department, None, None


@transaction.atomic
def file_complaint(data: ComplaintInput, *, ip: str | None = None) -> Complaint:
    if data.subject not in Complaint.Subject.values:
        raise InvalidInput("请选择投诉对象。", {"subject": ["请选择投诉对象。"]})
    complainant = _text(data.complainant, "complainant", "投诉人姓名", limit=NAME_MAX)
    mobile = _mobile(data.mobile)
    content = _text(data.content, "content", "投诉内容")
    person = _text(data.person, "person", "涉及工作人员", required=data.subject == Complaint.Subject.PERSON,
                   limit=NAME_MAX)
    department, case, window = _route(data)
    take_post_allowance(ip)
    now = clock.now()
    due, provisional = _due(timezone.localdate(now), settings.COMPLAINT_ANSWER_DAYS)
    complaint = Complaint(subject=data.subject, case=case, window=window, person=person, department=department,
                          complainant=complainant, mobile=mobile, mobile_masked=mask_phone(mobile), content=content,
                          filed_at=now, answer_due=due, due_provisional=provisional)
    for _ in range(5):
        complaint.number = new_complaint_number(now)
        try:
            with transaction.atomic():
                complaint.save()
            return complaint
        except IntegrityError:
            continue
    raise Conflict("投诉编号生成冲突，请重试。")


def track(number: str, mobile: str, *, ip: str | None = None) -> Complaint | None:
    """The complaint if number and mobile both match; None (and one failure counted) otherwise."""
    number = re.sub(r"\s+", "", number or "").upper()
    mobile = re.sub(r"[\s-]", "", mobile or "")
    complaint = Complaint.objects.select_related("department").filter(number=number).first() \
        if re.fullmatch(r"[0-9A-Z]{10,24}", number) else None
    stored = complaint.mobile if complaint is not None else "decoy-never-matches"
    if complaint is None or not mobile or not hmac.compare_digest(stored.encode(), mobile.encode()):
        _count_tracking_failure(ip)
        return None
    return complaint


@transaction.atomic
def answer_complaint(complaint: Complaint | int, *, actor: User, answer: str) -> Complaint:
    """有诉必复: the department answers once; the complainant is told by SMS in the same transaction."""
    pk = complaint.pk if isinstance(complaint, Complaint) else complaint
    complaint = Complaint.objects.select_for_update().get(pk=pk)
    _require(actor, complaint.department_id)
    if complaint.status == Complaint.Status.ANSWERED:
        raise Conflict("该投诉已经答复。")
    complaint.answer = _text(answer, "answer", "答复")
    complaint.answered_at, complaint.answered_by = clock.now(), actor
    complaint.status = Complaint.Status.ANSWERED
    complaint.save()
    notify("complaint_answered", mobile=complaint.mobile, topic=f"complaint:{complaint.number}",
           context={"complaint_number": complaint.number, "answer": complaint.answer, "name": complaint.complainant})
    return complaint


# == 好差评 ratings =======================================================================================

@dataclass
class RatingInput:
    level: int | str
    comment: str = ""
    reason: str = ""
    rater_name: str = ""
    rater_mobile: str = ""


def _rating_values(data: RatingInput) -> dict:
    try:
        level = int(data.level)
    except (TypeError, ValueError):
        level = 0
    if level not in Level.values:
        raise InvalidInput("请选择评价等级。", {"level": ["请选择评价等级。"]})
    reason = _text(data.reason, "reason", "不满意的原因", required=level in BAD_LEVELS)
    return {"level": level, "comment": _text(data.comment, "comment", "评价内容", required=False),
            "reason": reason, "rater_name": _text(data.rater_name, "rater_name", "姓名", required=False,
                                                  limit=NAME_MAX),
            "rater_mobile": _mobile(data.rater_mobile, "rater_mobile", required=False)}


def _open_follow_up(rating: Rating) -> None:
    """Every bad rating opens the department's task: 回访核实, then rectify within the deadline."""
    if rating.level in BAD_LEVELS:
        due, _ = _due(timezone.localdate(rating.rated_at), settings.RATING_RECTIFY_DAYS)
        RatingFollowUp.objects.create(rating=rating, department_id=rating.department_id, due=due)


@transaction.atomic
def rate_case(case: Case, data: RatingInput, *, ip: str | None = None) -> Rating:
    """一事一评: a completed case, once. The caller has proved the right to rate it (query code or account)."""
    values = _rating_values(data)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.state != State.COMPLETED:
        raise InvalidInput("办件办结后才能评价。")
    if Rating.objects.filter(case=case).exists():
        raise Conflict("该办件已经评价过，每件只能评价一次。")
    take_post_allowance(ip)
    try:
        with transaction.atomic():
            rating = Rating.objects.create(case=case, window_id=case.window_id, department_id=case.department_id,
                                           rated_at=clock.now(), **values)
    except IntegrityError:  # a simultaneous submission won
        raise Conflict("该办件已经评价过，每件只能评价一次。") from None
    _open_follow_up(rating)
    signals.rated.send(Rating, ratings=[rating])
    return rating


@transaction.atomic
def rate_window(window: Window, data: RatingInput, *, ip: str | None = None) -> Rating:
    """一次一评: one service at a window, rated from the window's link or QR code."""
    values = _rating_values(data)
    take_post_allowance(ip)
    rating = Rating.objects.create(window=window, department_id=window.department_id, rated_at=clock.now(),
                                   **values)
    _open_follow_up(rating)
    signals.rated.send(Rating, ratings=[rating])
    return rating


def _locked_follow_up(follow_up: RatingFollowUp | int) -> RatingFollowUp:
    pk = follow_up.pk if isinstance(follow_up, RatingFollowUp) else follow_up
    return RatingFollowUp.objects.select_for_update().select_related("rating").get(pk=pk)


@transaction.atomic
def record_visit(follow_up: RatingFollowUp | int, *, actor: User, note: str) -> RatingFollowUp:
    """回访核实: what the rater said when called back (or why nobody could be reached)."""
    follow_up = _locked_follow_up(follow_up)
    _require(actor, follow_up.department_id)
    if follow_up.done_at:
        raise Conflict("该差评整改已办结。")
    follow_up.visit_note = _text(note, "visit_note", "回访核实情况")
    follow_up.visited_at, follow_up.visited_by = clock.now(), actor
    follow_up.save()
    return follow_up


@transaction.atomic
def record_outcome(follow_up: RatingFollowUp | int, *, actor: User, outcome: str, note: str) -> RatingFollowUp:
    """立行立改, 限期整改 or 解释说明, after the visit; this closes the task."""
    follow_up = _locked_follow_up(follow_up)
    _require(actor, follow_up.department_id)
    if follow_up.done_at:
        raise Conflict("该差评整改已办结。")
    if not follow_up.visited_at:
        raise InvalidInput("请先回访核实，再填写整改情况。")
    if outcome not in RatingFollowUp.Outcome.values:
        raise InvalidInput("请选择整改方式。", {"outcome": ["请选择整改方式。"]})
    follow_up.outcome = outcome
    follow_up.outcome_note = _text(note, "outcome_note", "整改情况")
    follow_up.done_at, follow_up.done_by = clock.now(), actor
    follow_up.save()
    return follow_up


@transaction.atomic
def request_appeal(rating: Rating | int, *, reason: str, actor: User | None = None) -> RatingAppeal:
    """申诉复核: by the rated department's staff (actor) or by the applicant (no actor: proved by query code)."""
    pk = rating.pk if isinstance(rating, Rating) else rating
    rating = Rating.objects.select_for_update().get(pk=pk)
    if actor is not None:
        _require(actor, rating.department_id)
    if rating.excluded:
        raise Conflict("该评价已经复核不计入统计。")
    if rating.appeals.filter(decision=RatingAppeal.Decision.PENDING).exists():
        raise Conflict("该评价已有申诉正在复核。")
    return RatingAppeal.objects.create(
        rating=rating, by=RatingAppeal.By.DEPARTMENT if actor else RatingAppeal.By.APPLICANT, requested_by=actor,
        reason=_text(reason, "reason", "申诉理由"), requested_at=clock.now())


@transaction.atomic
def decide_appeal(appeal: RatingAppeal | int, *, actor: User, upheld: bool, note: str) -> RatingAppeal:
    """A supervisor decides; upheld takes the rating out of the statistics and closes its follow-up."""
    if not may_decide_appeals(actor):
        raise Forbidden("申诉复核由监察员决定。")
    pk = appeal.pk if isinstance(appeal, RatingAppeal) else appeal
    appeal = RatingAppeal.objects.select_for_update().get(pk=pk)
    if appeal.decision != RatingAppeal.Decision.PENDING:
        raise Conflict("该申诉已经复核。")
    now = clock.now()
    appeal.decision = RatingAppeal.Decision.UPHELD if upheld else RatingAppeal.Decision.REJECTED
    appeal.decision_note = _text(note, "decision_note", "复核意见")
    appeal.decided_at, appeal.decided_by = now, actor
    appeal.save()
    if upheld:
        Rating.objects.filter(pk=appeal.rating_id).update(excluded=True)
        # The task ends without an outcome: the rating it was about no longer counts.
        RatingFollowUp.objects.filter(rating_id=appeal.rating_id, done_at__isnull=True).update(
            done_at=now, done_by=actor, outcome_note=f"申诉复核成立：{appeal.decision_note}")
    return appeal


def pending_appeals() -> QuerySet[RatingAppeal]:
    return RatingAppeal.objects.filter(decision=RatingAppeal.Decision.PENDING).select_related(
        "rating", "rating__case", "rating__window", "rating__department", "requested_by")


@transaction.atomic
@transaction.atomic
def default_ratings(today: dt.date | None = None) -> int:
    """Rate 基本满意 every case completed at least SHENPI_RATING_DEFAULT_DAYS days ago and still unrated."""
    days = settings.RATING_DEFAULT_DAYS
    if days <= 0:
        return 0
    today = today or clock.today()
    cutoff = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time.min))
    cases = (Case.objects.filter(state=State.COMPLETED, completed_at__lt=cutoff, ratings__isnull=True)
             .values_list("pk", "department_id", "window_id"))
    now = clock.now()
    rows = [Rating(case_id=pk, department_id=dept, window_id=window, level=Level.BASIC, by_default=True,
                   rated_at=now, comment="逾期未评价，系统默认“基本满意”。") for pk, dept, window in cases.iterator()]
    # A rating given meanwhile wins: the unique constraint skips the default.
    Rating.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    given = Rating.objects.filter(by_default=True, rated_at=now)
    if signals.rated.has_listeners(Rating):
        signals.rated.send(Rating, ratings=list(given))
    return given.count()


# == figures for the performance assessment ================================================================

def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def satisfied_levels() -> list[int]:
    """The levels that count as satisfied (满意): 非常满意 and 满意, and 基本满意 unless
    SHENPI_SATISFACTION_COUNTS_BASIC is off. The assessment and the reports both read this."""
    return [Level.VERY_SATISFIED, Level.SATISFIED] + ([Level.BASIC] if settings.SATISFACTION_COUNTS_BASIC else [])


def satisfaction(department_ids, start: dt.date, end: dt.date) -> dict[int, dict]:
    """Per department, ratings given and complaints filed from `start` to `end` (both dates included).

    Ratings excluded by an upheld appeal do not count. Keys of each entry: ratings, satisfied
    (非常满意 + 满意, + 基本满意 when SHENPI_SATISFACTION_COUNTS_BASIC), satisfaction_rate, bad,
    rectified (bad with a finished follow-up), rectify_rate (差评整改率), visited, visit_rate (回访率),
    complaints. Rates are fractions 0–1, None without ratings (or without bad ones). `department_ids`
    None means every department with ratings or complaints in the period.
    """
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    until = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    good = satisfied_levels()
    ratings = Rating.objects.filter(rated_at__gte=since, rated_at__lt=until, excluded=False)
    complaints = Complaint.objects.filter(filed_at__gte=since, filed_at__lt=until)
    if department_ids is not None:
        department_ids = list(department_ids)
        ratings = ratings.filter(department_id__in=department_ids)
        complaints = complaints.filter(department_id__in=department_ids)
    bad = Q(level__in=BAD_LEVELS)
    rows = ratings.values("department_id").annotate(
        ratings=Count("id"), satisfied=Count("id", filter=Q(level__in=good)), bad=Count("id", filter=bad),
        rectified=Count("id", filter=bad & Q(follow_up__done_at__isnull=False)),
        visited=Count("id", filter=bad & Q(follow_up__visited_at__isnull=False)))
    filed = dict(complaints.values("department_id").annotate(n=Count("id")).values_list("department_id", "n"))
    keys = set(department_ids) if department_ids is not None else set(filed)
    by_department = {row["department_id"]: row for row in rows}
    keys |= set(by_department) if department_ids is None else set()
    result = {}
    for dept in keys:
        row = by_department.get(dept, {})
        n, satisfied, n_bad = row.get("ratings", 0), row.get("satisfied", 0), row.get("bad", 0)
        rectified, visited = row.get("rectified", 0), row.get("visited", 0)
        result[dept] = {
            "ratings": n, "satisfied": satisfied, "satisfaction_rate": _rate(satisfied, n),
            "bad": n_bad, "rectified": rectified, "rectify_rate": _rate(rectified, n_bad),
            "visited": visited, "visit_rate": _rate(visited, n_bad), "complaints": filed.get(dept, 0),
        }
    return result

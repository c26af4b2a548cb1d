"""网上联审: the lead department's joint review room on a stage or a case.

The lead department opens a room with the drawings (PDF), the departments it invites and a deadline
in working days; each invited department posts one opinion (revisable until the conclusion) and any
department of the room may put marks with comments on the drawings' pages; the lead concludes with
the joint opinion, printed as the 联审意见书 (shenpi.joint.review_pdf). A department that has not
posted by the deadline, or posted after it, is late: the room shows it, the document marks it and
supervision reads the invitations.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.cases import files
from shenpi.cases.models import Case
from shenpi.catalog.models import Department
from shenpi.errors import Forbidden, InvalidInput, TransitionRefused
from shenpi.notifications.services import notify
from shenpi.workdays.services import get_calendar

from . import pages
from .models import Annotation, JointReview, ReviewDocument, ReviewInvitation, SharedMaterial, Stage

MAX_LIMIT_DAYS = 30
MAX_DOCUMENTS = 10
MAX_DEPARTMENTS = 30
TITLE_MAX = JointReview._meta.get_field("title").max_length
OPINION_MAX = 5000
COMMENT_MAX = 1000
CONCLUSION_MAX = 10000
PDF = "application/pdf"
_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Told of an invitation: the department's liaison (部门联络员) and the approver in charge.
INVITED_ROLES = (Role.LIAISON, Role.APPROVER)


def _refuse(field: str, message: str):
    raise InvalidInput(message, {field: [message]})


def review_number(now: dt.datetime) -> str:
    """LS + the local date + six random characters, e.g. LS20261009K3M8QZ."""
    day = timezone.localtime(now).strftime("%Y%m%d")
    return f"LS{day}{''.join(secrets.choice(_NUMBER_ALPHABET) for _ in range(6))}"


# -- who may do what ---------------------------------------------------------------------------------

def _is_admin(user: User) -> bool:
    return user.is_superuser or user.has_role(Role.ADMIN)


def lead_of(stage: Stage | None, case: Case | None) -> Department:
    return stage.lead_department if stage is not None else case.department


def may_open(user: User, stage: Stage | None = None, case: Case | None = None) -> bool:
    """The lead department's staff (the stage's lead, the case's department) or the centre's administrator."""
    return _is_admin(user) or (user.department_id is not None
                               and user.department_id == lead_of(stage, case).pk and bool(user.role_codes()))


def in_lead(user: User, review: JointReview) -> bool:
    return user.department_id is not None and user.department_id == review.lead_department_id


def invitation_of(user: User, review: JointReview) -> ReviewInvitation | None:
    if user.department_id is None:
        return None
    return next((i for i in review.invitations.all() if i.department_id == user.department_id), None)


def may_see(user: User, review: JointReview) -> bool:
    return user.sees_all_departments or in_lead(user, review) or invitation_of(user, review) is not None


def may_post(user: User, review: JointReview) -> bool:
    return (review.state == JointReview.State.OPEN and invitation_of(user, review) is not None
            and bool(user.role_codes() - {Role.CLERK}))


def may_annotate(user: User, review: JointReview) -> bool:
    return review.state == JointReview.State.OPEN and (in_lead(user, review) or invitation_of(user, review)
                                                       is not None) and bool(user.role_codes())


def may_conclude(user: User, review: JointReview) -> bool:
    """The lead department's approver (分管领导) or whoever opened the room; the administrator too."""
    return review.state == JointReview.State.OPEN and (
        _is_admin(user) or user.pk == review.opened_by_id
        or (in_lead(user, review) and user.has_role(Role.APPROVER)))


def visible_reviews(user: User) -> QuerySet[JointReview]:
    reviews = JointReview.objects.all()
    if user.sees_all_departments:
        return reviews
    if user.department_id is None:
        return reviews.none()
    return reviews.filter(Q(lead_department_id=user.department_id)
                          | Q(invitations__department_id=user.department_id)).distinct()


# -- lateness ------------------------------------------------------------------------------------

def is_late(invitation: ReviewInvitation, review: JointReview, today: dt.date) -> bool:
    """Posted after the deadline, or not posted while the deadline has passed (or the room closed)."""
    if invitation.posted_at is not None:
        return timezone.localdate(invitation.posted_at) > review.due_on
    if review.state == JointReview.State.CONCLUDED and review.concluded_at is not None:
        # Concluded before the deadline, a silent department was not late: the lead did not wait.
        return timezone.localdate(review.concluded_at) > review.due_on
    return today > review.due_on


def late_departments(review: JointReview, today: dt.date | None = None) -> list[Department]:
    """The invited departments late with their opinion, in invitation order."""
    today = today or clock.today()
    return [i.department for i in review.invitations.select_related("department").order_by("pk")
            if is_late(i, review, today)]


def listed(reviews: QuerySet[JointReview], today: dt.date | None = None) -> list[JointReview]:
    """The reviews for a list on a page, oldest first, each with .late (its late departments): two queries."""
    today = today or clock.today()
    found = list(reviews.select_related("lead_department").prefetch_related(
        Prefetch("invitations", ReviewInvitation.objects.select_related("department").order_by("pk")))
        .order_by("opened_at", "pk"))
    for review in found:
        review.late = [i.department for i in review.invitations.all() if is_late(i, review, today)]
    return found


# -- opening --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Checked:
    checked: files.CheckedFile
    sizes: list[list[float]]


def _check_documents(uploads: Sequence) -> list[_Checked]:
    if len(uploads) > MAX_DOCUMENTS:
        _refuse("documents", f"每次联审最多上传{MAX_DOCUMENTS}份图纸材料。")
    found = []
    for upload in uploads:
        try:
            checked = files.inspect(upload)
        except InvalidInput as error:
            raise InvalidInput(error.message, {"documents": [error.message]}) from None
        if checked.kind.content_type != PDF:
            _refuse("documents", f"“{checked.original}”是{checked.kind.label}，联审图纸材料只接受PDF文件。")
        try:
            sizes = pages.page_sizes(checked.content)
        except Exception:  # PDFium could not lay the file out: the room could not show it
            _refuse("documents", f"“{checked.original}”无法显示，请重新生成PDF后上传。")
        found.append(_Checked(checked, sizes))
    return found


def _invited(departments: Iterable, lead: Department) -> list[Department]:
    chosen, seen = [], set()
    for department in departments:
        department = department if isinstance(department, Department) else Department.objects.filter(
            pk=department).first()
        if department is None:
            _refuse("departments", "所选部门不存在。")
        if department.pk == lead.pk:
            _refuse("departments", f"{lead}是牵头部门，无需邀请自己。")
        if department.pk not in seen:
            seen.add(department.pk)
            chosen.append(department)
    if not chosen:
        _refuse("departments", "请至少邀请一个部门参加联审。")
    if len(chosen) > MAX_DEPARTMENTS:
        _refuse("departments", f"每次联审最多邀请{MAX_DEPARTMENTS}个部门。")
    return chosen


def _shared_drawings(stage: Stage | None, chosen: Iterable) -> list[tuple[SharedMaterial, list[list[float]]]]:
    """The stage's shared materials brought into the room as they are (PDFs only): no upload again."""
    chosen = list(chosen or ())
    if not chosen:
        return []
    if stage is None:
        _refuse("shared", "只有阶段联审可以选用阶段的共享材料。")
    ids = [m.pk if isinstance(m, SharedMaterial) else m for m in chosen]
    found = {m.pk: m for m in stage.shared_materials.filter(pk__in=[i for i in ids if str(i).isdigit()])}
    result = []
    for pk in dict.fromkeys(ids):
        material = found.get(int(pk)) if str(pk).isdigit() else None
        if material is None:
            _refuse("shared", "所选材料不是本阶段的共享材料。")
        if material.content_type != PDF or not material.file:
            _refuse("shared", f"“{material.name}”不是PDF文件，联审图纸材料只接受PDF文件。")
        try:
            with material.file.open("rb") as handle:
                sizes = pages.page_sizes(handle.read())
        except Exception:  # missing from the storage or not laid out by PDFium
            _refuse("shared", f"“{material.name}”无法显示，请另行上传。")
        result.append((material, sizes))
    return result


def open_review(actor: User, *, stage: Stage | None = None, case: Case | None = None, title: str,
                departments: Iterable, limit_days, documents: Sequence = (), shared: Iterable = ()) -> JointReview:
    """发起网上联审 on a stage or a case: the invited departments' liaisons and approvers are told by e-mail.

    documents: uploaded drawings (PDF); shared: the stage's shared materials (PDF) to review as they are.
    """
    if (stage is None) == (case is None):
        _refuse("subject", "联审须针对一个阶段或一个办件发起。")
    if not may_open(actor, stage, case):
        raise Forbidden("网上联审须由牵头部门（阶段的牵头部门或办件的承办部门）发起。")
    if stage is not None and stage.state != Stage.State.OPEN:
        raise TransitionRefused("阶段已办结或终止，不能再发起联审。")
    lead = lead_of(stage, case)
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = ["请填写联审事项。"]
    elif len(title) > TITLE_MAX:
        errors["title"] = [f"联审事项不超过{TITLE_MAX}个字。"]
    try:
        days = int(str(limit_days).strip())
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_LIMIT_DAYS:
        errors["limit_days"] = [f"联审时限应为1至{MAX_LIMIT_DAYS}个工作日。"]
    if errors:
        raise InvalidInput("联审信息有误，请核对。", errors)
    invited = _invited(departments, lead)
    checked = _check_documents(list(documents or ()))
    reused = _shared_drawings(stage, shared)
    if len(checked) + len(reused) > MAX_DOCUMENTS:
        _refuse("documents", f"每次联审最多{MAX_DOCUMENTS}份图纸材料。")
    now = clock.now()
    due_on = get_calendar().add(timezone.localdate(now), days)
    stored = [(c, files.store(c.checked, folder="reviews")) for c in checked]
    with transaction.atomic():
        for _ in range(5):
            try:
                with transaction.atomic():
                    review = JointReview.objects.create(
                        number=review_number(now), stage=stage, case=case, title=title, lead_department=lead,
                        opened_by=actor, opened_at=now, limit_days=days, due_on=due_on)
                    break
            except IntegrityError:
                continue
        else:  # pragma: no cover - six random characters a day
            raise TransitionRefused("联审编号生成冲突，请重试。")
        for item, saved in stored:
            ReviewDocument.objects.create(
                review=review, name=saved.name, file=saved.path, content_hash=saved.digest, size=saved.size,
                pages=saved.pages or len(item.sizes), page_sizes=item.sizes, added_by=actor, added_at=now)
        for material, sizes in reused:
            ReviewDocument.objects.create(
                review=review, name=material.file_name or material.name, file=material.file.name,
                content_hash=material.content_hash, size=material.size, pages=material.pages or len(sizes),
                page_sizes=sizes, added_by=actor, added_at=now)
        ReviewInvitation.objects.bulk_create(ReviewInvitation(review=review, department=d) for d in invited)
        context = {"review_number": review.number, "title": title, "lead": lead.name,
                   "due": f"{due_on.year}年{due_on.month}月{due_on.day}日"}
        told = (User.objects.filter(department__in=invited, is_active=True, roles__code__in=INVITED_ROLES)
                .distinct().order_by("pk"))
        for person in told:
            notify("joint_review_invited", context=context, user=person, topic=f"review:{review.number}")
    return review


# -- opinions, marks, conclusion ------------------------------------------------------------------------

def _locked_open(review: JointReview) -> JointReview:
    locked = JointReview.objects.select_for_update().get(pk=review.pk)
    if locked.state != JointReview.State.OPEN:
        raise TransitionRefused("联审已出具意见，不能再修改。")
    return locked


def post_opinion(actor: User, review: JointReview, verdict: str, opinion: str) -> ReviewInvitation:
    """An invited department's opinion: one per department, revisable until the lead concludes."""
    errors: dict[str, list[str]] = {}
    if verdict not in ReviewInvitation.Verdict.values:
        errors["verdict"] = ["请选择联审结论：同意、原则同意(附意见)或不同意。"]
    opinion = (opinion or "").strip()
    if not opinion and verdict != ReviewInvitation.Verdict.AGREE:
        errors["opinion"] = ["附意见或不同意的，必须写明具体意见和理由。"]
    elif len(opinion) > OPINION_MAX:
        errors["opinion"] = [f"意见不超过{OPINION_MAX}个字。"]
    with transaction.atomic():
        review = _locked_open(review)
        invitation = invitation_of(actor, review)
        if invitation is None or not actor.role_codes() - {Role.CLERK}:
            raise Forbidden("只有受邀部门的工作人员可以提交联审意见。")
        if errors:
            raise InvalidInput("联审意见有误，请核对。", errors)
        now = clock.now()
        invitation.verdict = verdict
        invitation.opinion = opinion or "同意。"
        invitation.posted_by = actor
        if invitation.posted_at is None:
            invitation.posted_at = now
        else:
            invitation.revised_at = now
        invitation.save(update_fields=["verdict", "opinion", "posted_by", "posted_at", "revised_at"])
    return invitation


def _fraction(value, field: str, label: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and 0 <= number <= 1):
        _refuse(field, f"标注的{label}位置应在图纸页面范围内（0至1）。")
    return number


def annotate(actor: User, document: ReviewDocument, page, x, y, comment: str) -> Annotation:
    """A department's mark on a page of a drawing, with its comment, shown to every department."""
    review = document.review
    if not may_see(actor, review) or actor.department_id is None or not (
            in_lead(actor, review) or invitation_of(actor, review) is not None):
        raise Forbidden("只有牵头部门和受邀部门的工作人员可以在图纸上标注。")
    try:
        page = int(str(page))
    except (TypeError, ValueError):
        page = 0
    if not 1 <= page <= document.pages:
        _refuse("page", f"页码应为1至{document.pages}。")
    x, y = _fraction(x, "x", "横向"), _fraction(y, "y", "纵向")
    comment = (comment or "").strip()
    if not comment:
        _refuse("comment", "请填写批注内容。")
    if len(comment) > COMMENT_MAX:
        _refuse("comment", f"批注不超过{COMMENT_MAX}个字。")
    with transaction.atomic():
        _locked_open(review)
        return Annotation.objects.create(document=document, department_id=actor.department_id, author=actor,
                                         page=page, x=x, y=y, comment=comment, at=clock.now())


def conclude(actor: User, review: JointReview, conclusion: str) -> JointReview:
    """出具联审意见: allowed with departments still silent; they stay recorded as late."""
    conclusion = (conclusion or "").strip()
    with transaction.atomic():
        review = _locked_open(review)
        if not may_conclude(actor, review):
            raise Forbidden("联审意见须由牵头部门审批人或联审发起人出具。")
        if not conclusion:
            _refuse("conclusion", "请填写联审意见。")
        if len(conclusion) > CONCLUSION_MAX:
            _refuse("conclusion", f"联审意见不超过{CONCLUSION_MAX}个字。")
        review.state = JointReview.State.CONCLUDED
        review.conclusion = conclusion
        review.concluded_at = clock.now()
        review.concluded_by = actor
        review.save(update_fields=["state", "conclusion", "concluded_at", "concluded_by"])
    return review

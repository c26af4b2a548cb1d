"""一件事一次办 and project stages applied for online: apply once, follow one progress.

Applicant (real-name verified: the stage's cases are filed under the account's identifier, so 我的办件
shows them by the one rule of shenpi.applicants.services.my_cases): pick a bundle (StageTemplate kind
bundle) or a stage of the organisation's own project (entered by its code; the project's owner USCC is
the account's), answer the template's questions, upload each material of the one list once (checked by
content, stored once), save, submit. The comprehensive window pre-reviews it within PREREVIEW_DAYS
working days: accept opens the stage (shenpi.joint.services.open_stage, channel 网上申报) with the
uploads as its shared materials, one case per included item, all at once; or one correction notice
listing the materials (一次性告知); or refuse with a reason.
"""

from __future__ import annotations

import secrets

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from shenpi import clock
from shenpi.accounts import identifiers
from shenpi.accounts.models import User
from shenpi.applicants.models import Applicant
from shenpi.cases import files
from shenpi.cases import services as case_services
from shenpi.cases.models import ApplicantKind, Channel
from shenpi.catalog.services import published_version
from shenpi.errors import Forbidden, InvalidInput, ServiceError, TransitionRefused
from shenpi.joint import services as joint
from shenpi.joint.models import Project, Stage, StageItem, StageTemplate
from shenpi.notifications.services import notify
from shenpi.workdays.services import get_calendar

from .models import ApplicationEvent, StageApplication, StageApplicationEvent, StageCorrectionNotice, StageUpload
from .services import (
    _NUMBER_ALPHABET,
    PREREVIEW_DAYS,
    PROBLEM_MAX,
    TEXT_MAX,
    TITLE_MAX,
    _acts_for_all,
    _editable,
    _retire,
    _text,
    discard_draft,
    locked,
    may_prereview,
    owned_by,
    receipt_after,
    remove_draft_upload,
)

Status = StageApplication.Status
Action = ApplicationEvent.Action
Kind = StageTemplate.Kind


def new_number(moment) -> str:
    """YJ (一件事/阶段), the day, then 40 random bits."""
    return "YJ" + timezone.localtime(moment).strftime("%Y%m%d") + "".join(
        secrets.choice(_NUMBER_ALPHABET) for _ in range(8))


# -- what can be applied for ------------------------------------------------------------------------

def bundles() -> QuerySet[StageTemplate]:
    """一件事 the public may apply for: active bundle templates, with their items."""
    return (StageTemplate.objects.filter(kind=Kind.BUNDLE, active=True).select_related("lead_department")
            .prefetch_related("items__item__department").order_by("seq", "code"))


def bundle_guide(template: StageTemplate) -> dict:
    """What the guide shows of a bundle: its items (with their conditions), its total and the one list."""
    questions = {q["key"]: q.get("label", q["key"]) for q in template.questions or []}
    items = []
    for stage_item in template.items.all():
        version = published_version(stage_item.item)
        items.append({"name": version.name if version else str(stage_item.item),
                      "department": stage_item.item.department, "required": stage_item.required,
                      "condition": questions.get(stage_item.condition, "") if stage_item.condition else "",
                      "limit": version.promised_limit if version else None})
    return {"template": template, "items": items, "materials": joint.materials_needed(template, {}),
            "questions": list(questions.values())}


def project_stages(project: Project) -> list[StageTemplate]:
    """The active stage templates of the project's type, in order."""
    return list(StageTemplate.objects.filter(kind=Kind.STAGE, active=True, project_type=project.project_type)
                .select_related("lead_department").order_by("seq", "code"))


def _audience_refusal(template: StageTemplate, applicant: Applicant) -> str:
    if template.audience == "person" and applicant.kind != ApplicantKind.PERSON:
        return f"“{template.name}”仅限个人申请，请使用个人账号申报。"
    if template.audience == "organisation" and applicant.kind != ApplicantKind.ORGANISATION:
        return f"“{template.name}”仅限法人和其他组织申请，请使用法人账号申报。"
    return ""


def owns(applicant: Applicant, project: Project) -> bool:
    """An organisation's account whose USCC is the project's owner's."""
    return (applicant.kind == ApplicantKind.ORGANISATION
            and identifiers.normalise(applicant.id_number) == identifiers.normalise(project.owner_uscc))


def _may_apply(applicant: Applicant) -> None:
    if not applicant.verified:
        raise Forbidden("请先完成手机号码验证。")
    if applicant.identity_released_at is not None:
        raise Forbidden("该账号原绑定的证件号码已由持证人找回，不能再网上申报。")
    if not applicant.real_name_verified:
        raise Forbidden("一件事和项目阶段的网上申报须先完成实名认证。")


def _checked_template(template: StageTemplate, applicant: Applicant, project: Project | None) -> None:
    if not template.active:
        raise InvalidInput("该一件事/阶段已停用。", {"template": ["该一件事/阶段已停用。"]})
    if template.kind == Kind.BUNDLE:
        refusal = _audience_refusal(template, applicant)
        if refusal:
            raise InvalidInput(refusal, {"template": [refusal]})
        return
    if project is None:
        raise InvalidInput("项目审批阶段须填写项目代码。", {"code": ["请填写项目代码。"]})
    if not owns(applicant, project):
        message = "只有项目单位（统一社会信用代码与项目登记一致的法人账号）可以申报该项目的审批阶段。"
        raise Forbidden(message)
    if template.project_type_id != project.project_type_id:
        message = f"“{template.name}”不属于该项目的审批类型“{project.project_type}”。"
        raise InvalidInput(message, {"template": [message]})


def find_project(code: str) -> Project:
    project = joint.project_of(code)
    if project is None:
        message = "未找到该项目代码，请核对投资项目统一代码。"
        raise InvalidInput(message, {"code": [message]})
    return project


# -- the applicant's side ---------------------------------------------------------------------------

def applications_of(applicant: Applicant) -> QuerySet[StageApplication]:
    if applicant.identity_released_at is not None:
        return StageApplication.objects.none()
    return (StageApplication.objects.filter(applicant=applicant)
            .select_related("template", "project", "stage").order_by("-updated_at", "-pk"))


def _record(app: StageApplication, action: str, actor: User | None, before: str, ip: str | None = None,
            comment: str = "") -> StageApplicationEvent:
    name = app.applicant.name if actor is not None and actor.pk == app.applicant.user_id else str(actor or "")
    return StageApplicationEvent.objects.create(application=app, action=action, actor=actor, actor_name=name[:200],
                                                at=clock.now(), ip=ip or None, from_status=before,
                                                to_status=app.status, comment=comment)


@transaction.atomic
def start(applicant: Applicant, template: StageTemplate, *, project: Project | None = None,
          ip: str | None = None) -> StageApplication:
    """A new draft of this bundle (or of this stage of the applicant's project)."""
    _may_apply(applicant)
    if template.kind == Kind.BUNDLE:
        project = None
    _checked_template(template, applicant, project)
    now = clock.now()
    answers = {q["key"]: bool((project.answers if project else {}).get(q["key"])) for q in template.questions or []}
    for _ in range(5):
        try:
            with transaction.atomic():
                app = StageApplication.objects.create(
                    number=new_number(now), applicant=applicant, template=template, project=project,
                    title=project.name if project else "", answers=answers,
                    data={"contact_name": applicant.contact_name, "description": ""},
                    status=Status.DRAFT, created_at=now, updated_at=now)
            break
        except IntegrityError:
            continue
    else:
        raise TransitionRefused("申报编号生成冲突，请重试。")
    _record(app, Action.CREATE, applicant.user, "", ip)
    return app


def _lock(app: StageApplication | int) -> StageApplication:
    return locked(StageApplication, app, "applicant", "template", "project")


def _mine(applicant: Applicant, app: StageApplication | int) -> StageApplication:
    return owned_by(applicant, _lock(app))


def questions(app: StageApplication) -> list[dict]:
    """The template's questions with this application's answers."""
    return [{"key": q["key"], "label": q.get("label", q["key"]), "yes": bool(app.answers.get(q["key"]))}
            for q in app.template.questions or []]


@transaction.atomic
def save_draft(applicant: Applicant, app: StageApplication | int, *, title: str = "", contact_name: str = "",
               description: str = "", answers: dict | None = None) -> StageApplication:
    """保存: the form and the answers as given so far (answers decide the items and the material list)."""
    app = _mine(applicant, app)
    _editable(app)
    errors: dict[str, list[str]] = {}
    title = _text(title, TITLE_MAX, "title", "申请名称", errors)
    contact = _text(contact_name, 50, "contact_name", "联系人", errors)
    description = _text(description, TEXT_MAX, "description", "申请说明", errors)
    if errors:
        raise InvalidInput("请检查填写的内容。", errors)
    app.title = title
    app.data = {**app.data, "contact_name": contact if not applicant.is_person else applicant.name,
                "description": description}
    if answers is not None:
        if app.status == Status.CORRECTING:
            # The window reviewed the items these answers chose; a correction corrects materials only.
            keys = [q["key"] for q in app.template.questions or []]
            if any(bool(answers.get(key)) != bool(app.answers.get(key)) for key in keys):
                raise TransitionRefused("补正期间不能修改情形选择；如情形有变，请重新申报。")
        else:
            app.answers = {q["key"]: bool(answers.get(q["key"])) for q in app.template.questions or []}
    app.updated_at = clock.now()
    app.save(update_fields=["title", "data", "answers", "updated_at"])
    return app


def included(app: StageApplication) -> list[StageItem]:
    return joint.included_items(app.template, app.answers)


def _applicant_input(applicant: Applicant, app: StageApplication | None = None) -> case_services.ApplicantInput:
    contact = str((app.data if app else {}).get("contact_name") or applicant.contact_name or "")
    return case_services.ApplicantInput(kind=applicant.kind, name=applicant.name, id_number=applicant.id_number,
                                        phone=applicant.mobile, contact_name=contact)


def reused(app: StageApplication) -> dict:
    """Materials an earlier result stands in for (审批结果共享): nothing to upload for them."""
    return joint.reusable_results(app.template, app.project, _applicant_input(app.applicant, app))


def current_uploads(app: StageApplication) -> dict[str, StageUpload]:
    return {u.material: u for u in app.uploads.filter(superseded_at__isnull=True)}


def material_rows(app: StageApplication) -> list[dict]:
    """The one material list for the current answers, each with its file in force and any correction."""
    uploaded = current_uploads(app)
    reusable = reused(app)
    notice = getattr(app, "correction_notice", None) if app.status != Status.DRAFT else None
    listed = {e["name"]: e for e in notice.items} if notice else {}
    rows = []
    for name, required in joint.materials_needed(app.template, app.answers):
        upload = uploaded.get(name)
        entry = listed.get(name)
        source = reusable.get(name)
        rows.append({"name": name, "required": required, "upload": upload, "listed": entry,
                     "reused": source, "corrected": bool(entry and upload and upload.pk != entry.get("upload")),
                     "missing": required and upload is None and source is None})
    return rows


def add_upload(applicant: Applicant, app: StageApplication | int, material: str, upload) -> StageUpload:
    """上传: the file of one material of the list, checked by content and stored once."""
    checked = files.inspect(upload)  # before any lock
    stored = None
    try:
        with transaction.atomic():
            app = _mine(applicant, app)
            _editable(app)
            names = {name for name, _ in joint.materials_needed(app.template, app.answers)}
            material = str(material or "").strip()
            if material not in names:
                message = "所选材料不在本次申报的材料清单中。"
                raise InvalidInput(message, {"file": [message]})
            if app.status == Status.CORRECTING and material not in app.correction_notice.names():
                message = "补正期间只能重新上传补正告知所列的材料。"
                raise InvalidInput(message, {"file": [message]})
            now = clock.now()
            previous = app.uploads.filter(material=material, superseded_at__isnull=True).first()
            if previous is not None:
                _retire(app, previous, now)
            stored = files.store(checked, folder="online")
            row = StageUpload.objects.create(
                application=app, material=material, file=stored.path, name=stored.name,
                content_type=stored.content_type, size=stored.size, pages=stored.pages, digest=stored.digest,
                uploaded_at=now)
            app.updated_at = now
            app.save(update_fields=["updated_at"])
    except BaseException:
        if stored is not None:
            default_storage.delete(stored.path)
        raise
    return row


@transaction.atomic
def remove_upload(applicant: Applicant, app: StageApplication | int, upload_id) -> None:
    remove_draft_upload(_mine(applicant, app), upload_id)


@transaction.atomic
def discard(applicant: Applicant, app: StageApplication | int) -> None:
    discard_draft(_mine(applicant, app))


def _problems(app: StageApplication) -> dict[str, list[str]]:
    """Why the application cannot go to the window as it stands (empty: it can)."""
    applicant = app.applicant
    errors: dict[str, list[str]] = {}
    try:
        _may_apply(applicant)
        _checked_template(app.template, applicant, app.project)
    except ServiceError as error:
        errors["template"] = [error.message]
        return errors
    if not app.title.strip():
        errors["title"] = ["请填写申请名称。"]
    if not applicant.is_person and not str(app.data.get("contact_name") or "").strip():
        errors["contact_name"] = ["请填写联系人。"]
    items = included(app)
    if not items:
        errors["answers"] = ["按所选情形，没有需要办理的事项。"]
    for stage_item in items:
        version = published_version(stage_item.item)
        if version is None:
            errors.setdefault("template", []).append(f"事项“{stage_item.item}”暂停办理，请联系综合窗口。")
        elif version.audience_refusal(applicant.kind):
            errors.setdefault("template", []).append(version.audience_refusal(applicant.kind))
    missing = [row["name"] for row in material_rows(app) if row["missing"]]
    if missing:
        errors["materials"] = [f"请上传以下必需材料：{'、'.join(missing)}。"]
    if app.project is not None and app.project.stages.filter(template=app.template, state=Stage.State.OPEN).exists():
        errors.setdefault("template", []).append(f"该项目已有办理中的“{app.template.name}”，不能重复申报。")
    return errors


@transaction.atomic
def submit(applicant: Applicant, app: StageApplication | int, ip: str | None = None) -> StageApplication:
    """提交 (or 补正后重新提交): into the comprehensive window's pre-review, due in PREREVIEW_DAYS working days."""
    app = _mine(applicant, app)
    _editable(app)
    errors = _problems(app)
    if app.status == Status.CORRECTING:
        stale = [row["name"] for row in material_rows(app) if row["listed"] and not row["corrected"]]
        if stale:
            errors.setdefault("materials", []).append(f"请按补正告知重新上传：{'、'.join(stale)}。")
    if errors:
        raise InvalidInput("申请尚未填写完整，不能提交。", errors)
    now = clock.now()
    before = app.status
    app.status = Status.SUBMITTED
    app.submitted_at = now
    app.first_submitted_at = app.first_submitted_at or now
    app.prereview_due = get_calendar().add(timezone.localdate(now), PREREVIEW_DAYS)
    app.updated_at = now
    app.save(update_fields=["status", "submitted_at", "first_submitted_at", "prereview_due", "updated_at"])
    _record(app, Action.RESUBMIT if before == Status.CORRECTING else Action.SUBMIT, applicant.user, before, ip)
    return app


# -- the comprehensive window's side: 预审 ------------------------------------------------------------

def may_prereview_stages(user: User) -> bool:
    """A stage opens cases in several departments at once: the comprehensive window pre-reviews it."""
    return may_prereview(user) and _acts_for_all(user)


def prereview_scope(user: User) -> QuerySet[StageApplication]:
    applications = StageApplication.objects.exclude(status=Status.DRAFT)
    return applications if may_prereview_stages(user) else applications.none()


def prereview_queue(user: User, status: str = Status.SUBMITTED) -> QuerySet[StageApplication]:
    applications = prereview_scope(user).filter(status=status).select_related("template", "project", "applicant",
                                                                               "stage")
    if status == Status.SUBMITTED:
        return applications.order_by("submitted_at", "pk")
    if status == Status.CORRECTING:
        return applications.order_by("-correction_notice__issued_at", "-pk")
    return applications.order_by("-decided_at", "-pk")


def queue_counts(user: User) -> dict[str, int]:
    grouped = prereview_scope(user).order_by().values("status").annotate(n=Count("pk"))
    counts = {row["status"]: row["n"] for row in grouped}
    return {status: counts.get(status, 0) for status in (Status.SUBMITTED, Status.CORRECTING, Status.ACCEPTED,
                                                         Status.REFUSED)}


def _authorise(user: User) -> None:
    if not may_prereview_stages(user):
        raise Forbidden("一件事和项目阶段的网上申报由综合窗口预审。")


def _waiting(app: StageApplication, what: str, *also: str) -> None:
    if app.status not in (Status.SUBMITTED, *also):
        raise TransitionRefused(f"申请当前为“{app.get_status_display()}”，不能{what}。")


def _tell(app: StageApplication, template: str, **kw) -> None:
    applicant = app.applicant
    notify(template, user=applicant.user, mobile=applicant.mobile, topic=f"stage-application:{app.pk}", **kw)


def accept(app: StageApplication | int, actor: User, ip: str | None = None) -> Stage:
    """预审通过: open the stage from the one form and the uploads, every case received and accepted at once
    (channel 网上申报); the applicant hears of each case's acceptance by SMS, as at the window."""
    with transaction.atomic():
        app = _lock(app)
        _authorise(actor)
        _waiting(app, "受理")
        errors = _problems(app)
        if errors:
            message = "；".join(m for messages in errors.values() for m in messages)
            raise TransitionRefused(f"不能受理：{message}")
        uploads = current_uploads(app)
        needed = {name for name, _ in joint.materials_needed(app.template, app.answers)}
        shared = {name: files.StoredFile(path=u.file.name, name=u.name, content_type=u.content_type, size=u.size,
                                         pages=u.pages, digest=u.digest)
                  for name, u in uploads.items() if name in needed}
        form = {"application": app.number, "title": app.title, "contact_name": app.data.get("contact_name", ""),
                "description": app.data.get("description", "")}
        notice = StageCorrectionNotice.objects.filter(application=app).first()
        stage = joint.open_stage(actor=actor, template=app.template, applicant=_applicant_input(app.applicant, app),
                                 project=app.project, answers=app.answers, form=form, shared=shared,
                                 channel=Channel.ONLINE, ip=ip,
                                 received_at=receipt_after(app, notice))
        before = app.status
        app.status, app.stage, app.decided_at, app.decided_by = Status.ACCEPTED, stage, clock.now(), actor
        app.save(update_fields=["status", "stage", "decided_at", "decided_by"])
        _record(app, Action.ACCEPT, actor, before, ip, f"阶段编号 {stage.number}，{stage.parts.count()}件办件同时受理")
    return stage


def request_correction(app: StageApplication | int, actor: User, items, note: str = "",
                       ip: str | None = None) -> StageCorrectionNotice:
    """一次性告知: every material to correct in one notice; a second notice is refused."""
    refused = "一次性告知：本申请已出具过补正告知，不能再次要求补正。"
    with transaction.atomic():
        app = _lock(app)
        _authorise(actor)
        _waiting(app, "要求补正")
        if StageCorrectionNotice.objects.filter(application=app).exists():
            raise TransitionRefused(refused)
        rows = {row["name"]: row for row in material_rows(app)}
        listed: dict[str, dict] = {}
        for entry in items or []:
            name = str((entry or {}).get("name") or "")
            if name not in rows:
                message = "所列材料不在本次申报的材料清单中。"
                raise InvalidInput(message, {"items": [message]})
            upload = rows[name]["upload"]
            problem = str(entry.get("problem") or "").strip()[:PROBLEM_MAX] or (
                "材料不符合要求" if upload else "未提交")
            listed[name] = {"name": name, "problem": problem, "upload": upload.pk if upload else None}
        if not listed:
            message = "请列出全部需要补正的材料及问题（一次性告知）。"
            raise InvalidInput(message, {"items": [message]})
        errors: dict[str, list[str]] = {}
        note = _text(note, TEXT_MAX, "note", "说明", errors)
        if errors:
            raise InvalidInput("请检查填写的内容。", errors)
        ordered = [listed[name] for name in rows if name in listed]
        try:
            with transaction.atomic():
                notice = StageCorrectionNotice.objects.create(application=app, items=ordered, note=note,
                                                              issued_at=clock.now(), issued_by=actor)
        except IntegrityError:
            raise TransitionRefused(refused) from None
        before = app.status
        app.status = Status.CORRECTING
        app.save(update_fields=["status"])
        _record(app, Action.REQUEST_CORRECTION, actor, before, ip,
                "；".join(f"{e['name']}：{e['problem']}" for e in ordered))
        _tell(app, "correction_requested", context={
            "case": app, "materials": [f"{e['name']}（{e['problem']}）" for e in ordered], "note": note})
    return notice


def refuse(app: StageApplication | int, actor: User, reason: str, ip: str | None = None) -> StageApplication:
    """不予受理, with the reason the applicant is told."""
    with transaction.atomic():
        app = _lock(app)
        _authorise(actor)
        _waiting(app, "不予受理", Status.CORRECTING)
        reason = str(reason or "").strip()
        if not reason or len(reason) > TEXT_MAX:
            message = "不予受理必须写明理由。" if not reason else f"理由不能超过{TEXT_MAX}个字。"
            raise InvalidInput(message, {"reason": [message]})
        before = app.status
        app.status, app.refusal_reason = Status.REFUSED, reason
        app.decided_at, app.decided_by = clock.now(), actor
        app.save(update_fields=["status", "refusal_reason", "decided_at", "decided_by"])
        _record(app, Action.REFUSE, actor, before, ip, reason)
        _tell(app, "case_refused", context={"case": app, "reason": reason})
    return app

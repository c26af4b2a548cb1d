"""网上申报 and 预审: what the applicant and the window do with an online application.

Applicant: start a draft for an item that can be applied for online (网办深度 ≥ 三级), fill the
form, upload each material, save, submit; after a correction notice, replace what it lists and
submit again. Window (预审, within PREREVIEW_DAYS working days of submission, oldest first):
accept into a normal case (shenpi.cases.services.receive with channel 网上申报, then 受理),
or one correction notice listing everything (一次性告知), or refuse with a reason.

Every operation is one transaction; the applicant is told by SMS in the same transaction.
"""

from __future__ import annotations

import secrets

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.applicants.models import Applicant
from shenpi.cases import files
from shenpi.cases import services as case_services
from shenpi.cases.lifecycle import CORRECTION_NOTICE_DAYS
from shenpi.cases.models import Case, Channel, ClockStop, State
from shenpi.catalog.models import Item, ItemVersion, MaterialSpec
from shenpi.errors import Forbidden, InvalidInput, TransitionRefused
from shenpi.licences import library as licence_library
from shenpi.notifications.services import notify
from shenpi.workdays.services import get_calendar

from .models import ApplicationEvent, CorrectionNotice, OnlineApplication, Upload

Status = OnlineApplication.Status
Action = ApplicationEvent.Action

# 即收即审: the window pre-reviews within two working days of submission.
PREREVIEW_DAYS = 2
APPLY_DEPTH = ItemVersion.OnlineDepth.APPLY
TITLE_MAX = 200
CONTACT_MAX = 50
TEXT_MAX = 2000
PROBLEM_MAX = 300
_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32: no I, L, O, U


def new_number(moment) -> str:
    """WS, the day, then 40 random bits: sortable by day, not guessable."""
    return "WS" + timezone.localtime(moment).strftime("%Y%m%d") + "".join(
        secrets.choice(_NUMBER_ALPHABET) for _ in range(8))


# -- what can be applied for online ----------------------------------------------------------------

def applyable_items(search: str = "", applicant: Applicant | None = None) -> QuerySet[Item]:
    """Items whose published version takes online applications (网办深度三级及以上); for a signed-in
    applicant only those their kind may apply for (an individual is not offered 商品房预售许可)."""
    published = ItemVersion.objects.current_of(OuterRef("pk"))
    items = Item.objects.annotate(
        current_name=Subquery(published.values("name")[:1]),
        current_depth=Subquery(published.values("online_depth")[:1]),
        current_limit=Subquery(published.values("promised_limit")[:1]),
        current_audience=Subquery(published.values("audience")[:1]),
    ).filter(current_depth__gte=APPLY_DEPTH)
    if applicant is not None:
        items = items.filter(current_audience__in=ItemVersion.audiences_for(applicant.kind))
    search = (search or "").strip()
    if search:
        items = items.filter(Q(current_name__icontains=search) | Q(code__icontains=search))
    return items.select_related("department").order_by("department__sort", "department__code", "code")


def _open_version(item: Item) -> ItemVersion:
    version = item.current_version()
    if version is None or version.online_depth < APPLY_DEPTH:
        message = "该事项暂不支持网上申报，请按办事指南到窗口办理。"
        raise InvalidInput(message, {"item": [message]})
    return version


def audience_refusal(version: ItemVersion, applicant: Applicant) -> str:
    """The item's 服务对象 against the account's kind: why this account may not apply, or ""."""
    refusal = version.audience_refusal(applicant.kind)
    if not refusal:
        return ""
    account = "个人" if version.audience == ItemVersion.Audience.PERSON else "法人"
    return f"{refusal}请使用{account}账号申报。"


# -- the applicant's side --------------------------------------------------------------------------

def applications_of(applicant: Applicant) -> QuerySet[OnlineApplication]:
    """The account's own applications; none once its identifier was reclaimed (they were filed under it)."""
    if applicant.identity_released_at is not None:
        return OnlineApplication.objects.none()
    return (OnlineApplication.objects.filter(applicant=applicant)
            .select_related("version", "item", "department", "case").order_by("-updated_at", "-pk"))


def _record(app: OnlineApplication, action: str, actor: User | None, before: str, ip: str | None = None,
            comment: str = "") -> ApplicationEvent:
    name = app.applicant.name if actor is not None and actor.pk == app.applicant.user_id else str(actor or "")
    return ApplicationEvent.objects.create(application=app, action=action, actor=actor, actor_name=name[:200],
                                           at=clock.now(), ip=ip or None, from_status=before, to_status=app.status,
                                           comment=comment)


@transaction.atomic
def start(applicant: Applicant, item: Item, ip: str | None = None) -> OnlineApplication:
    """A new draft for this item, with the applicant's details taken from the account."""
    if not applicant.verified:
        raise Forbidden("请先完成手机号码验证。")
    if applicant.identity_released_at is not None:
        raise Forbidden("该账号原绑定的证件号码已由持证人找回，不能再网上申报。")
    version = _open_version(item)
    refusal = audience_refusal(version, applicant)
    if refusal:
        raise InvalidInput(refusal, {"item": [refusal]})
    now = clock.now()
    for _ in range(5):
        try:
            with transaction.atomic():
                app = OnlineApplication.objects.create(
                    number=new_number(now), applicant=applicant, item=item, version=version,
                    department_id=item.department_id, data={"contact_name": applicant.contact_name, "description": ""},
                    status=Status.DRAFT, created_at=now, updated_at=now)
            break
        except IntegrityError:
            continue
    else:
        raise TransitionRefused("申报编号生成冲突，请重试。")
    _record(app, Action.CREATE, applicant.user, "", ip)
    return app


def _lock(app: OnlineApplication | int) -> OnlineApplication:
    """The application's row, locked to the end of the transaction: two clerks cannot both decide."""
    return locked(OnlineApplication, app, "applicant", "version", "item")


def locked(model, app, *related: str):
    """An online application's row (of an item or a stage), locked to the end of the transaction."""
    pk = app.pk if isinstance(app, model) else app
    try:
        return model.objects.select_for_update(of=("self",)).select_related(*related).get(pk=pk)
    except model.DoesNotExist:
        raise InvalidInput("网上申报不存在。", {"application": ["网上申报不存在。"]}) from None


def _mine(applicant: Applicant, app: OnlineApplication | int) -> OnlineApplication:
    return owned_by(applicant, _lock(app))


def owned_by(applicant: Applicant, app):
    """The application, if it is the applicant's own (and their identity still theirs)."""
    if app.applicant_id != applicant.pk or applicant.identity_released_at is not None:
        raise Forbidden("这不是您的申请。")
    return app


def _editable(app: OnlineApplication) -> None:
    if not app.editable:
        raise TransitionRefused(f"申请当前为“{app.get_status_display()}”，不能修改。")


def _text(value, limit: int, field: str, label: str, errors: dict[str, list[str]]) -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        errors.setdefault(field, []).append(f"{label}不能超过{limit}个字。")
    return text


@transaction.atomic
def save_draft(applicant: Applicant, app: OnlineApplication | int, *, title: str = "", contact_name: str = "",
               description: str = "") -> OnlineApplication:
    """保存: the form as typed so far; completeness is checked on submission."""
    app = _mine(applicant, app)
    _editable(app)
    errors: dict[str, list[str]] = {}
    title = _text(title, TITLE_MAX, "title", "申请事项/项目名称", errors)
    contact = _text(contact_name, CONTACT_MAX, "contact_name", "联系人", errors)
    description = _text(description, TEXT_MAX, "description", "申请说明", errors)
    if errors:
        raise InvalidInput("请检查填写的内容。", errors)
    app.title = title
    app.data = {**app.data, "contact_name": contact if not applicant.is_person else applicant.name,
                "description": description}
    app.updated_at = clock.now()
    app.save(update_fields=["title", "data", "updated_at"])
    return app


def current_uploads(app: OnlineApplication) -> dict[int, Upload]:
    """The file in force for each material (earlier files replaced after submission are kept aside)."""
    return {u.spec_id: u for u in app.uploads.filter(superseded_at__isnull=True)}


def _spec_of(app: OnlineApplication, spec_id) -> MaterialSpec:
    try:
        return app.version.materials.get(pk=int(spec_id))
    except (TypeError, ValueError, MaterialSpec.DoesNotExist):
        message = "所选材料不属于该事项。"
        raise InvalidInput(message, {"file": [message]}) from None


def add_upload(applicant: Applicant, app: OnlineApplication | int, spec_id, upload) -> Upload:
    """上传: the file for one material, checked by content; it replaces the material's earlier file."""
    checked = files.inspect(upload)  # before any lock: reading a 20 MB PDF must not hold the row
    with transaction.atomic():
        app = _mine(applicant, app)
        _editable(app)
        spec = _spec_of(app, spec_id)
        if app.status == Status.CORRECTING and spec.pk not in app.correction_notice.spec_ids():
            message = "补正期间只能重新上传补正告知所列的材料。"
            raise InvalidInput(message, {"file": [message]})
        now = clock.now()
        previous = app.uploads.filter(spec=spec, superseded_at__isnull=True).first()
        if previous is not None:
            _retire(app, previous, now)
        row = Upload(application=app, spec=spec, name=checked.name, content_type=checked.kind.content_type,
                     size=checked.size, pages=checked.pages, digest=checked.digest, uploaded_at=now)
        row.file.save(secrets.token_hex(16) + checked.kind.extension, ContentFile(checked.content), save=False)
        try:
            row.save()
            app.updated_at = now
            app.save(update_fields=["updated_at"])
        except BaseException:
            row.file.delete(save=False)
            raise
    return row


def _retire(app: OnlineApplication, upload: Upload, now) -> None:
    """Before the first submission a replaced file is simply gone; afterwards the window may have seen it."""
    if app.first_submitted_at is None:
        name = upload.file.name
        upload.delete()
        transaction.on_commit(lambda: default_storage.delete(name))
    else:
        upload.superseded_at = now
        upload.save(update_fields=["superseded_at"])


@transaction.atomic
def remove_upload(applicant: Applicant, app: OnlineApplication | int, upload_id) -> None:
    remove_draft_upload(_mine(applicant, app), upload_id)


def remove_draft_upload(app, upload_id) -> None:
    """A file taken off a draft (an item's or a stage's online application, the applicant's own)."""
    if app.status != Status.DRAFT:
        raise TransitionRefused("申请提交后不能删除材料；补正时请重新上传替换。")
    upload = app.uploads.filter(pk=upload_id, superseded_at__isnull=True).first()
    if upload is None:
        raise InvalidInput("该文件不存在。", {"file": ["该文件不存在。"]})
    _retire(app, upload, clock.now())
    app.updated_at = clock.now()
    app.save(update_fields=["updated_at"])


@transaction.atomic
def discard(applicant: Applicant, app: OnlineApplication | int) -> None:
    """删除草稿: only what was never submitted can disappear."""
    discard_draft(_mine(applicant, app))


def discard_draft(app) -> None:
    """A draft deleted with its files, once the transaction commits (any online application)."""
    if app.status != Status.DRAFT:
        raise TransitionRefused("只能删除未提交的草稿。")
    names = [u.file.name for u in app.uploads.all()]
    app.delete()
    transaction.on_commit(lambda: [default_storage.delete(name) for name in names])


def held_licences(app: OnlineApplication) -> dict[int, object]:
    """一证通办: the materials a real-name verified applicant already holds as a valid e-licence,
    {spec pk: licence}; they are cited when the case is received, never asked for. (Before 实名认证
    the account's ID number is only claimed, so it does not open anyone's licences.)"""
    applicant = app.applicant
    if not (applicant.real_name_verified and applicant.identity_released_at is None):
        return {}
    return licence_library.citable(list(app.version.materials.all()), applicant.id_index)


def deferring(app: OnlineApplication) -> list[str]:
    """Required materials allowed 容缺 and not uploaded: they follow after acceptance, on commitment."""
    uploaded, held = current_uploads(app), held_licences(app)
    return [s.name for s in app.version.materials.all()
            if s.required and s.deferrable and s.pk not in uploaded and s.pk not in held]


def _missing_for_submission(app: OnlineApplication) -> list[str]:
    """Required materials without a file (nor a licence held); those allowed 容缺 may follow after acceptance."""
    uploaded, held = current_uploads(app), held_licences(app)
    return [s.name for s in app.version.materials.all()
            if s.required and not s.deferrable and s.pk not in uploaded and s.pk not in held]


def _corrected(entry: dict, uploaded: dict[int, Upload]) -> bool:
    """A listed material has a file other than the one the window saw when it wrote the notice."""
    current = uploaded.get(int(entry["spec"]))
    return current is not None and current.pk != entry.get("upload")


def _not_corrected(app: OnlineApplication) -> list[str]:
    """Materials the correction notice lists that have no new file since the notice."""
    uploaded = current_uploads(app)
    return [entry["name"] for entry in app.correction_notice.items if not _corrected(entry, uploaded)]


@transaction.atomic
def submit(applicant: Applicant, app: OnlineApplication | int, ip: str | None = None, *,
           commitment: bool = False) -> OnlineApplication:
    """提交 (or 补正后重新提交): into the window's pre-review queue, due in PREREVIEW_DAYS working days.

    `commitment`: the applicant's commitment (容缺受理承诺) to bring the required materials allowed 容缺
    that are not uploaded, within the item's time after acceptance; needed when there are any."""
    app = _mine(applicant, app)
    _editable(app)
    current = app.item.current_version()
    if current is None or current.pk != app.version_id or current.online_depth < APPLY_DEPTH:
        raise TransitionRefused("该事项的办事指南已更新或已停止网上申报，请按最新办事指南重新申报。")
    refusal = audience_refusal(current, applicant)
    if refusal:
        raise InvalidInput(refusal, {"item": [refusal]})
    errors: dict[str, list[str]] = {}
    if not app.title.strip():
        errors["title"] = ["请填写申请事项/项目名称。"]
    if not applicant.is_person and not str(app.data.get("contact_name") or "").strip():
        errors["contact_name"] = ["请填写联系人。"]
    missing = _missing_for_submission(app)
    if missing:
        errors.setdefault("materials", []).append(f"请上传以下必需材料：{'、'.join(missing)}。")
    deferred = deferring(app)
    earlier = app.data.get("deferral_commitment") or {}
    # A resubmission after correction keeps the commitment already given for the same materials.
    commitment = commitment or bool(deferred) and set(deferred) <= set(earlier.get("materials") or [])
    if deferred and not commitment:
        errors["deferral_commitment"] = [f"{'、'.join(deferred)}可容缺后补：请勾选容缺受理承诺，或上传这些材料。"]
    if app.status == Status.CORRECTING:
        stale = _not_corrected(app)
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
    app.data = {key: value for key, value in app.data.items() if key != "deferral_commitment"}
    if deferred:
        app.data["deferral_commitment"] = {"materials": deferred, "at": earlier.get("at") or now.isoformat()}
    app.save(update_fields=["status", "submitted_at", "first_submitted_at", "prereview_due", "updated_at", "data"])
    _record(app, Action.RESUBMIT if before == Status.CORRECTING else Action.SUBMIT, applicant.user, before, ip)
    return app


# -- the window's side: 预审 -----------------------------------------------------------------------

def legal_receipt(app: OnlineApplication):
    """When the organ received the application (行政许可法 art. 32): the first submission, unless a
    correction notice went out within 5 working days of it — then the corrected submission."""
    return receipt_after(app, CorrectionNotice.objects.filter(application=app).first())


def receipt_after(app, notice):
    """legal_receipt() of any online application (single item or stage) given its correction notice."""
    if notice is None:
        return app.first_submitted_at
    deadline = get_calendar().add(timezone.localdate(app.first_submitted_at), CORRECTION_NOTICE_DAYS)
    return app.submitted_at if timezone.localdate(notice.issued_at) <= deadline else app.first_submitted_at


def may_prereview(user: User) -> bool:
    """Window clerks pre-review, like they receive at the window."""
    return bool(user.is_active and (user.is_superuser or user.has_role(Role.CLERK)))


def _acts_for_all(user: User) -> bool:
    return user.is_superuser or bool(user.department_id and user.department.comprehensive)


def prereview_scope(user: User) -> QuerySet[OnlineApplication]:
    """The applications this user may pre-review: their department's, or all at a comprehensive window."""
    applications = OnlineApplication.objects.exclude(status=Status.DRAFT)
    if not may_prereview(user):
        return applications.none()
    if _acts_for_all(user):
        return applications
    if not user.department_id:
        return applications.none()
    return applications.filter(department_id=user.department_id)


QUEUES = {
    Status.SUBMITTED: "待预审",
    Status.CORRECTING: "待申请人补正",
    Status.ACCEPTED: "已受理",
    Status.REFUSED: "不予受理",
}


def prereview_queue(user: User, status: str = Status.SUBMITTED) -> QuerySet[OnlineApplication]:
    """One tab of the queue; waiting ones oldest first (即收即审), decided ones latest first."""
    applications = prereview_scope(user).filter(status=status).select_related(
        "version", "item", "department", "applicant", "case")
    if status == Status.SUBMITTED:
        return applications.order_by("submitted_at", "pk")
    if status == Status.CORRECTING:
        return applications.order_by("-correction_notice__issued_at", "-pk")
    return applications.order_by("-decided_at", "-pk")


def queue_counts(user: User) -> dict[str, int]:
    grouped = prereview_scope(user).order_by().values("status").annotate(n=Count("pk"))
    counts = {row["status"]: row["n"] for row in grouped}
    return {status: counts.get(status, 0) for status in QUEUES}


def _authorise(user: User, app: OnlineApplication) -> None:
    if not may_prereview(user):
        raise Forbidden("网上预审须由窗口人员办理。")
    if not (_acts_for_all(user) or user.department_id == app.department_id):
        raise Forbidden("您不能预审其他部门事项的网上申报。")


def _waiting(app: OnlineApplication, what: str, *also: str) -> None:
    if app.status not in (Status.SUBMITTED, *also):
        raise TransitionRefused(f"申请当前为“{app.get_status_display()}”，不能{what}。")


def _tell(app: OnlineApplication, template: str, **kw) -> None:
    applicant = app.applicant
    notify(template, user=applicant.user, mobile=applicant.mobile, topic=f"online:{app.pk}", **kw)


def accept(app: OnlineApplication | int, actor: User, ip: str | None = None) -> Case:
    """预审通过: receive the application as a case (网上申报) and accept it, all in one transaction."""
    with transaction.atomic():
        app = _lock(app)
        _authorise(actor, app)
        _waiting(app, "受理")
        current = app.item.current_version()
        if current is None or current.pk != app.version_id:
            raise TransitionRefused("该事项在申请提交后已发布新版本，不能按原版本受理；请告知申请人补正或不予受理。")
        uploads = current_uploads(app)
        materials: dict[int, dict] = {}
        for spec in app.version.materials.all():
            if spec.pk in uploads:
                materials[spec.pk] = {"received": True}
            elif spec.required and spec.deferrable:
                materials[spec.pk] = {"deferred": True}  # 容缺受理: brought after acceptance
        applicant = app.applicant
        case = case_services.receive(
            actor=actor, item=app.item, channel=Channel.ONLINE, title=app.title, ip=ip, materials=materials,
            received_at=legal_receipt(app),
            applicant=case_services.ApplicantInput(
                kind=applicant.kind, name=applicant.name, id_number=applicant.id_number, phone=applicant.mobile,
                contact_name=str(app.data.get("contact_name") or applicant.contact_name)))
        # 容缺: the commitment the applicant gave when submitting (see submit) goes on record with the case.
        commitment = {"commitment": bool(app.data.get("deferral_commitment")), "commitment_signer": applicant.name}
        case = case_services.perform(case, "accept", actor=actor, ip=ip, params=commitment,
                                     expected_version=case.row_version)
        _attach(case, uploads)
        before = app.status
        app.status, app.case, app.decided_at, app.decided_by = Status.ACCEPTED, case, clock.now(), actor
        app.save(update_fields=["status", "case", "decided_at", "decided_by"])
        # The applicant hears of it from perform("accept") itself: the SMS case_accepted goes to the
        # case's contact phone, which is the verified mobile, in this same transaction.
        _record(app, Action.ACCEPT, actor, before, ip, f"办件编号 {case.number}")
    return case


def _attach(case: Case, uploads: dict[int, Upload]) -> None:
    """The case's materials point at the uploaded files (stored once) with their SM3 digests."""
    for material in case.materials.filter(spec_id__in=list(uploads)):
        upload = uploads[material.spec_id]
        material.file.name = upload.file.name
        material.file_name = upload.name
        material.content_hash = upload.digest
        material.content_type = upload.content_type
        material.size = upload.size
        material.pages = upload.pages
        material.note = f"网上申报电子材料：{upload.name}"[:300]
        material.save(update_fields=["file", "file_name", "content_hash", "content_type", "size", "pages", "note"])


def _correction_items(app: OnlineApplication, items) -> list[dict]:
    specs = {s.pk: s for s in app.version.materials.all()}
    uploaded = current_uploads(app)
    listed: dict[int, dict] = {}
    for entry in items or []:
        try:
            spec = specs[int(entry.get("spec"))]
        except (AttributeError, TypeError, ValueError, KeyError):
            message = "所列材料不属于该事项。"
            raise InvalidInput(message, {"items": [message]}) from None
        problem = str(entry.get("problem") or "").strip()[:PROBLEM_MAX]
        if not problem:
            problem = "材料不符合要求" if spec.pk in uploaded else "未提交"
        # The file the window saw: the material counts as corrected once another file replaces it.
        seen = uploaded[spec.pk].pk if spec.pk in uploaded else None
        listed[spec.pk] = {"spec": spec.pk, "name": spec.name, "problem": problem, "upload": seen}
    if not listed:
        message = "请列出全部需要补正的材料及问题（一次性告知）。"
        raise InvalidInput(message, {"items": [message]})
    return [listed[pk] for pk in sorted(listed, key=lambda pk: (specs[pk].seq, pk))]


def request_correction(app: OnlineApplication | int, actor: User, items, note: str = "",
                       ip: str | None = None) -> CorrectionNotice:
    """一次性告知: every missing or wrong material in one notice; a second notice is refused."""
    refused = "一次性告知：本申请已出具过补正告知，不能再次要求补正。"
    with transaction.atomic():
        app = _lock(app)
        _authorise(actor, app)
        _waiting(app, "要求补正")
        if CorrectionNotice.objects.filter(application=app).exists():
            raise TransitionRefused(refused)
        listed = _correction_items(app, items)
        errors: dict[str, list[str]] = {}
        note = _text(note, TEXT_MAX, "note", "说明", errors)
        if errors:
            raise InvalidInput("请检查填写的内容。", errors)
        try:
            with transaction.atomic():
                notice = CorrectionNotice.objects.create(application=app, items=listed, note=note,
                                                         issued_at=clock.now(), issued_by=actor)
        except IntegrityError:
            raise TransitionRefused(refused) from None
        before = app.status
        app.status = Status.CORRECTING
        app.save(update_fields=["status"])
        summary = "；".join(f"{entry['name']}：{entry['problem']}" for entry in listed)
        _record(app, Action.REQUEST_CORRECTION, actor, before, ip, summary)
        _tell(app, "correction_requested", context={
            "case": app, "materials": [f"{entry['name']}（{entry['problem']}）" for entry in listed], "note": note})
    return notice


def refuse(app: OnlineApplication | int, actor: User, reason: str, ip: str | None = None) -> OnlineApplication:
    """不予受理, with the reason the applicant is told."""
    with transaction.atomic():
        app = _lock(app)
        _authorise(actor, app)
        _waiting(app, "不予受理", Status.CORRECTING)
        errors: dict[str, list[str]] = {}
        reason = _text(reason, TEXT_MAX, "reason", "理由", errors)
        if not reason:
            errors.setdefault("reason", []).append("不予受理必须写明理由。")
        if errors:
            raise InvalidInput(errors["reason"][0], errors)
        before = app.status
        app.status, app.refusal_reason = Status.REFUSED, reason
        app.decided_at, app.decided_by = clock.now(), actor
        app.save(update_fields=["status", "refusal_reason", "decided_at", "decided_by"])
        _record(app, Action.REFUSE, actor, before, ip, reason)
        _tell(app, "case_refused", context={"case": app, "reason": reason})
    return app


def attach_summary(app: OnlineApplication) -> list[dict]:
    """Each material of the version with its file in force, for the pages of both sides."""
    uploaded = current_uploads(app)
    notice = getattr(app, "correction_notice", None) if app.status != Status.DRAFT else None
    listed = {int(e["spec"]): e for e in notice.items} if notice else {}
    held = held_licences(app) if app.status in (Status.DRAFT, Status.SUBMITTED, Status.CORRECTING) else {}
    rows = []
    for spec in app.version.materials.all():
        upload = uploaded.get(spec.pk)
        entry = listed.get(spec.pk)
        rows.append({
            "spec": spec, "upload": upload, "listed": entry,
            "corrected": bool(entry and _corrected(entry, uploaded)),
            "missing": spec.required and upload is None and spec.pk not in held,
            "licence": held.get(spec.pk) if upload is None else None,
        })
    return rows



# -- 补件 during processing, answered online -----------------------------------------------------------

def open_supplement(case: Case) -> ClockStop | None:
    """The 补件 the applicant may answer online: open, and listing its materials."""
    stop = case.clock_stops.filter(ended_at__isnull=True, kind__isnull=True).order_by("-pk").first()
    return stop if stop is not None and stop.materials and case.state == State.SUSPENDED else None


def _checked(uploads: dict, prefix: str = "file") -> dict:
    """Every chosen file checked by its content (files.inspect); all refusals named at once, by field."""
    errors: dict[str, list[str]] = {}
    checked: dict = {}
    for key, upload in sorted(uploads.items()):
        if upload is None:
            continue
        try:
            checked[key] = files.inspect(upload)
        except InvalidInput as error:
            errors[f"{prefix}-{key}"] = error.fields.get("file") or [error.message]
    if errors:
        raise InvalidInput("所选文件不符合要求，请重新选择。", errors)
    return checked


def _comment(comment: str, label: str) -> str:
    text = str(comment or "").strip()
    if len(text) > TEXT_MAX:
        raise InvalidInput(f"{label}不能超过{TEXT_MAX}个字。", {"comment": [f"{label}不能超过{TEXT_MAX}个字。"]})
    return text


def _stored_then(checked: dict, perform):
    """Store the checked files (before the case is locked: reading 20 MB must not hold the row), then
    perform the action with them; if it is refused, the stored files are deleted again."""
    stored: list[str] = []
    try:
        kept = {}
        for key, one in checked.items():
            kept[key] = files.store(one)
            stored.append(kept[key].path)
        return perform(kept)
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise


def supply_materials(applicant: Applicant, case: Case | str, uploads: dict, *, comment: str = "",
                     ip: str | None = None) -> Case:
    """网上补件: a file for every material the 补件 lists, each checked by content; the case resumes.

    `uploads` maps the material's place in the 补件's list to the uploaded file.
    """
    number = case.number if isinstance(case, Case) else str(case)
    checked = _checked(uploads)
    text = _comment(comment, "补件说明")

    def perform(kept: dict) -> Case:
        return case_services.perform_as_applicant(number, "supply", user=applicant.user, id_index=applicant.id_index,
                                                  params={"files": kept, "comment": text}, ip=ip)

    return _stored_then(checked, perform)


# -- 容缺 materials uploaded after acceptance ------------------------------------------------------------

def supply_deferred(applicant: Applicant, case: Case | str, uploads: dict, *, comment: str = "",
                    ip: str | None = None) -> Case:
    """网上补交容缺材料: a file for one or more outstanding deferred materials (by material id), each checked
    by content and stored; they count as received at once, through the case services' one door."""
    number = case.number if isinstance(case, Case) else str(case)
    chosen = {int(pk): upload for pk, upload in uploads.items() if upload is not None}
    if not chosen:
        message = "请至少为一项容缺材料选择文件。"
        raise InvalidInput(message, {"files": [message]})
    checked = _checked(chosen)
    text = _comment(comment, "说明")

    def perform(kept: dict) -> Case:
        return case_services.perform_as_applicant(number, "supply_deferred", user=applicant.user,
                                                  id_index=applicant.id_index,
                                                  params={"files": kept, "comment": text}, ip=ip)

    return _stored_then(checked, perform)

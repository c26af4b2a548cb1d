"""Operations on the catalogue: item versions (事项版本) are drafted, published and retired here.

Views, the admin, commands and the demo call these. A published version is never edited: a change
is a new draft copied from it, and publishing the draft retires its predecessor, so every case
keeps the version it was accepted under.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.db import models, transaction

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.prepared import Param, Prepared

from .models import (
    JOINT_LIMIT,
    LICENCE_LIMIT,
    Department,
    FeeStandard,
    FlowStep,
    Item,
    ItemProcedure,
    ItemVersion,
    MaterialSpec,
    ProcedureKind,
    Window,
)


@dataclass
class _Frozen:
    version: ItemVersion
    flow: tuple[FlowStep, ...] | None = None
    materials: tuple[MaterialSpec, ...] | None = None


# Versions nobody can edit any more (published or retired) and their flows, read once per process:
# version id → row and steps. A version handed in is matched on published_at too, so that an id
# reused after a restore or a rolled-back test cannot pick up another version's flow.
_frozen: dict[int, _Frozen] = {}
_FROZEN_KEPT = 2048


def _frozen_entry(version: ItemVersion) -> _Frozen:
    entry = _frozen.get(version.pk)
    if entry is None or entry.version.published_at != version.published_at:
        if len(_frozen) >= _FROZEN_KEPT:
            _frozen.clear()
        entry = _frozen[version.pk] = _Frozen(copy.copy(version))
    return entry


def frozen_version(version_id: int) -> ItemVersion:
    """A case's item version by id, read once per process: a case is received under a published
    version, which never changes afterwards (only its status may move on to retired, which no
    action reads). Each caller gets its own copy, so what one caches on it stays its own."""
    entry = _frozen.get(version_id)
    if entry is None:
        version = ItemVersion.objects.get(pk=version_id)
        if version.status == ItemVersion.Status.DRAFT:
            return version
        entry = _frozen_entry(version)
    return copy.copy(entry.version)


def _part_of(version: ItemVersion, part: str, related: str) -> tuple:
    """A version's related rows in order: read each time while a draft, once when frozen."""
    if version.status == ItemVersion.Status.DRAFT:
        return tuple(getattr(version, related).all())
    entry = _frozen_entry(version)
    if getattr(entry, part) is None:
        setattr(entry, part, tuple(getattr(version, related).all()))
    return getattr(entry, part)


def flow_of(version: ItemVersion) -> tuple[FlowStep, ...]:
    """A version's flow steps in order; cached once published, since published flows never change."""
    return _part_of(version, "flow", "steps")


def materials_of(version: ItemVersion) -> tuple[MaterialSpec, ...]:
    """A version's material list in order; cached once published, like its flow."""
    return _part_of(version, "materials", "materials")


# Which version of an item is open for applications moves on when a draft is published: read each
# time, compiled once; the version itself then comes from the cache of frozen versions.
_PUBLISHED = Prepared(ItemVersion.objects.published().filter(
    item_id=Param("item", models.BigIntegerField()))
                      .order_by("-number").values_list("pk", "published_at")[:1])


def published_version(item: Item) -> ItemVersion | None:
    """The item's version open for applications now (None: none is published)."""
    row = _PUBLISHED.first(item=item.pk)
    if row is None:
        return None
    pk, published_at = row
    version = frozen_version(pk)
    if version.published_at != published_at:  # an id given again after a restore
        _frozen.pop(pk, None)
        version = frozen_version(pk)
    return version


def forget_flows() -> None:
    """Forget the versions and flows read so far (tests: a rolled-back database gives ids again)."""
    _frozen.clear()


# =============================================================================================
# Item versioning (事项版本): keep these functions together at the top of the module.
# =============================================================================================

# Roles that work the steps of a flow; supervisors, liaisons and administrators never handle cases.
STEP_ROLES = (Role.CLERK, Role.HANDLER, Role.REVIEWER, Role.APPROVER)


class CatalogError(Exception):
    """An operation on the catalogue refused, with the reasons a person can act on."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])


class VersionLocked(CatalogError):
    """A published or retired version is being changed; only drafts are edited."""


class NotPublishable(CatalogError):
    """The draft is incomplete or contradicts the law's bounds."""


def _lock_item(item_id: int) -> Item:
    # Serialises drafting and publishing per item: one published version, numbers without gaps.
    return Item.objects.select_for_update().get(pk=item_id)


def _record(actor: User | None, version: ItemVersion, message: str, flag: int = CHANGE) -> None:
    """Keep who drafted or published what in the admin history of the version."""
    if actor is None or actor.pk is None:
        return
    LogEntry.objects.create(
        action_time=clock.now(), user_id=actor.pk, action_flag=flag, change_message=message,
        content_type=ContentType.objects.get_for_model(ItemVersion), object_id=str(version.pk),
        object_repr=str(version)[:200],
    )


def next_number(item: Item) -> int:
    highest = ItemVersion.objects.filter(item=item).aggregate(top=models.Max("number"))["top"]
    return (highest or 0) + 1


def open_draft(item: Item) -> ItemVersion | None:
    return ItemVersion.objects.filter(item=item, status=ItemVersion.Status.DRAFT).order_by("-number").first()


def ensure_draft(version: ItemVersion) -> None:
    """Refuse any change to a version that is or was in force: cases depend on it."""
    stored = ItemVersion.objects.filter(pk=version.pk).values_list("status", flat=True).first()
    status = stored if stored is not None else version.status
    if status != ItemVersion.Status.DRAFT:
        label = ItemVersion.Status(status).label
        raise VersionLocked(f"“{version}”{label}，不能修改。请“复制为新版本（草稿）”后修改并发布。")


@transaction.atomic
def add_draft(version: ItemVersion, actor: User | None = None) -> ItemVersion:
    """Save a new, unsaved version as the item's next draft (the item may have one draft at a time)."""
    _lock_item(version.item_id)
    existing = open_draft(version.item)
    if existing is not None:
        raise CatalogError(f"该事项已有草稿（第{existing.number}版），请先修改并发布或删除该草稿。")
    version.number = next_number(version.item)
    version.status, version.published_at = ItemVersion.Status.DRAFT, None
    version.full_clean()
    version.save()
    _record(actor, version, f"新建第{version.number}版草稿。", ADDITION)
    return version


@transaction.atomic
def edit_draft(version: ItemVersion, **changes) -> ItemVersion:
    """Change fields of a draft; a published or retired version refuses (VersionLocked)."""
    ItemVersion.objects.select_for_update().filter(pk=version.pk).first()
    ensure_draft(version)
    fixed = sorted(set(changes) & {"item", "item_id", "number", "status", "published_at"})
    if fixed:
        raise CatalogError(f"版本的{'、'.join(fixed)}由系统维护，不能直接修改。")
    for name, value in changes.items():
        setattr(version, name, value)
    version.status = ItemVersion.Status.DRAFT
    version.full_clean()
    version.save()
    return version


def _copy_row(row: models.Model, **changes) -> models.Model:
    values = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if not f.primary_key}
    values.update(changes)
    return type(row).objects.create(**values)


def _copied_template(field_file) -> str:
    """A draft gets its own copy of a form template, so replacing it never touches the old version's."""
    if not field_file:
        return ""
    storage = field_file.storage
    try:
        with storage.open(field_file.name, "rb") as source:
            content = source.read()
    except OSError:
        # The file is already gone from storage: keep the reference rather than lose the entry.
        return field_file.name
    return storage.save(field_file.name, ContentFile(content))


@transaction.atomic
def new_version(version: ItemVersion, actor: User | None = None) -> ItemVersion:
    """复制为新版本: a draft numbered max+1 with the materials, fees, flow and special-procedure limits."""
    _lock_item(version.item_id)
    source = ItemVersion.objects.get(pk=version.pk)
    if source.status == ItemVersion.Status.DRAFT:
        raise CatalogError(f"“{source}”是草稿，可直接修改，无需复制。")
    existing = open_draft(source.item)
    if existing is not None:
        raise CatalogError(f"该事项已有草稿（第{existing.number}版），请先修改并发布或删除该草稿。")
    draft = _copy_row(source, number=next_number(source.item), status=ItemVersion.Status.DRAFT,
                      published_at=None)
    for material in MaterialSpec.objects.filter(version=source).order_by("seq", "pk"):
        _copy_row(material, version_id=draft.pk, template=_copied_template(material.template))
    for fee in FeeStandard.objects.filter(version=source).order_by("pk"):
        _copy_row(fee, version_id=draft.pk)
    for step in FlowStep.objects.filter(version=source).order_by("seq", "pk"):
        _copy_row(step, version_id=draft.pk)
    for procedure in ItemProcedure.objects.filter(version=source).order_by("pk"):
        _copy_row(procedure, version_id=draft.pk)
    _record(actor, draft, f"由第{source.number}版复制为第{draft.number}版草稿。", ADDITION)
    return draft


def _messages_of(error: ValidationError, row: models.Model, prefix: str = "") -> list[str]:
    found = []
    for field, messages in error.message_dict.items():
        label = "" if field == NON_FIELD_ERRORS else f"{row._meta.get_field(field).verbose_name}："
        found.extend(f"{prefix}{label}{message}" for message in messages)
    return found


def _row_problems(version: ItemVersion) -> list[str]:
    problems = []
    try:
        version.full_clean()
    except ValidationError as error:
        problems.extend(_messages_of(error, version))
    children = [("申请材料", version.materials.all()), ("收费项目", version.fees.all()),
                ("环节", version.steps.all()), ("特别程序", ItemProcedure.objects.filter(version=version))]
    for label, rows in children:
        for row in rows:
            try:
                row.full_clean(exclude=["version"])
            except ValidationError as error:
                problems.extend(_messages_of(error, row, f"{label}“{row}”的"))
    return problems


def _flow_problems(version: ItemVersion, steps: list[FlowStep]) -> list[str]:
    if not steps:
        return ["未配置办理流程：至少需要一个环节。"]
    problems = []
    allowed = "、".join(Role.NAMES[code] for code in STEP_ROLES)
    for step in steps:
        if step.role_id not in STEP_ROLES:
            problems.append(f"环节“{step.name}”的办理角色“{Role.NAMES.get(step.role_id, step.role_id)}”"
                            f"不办理办件，应为{allowed}之一。")
        if step.limit == 0:
            problems.append(f"环节“{step.name}”的时限不能为0；沿用办件时限的请留空。")
    if version.promised_limit > 0:
        # Steps sharing a seq run side by side, so the slowest of them is what the seq costs.
        per_seq: dict[int, int] = {}
        for step in steps:
            if step.limit and step.limit_unit == FlowStep.LimitUnit.DAYS:
                per_seq[step.seq] = max(per_seq.get(step.seq, 0), step.limit)
        if sum(per_seq.values()) > version.promised_limit:
            problems.append(f"各环节时限合计{sum(per_seq.values())}个工作日，超过承诺时限"
                            f"{version.promised_limit}个工作日。")
    return problems


def publication_problems(version: ItemVersion) -> list[str]:
    """Why this draft cannot be published; empty when it can."""
    problems = _row_problems(version)
    # The art. 42 bound on extensions is ItemVersion.clean's, reported with the other row problems.
    problems += _flow_problems(version, list(version.steps.select_related("role")))
    fees = version.fees.count()
    if not version.free_of_charge and not fees:
        problems.append("收费事项至少应列明一项收费标准。")
    if version.free_of_charge and fees:
        problems.append("标为“不收费”的事项不能列有收费标准。")
    for procedure in ItemProcedure.objects.filter(version=version).select_related("kind"):
        if procedure.limit_days == 0:
            problems.append(f"特别程序“{procedure.kind.name}”的时限不能为0。")
    return problems


def publication_warnings(version: ItemVersion) -> list[str]:
    """What an administrator should double-check, without blocking publication."""
    warnings = []
    if version.type == ItemVersion.Type.LICENCE:
        bound = JOINT_LIMIT if version.joint_handling else LICENCE_LIMIT
        if version.statutory_limit > bound:
            warnings.append(f"法定时限{version.statutory_limit}个工作日长于行政许可法第四十二条规定的{bound}个"
                            "工作日，请确认设定依据中的法律、法规另有规定。")
    if not version.materials.exists():
        warnings.append("未列出申请材料。")
    for step in version.steps.select_related("role", "department"):
        department_id = step.department_id or version.item.department_id
        staffed = User.objects.filter(department_id=department_id, roles=step.role_id, is_active=True,
                                      on_duty=True).exists()
        if not staffed:
            department = step.department or version.item.department
            warnings.append(f"环节“{step.name}”：{department}暂无在岗的{step.role}，办件将无人承接。")
    return warnings


@transaction.atomic
def publish(version: ItemVersion, actor: User | None = None) -> ItemVersion:
    """发布: the draft comes into force now and the version in force until now is retired."""
    _lock_item(version.item_id)
    draft = ItemVersion.objects.select_related("item__department").get(pk=version.pk)
    if draft.status != ItemVersion.Status.DRAFT:
        raise NotPublishable(f"“{draft}”{draft.get_status_display()}，只有草稿可以发布。")
    problems = publication_problems(draft)
    if problems:
        raise NotPublishable(f"“{draft}”不能发布：" + "；".join(problems), problems)
    superseded = ItemVersion.objects.published().filter(item_id=draft.item_id)
    numbers = sorted(superseded.values_list("number", flat=True))
    superseded.update(status=ItemVersion.Status.RETIRED)
    draft.status, draft.published_at = ItemVersion.Status.PUBLISHED, clock.now()
    draft.save(update_fields=["status", "published_at"])
    retired = f"，第{'、'.join(map(str, numbers))}版停用" if numbers else ""
    _record(actor, draft, f"发布第{draft.number}版{retired}。")
    version.status, version.published_at = draft.status, draft.published_at
    return draft


@transaction.atomic
def retire(version: ItemVersion, actor: User | None = None) -> ItemVersion:
    """停用 without a successor (事项取消): no new cases; cases already accepted keep the version."""
    _lock_item(version.item_id)
    current = ItemVersion.objects.get(pk=version.pk)
    if current.status != ItemVersion.Status.PUBLISHED:
        raise CatalogError(f"“{current}”{current.get_status_display()}，只有已发布的版本可以停用。")
    current.status = ItemVersion.Status.RETIRED
    current.save(update_fields=["status"])
    _record(actor, current, f"停用第{current.number}版，该事项不再收件。")
    version.status = current.status
    return current


# =============================================================================================
# Builders (建立部门、窗口、事项): create catalogue rows from data, for the demo and bulk imports.
# Each leaves an existing row (same code or number) as it is, so running an import twice changes
# nothing; items are published through add_draft() and publish() above, with all their checks.
# =============================================================================================




@dataclass(frozen=True)
class MaterialEntry:
    name: str
    required: bool = True
    form: str = MaterialSpec.Form.ORIGINAL
    copies: int = 1
    deferrable: bool = False
    note: str = ""
    # A form template to download (申请表): (file name, content), stored with the material.
    template: tuple[str, bytes] | None = None


@dataclass(frozen=True)
class FeeEntry:
    name: str
    standard: str
    basis: str
    amount: str | None = None
    kind: str = FeeStandard.Kind.FIXED
    unit: str = ""
    unit_price: str | None = None
    tiers: tuple[dict, ...] = ()


@dataclass(frozen=True)
class StepEntry:
    seq: int
    name: str
    role: str
    department: Department | None = None
    limit: int | None = None
    limit_unit: str = FlowStep.LimitUnit.DAYS


def build_department(code: str, name: str, **fields) -> tuple[Department, bool]:
    """The department with this code, created (validated) when missing: (department, created)."""
    existing = Department.objects.filter(code=code).first()
    if existing is not None:
        return existing, False
    department = Department(code=code, name=name, **fields)
    department.full_clean()
    department.save()
    return department, True


def build_window(department: Department, number: str, name: str, location: str = "") -> tuple[Window, bool]:
    """The window with this number, created when missing: (window, created)."""
    existing = Window.objects.filter(number=number).first()
    if existing is not None:
        return existing, False
    window = Window(department=department, number=number, name=name, location=location)
    window.full_clean()
    window.save()
    return window, True


@transaction.atomic
def build_item(code: str, department: Department, *, version: dict, materials=(), fees=(), steps=(),
               procedures: dict[str, int] | None = None, actor: User | None = None,
               publish_now: bool = True) -> tuple[Item, bool]:
    """An item with its first version (materials, fees, flow, special-procedure limits): (item, created).

    `version` holds the ItemVersion fields; the version is drafted and, unless told otherwise,
    published, so it passes the same checks as one an administrator publishes. An unknown
    special-procedure code refuses with CatalogError and creates nothing.
    """
    existing = Item.objects.filter(code=code).first()
    if existing is not None:
        return existing, False
    kinds = {kind.code: kind for kind in ProcedureKind.objects.filter(code__in=list(procedures or {}))}
    unknown = sorted(set(procedures or {}) - set(kinds))
    if unknown:
        raise CatalogError(f"未知的特别程序：{'、'.join(unknown)}。")
    item = Item(code=code, department=department)
    item.full_clean()
    item.save()
    draft = add_draft(ItemVersion(item=item, **version), actor)
    specs = [MaterialSpec(version=draft, seq=seq, name=m.name, required=m.required, form=m.form, copies=m.copies,
                          deferrable=m.deferrable, note=m.note)
             for seq, m in enumerate(materials, start=1)]
    for spec, entry in zip(specs, materials, strict=True):
        if entry.template is not None:
            spec.template.save(entry.template[0], ContentFile(entry.template[1]), save=False)
    MaterialSpec.objects.bulk_create(specs)
    FeeStandard.objects.bulk_create(
        FeeStandard(version=draft, name=f.name, standard=f.standard, basis=f.basis, amount=f.amount, kind=f.kind,
                    unit=f.unit, unit_price=f.unit_price, tiers=[dict(t) for t in f.tiers])
        for f in fees)
    FlowStep.objects.bulk_create(
        FlowStep(version=draft, seq=s.seq, name=s.name, role_id=s.role, department=s.department, limit=s.limit,
                 limit_unit=s.limit_unit)
        for s in steps)
    ItemProcedure.objects.bulk_create(
        ItemProcedure(version=draft, kind=kinds[code], limit_days=days) for code, days in (procedures or {}).items())
    if publish_now:
        publish(draft, actor)
    return item, True

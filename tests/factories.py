"""Small builders for tests: a department with staff, an item with a flow, a received case."""

from __future__ import annotations

import itertools

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from shenpi.accounts.models import Role, User
from shenpi.cases import services
from shenpi.cases.models import ApplicantKind
from shenpi.catalog.models import (
    Department,
    FlowStep,
    Item,
    ItemProcedure,
    ItemVersion,
    MaterialSpec,
    ProcedureKind,
    Window,
)

_seq = itertools.count(1)

# The smallest file the content check takes as a PNG: a scan's signature and a little more.
PNG_SCAN = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# Valid identifiers (check digits computed by GB 11643 / GB 32100).
PERSON_ID = "11010519491231002X"
ORG_USCC = "91350100M000100Y43"


def department(name="住房和城乡建设局", code=None, **kw) -> Department:
    return Department.objects.create(code=code or f"D{next(_seq):03d}", name=name, **kw)


def user(dept: Department | None, *roles: str, username=None, **kw) -> User:
    u = User.objects.create_user(username=username or f"u{next(_seq)}", password="Shenpi-test-2026",
                                 department=dept, full_name=kw.pop("full_name", "测试人员"), **kw)
    u.roles.set(roles)
    return u


def staff(dept: Department) -> dict[str, User]:
    """One person per role in the department, and a centre administrator."""
    window = Window.objects.create(department=dept, number=f"W{next(_seq):02d}", name="综合窗口")
    people = {code: user(dept, code, full_name=name) for code, name in Role.NAMES.items()
              if code not in (Role.ADMIN, Role.SUPERVISOR)}
    people["clerk"].window = window
    people["clerk"].save()
    people["admin"] = user(None, Role.ADMIN, full_name="中心管理员")
    people["supervisor"] = user(None, Role.SUPERVISOR, full_name="监察员")
    return people


def login_staff(client, user: User):
    """Sign a member of staff in with both factors passed, as after the password and the code.

    Administrators and supervisors must pass a second factor (docs/two-factor.md): force_login alone
    leaves them at the code page. The user gets a confirmed authenticator if they have none.
    """
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() \
        or TOTPDevice.objects.create(user=user, name="测试验证器", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def item(dept: Department, *, name="建筑工程施工许可证核发", promised=10, statutory=20,
         steps=(("审查", Role.HANDLER, None), ("审核", Role.REVIEWER, None), ("审批", Role.APPROVER, None)),
         materials=(("建筑工程施工许可申请表", True, False), ("建设工程规划许可证", True, False),
                    ("施工图设计文件审查合格书", True, True), ("其他补充材料", False, False)),
         procedures=(("expert_review", 15),), extension_limit=10, publish=True) -> Item:
    it = Item.objects.create(code=f"ITEM{next(_seq):04d}", department=dept)
    version = ItemVersion.objects.create(
        item=it, number=1, status=ItemVersion.Status.PUBLISHED if publish else ItemVersion.Status.DRAFT,
        name=name, legal_basis="《建筑法》第八条", promised_limit=promised, statutory_limit=statutory,
        extension_limit=extension_limit, result_name="建筑工程施工许可证")
    for seq, (step_name, role, limit) in enumerate(steps, start=1):
        FlowStep.objects.create(version=version, seq=seq, name=step_name, role_id=role, limit=limit)
    for seq, (material, required, deferrable) in enumerate(materials, start=1):
        MaterialSpec.objects.create(version=version, seq=seq, name=material, required=required,
                                    deferrable=deferrable)
    for code, days in procedures:
        ItemProcedure.objects.create(version=version, kind=ProcedureKind.objects.get(code=code), limit_days=days)
    return it


def all_materials(it: Item) -> dict[int, dict]:
    return {m.pk: {"received": True} for m in it.current_version().materials.all()}


def receive(clerk: User, it: Item, *, materials=None, kind=None, **kw):
    if kind is None:  # someone the item's 服务对象 admits: a person unless only organisations may apply
        audience = (it.current_version() or it.versions.order_by("-number").first()).audience
        kind = ApplicantKind.ORGANISATION if audience == ItemVersion.Audience.ORGANISATION else ApplicantKind.PERSON
    applicant = services.ApplicantInput(
        kind=kind, name=kw.pop("name", "张三" if kind == ApplicantKind.PERSON else "示范建设有限公司"),
        id_number=kw.pop("id_number", PERSON_ID if kind == ApplicantKind.PERSON else ORG_USCC),
        phone=kw.pop("phone", "13812341234"), id_note=kw.pop("id_note", ""))
    return services.receive(actor=clerk, item=it, applicant=applicant,
                            materials=all_materials(it) if materials is None else materials, **kw)


def api_token(holder: User, *, departments=(), items=(), act: bool = True, days: int | None = None) -> str:
    """The key of a new API token of `holder`, scoped as given (departments and items by code or
    instance; none: the holder's own department, every item). Acting by default, as the API's
    tests mostly act; act=False makes a read-only token."""
    from shenpi.api import tokens

    codes = [d if isinstance(d, str) else d.code for d in departments]
    item_codes = [i if isinstance(i, str) else i.code for i in items]
    return tokens.create(holder, name="测试调用方", departments=codes, items=item_codes, act=act, days=days)[1]


def withdrawal_request(name: str = "撤回申请书.png", content: bytes = PNG_SCAN):
    """The applicant's signed 撤回申请书 as the window scans it: checked by content, as if stored (no file is
    written: the action keeps the path and digest, and tests of the files themselves upload them)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from shenpi.cases import files

    checked = files.inspect(SimpleUploadedFile(name, content))
    return files.StoredFile(path=f"materials/tests/{checked.digest[:16]}{checked.kind.extension}",
                            name=checked.name, content_type=checked.kind.content_type, size=checked.size,
                            pages=checked.pages, digest=checked.digest)


def stored_scan(name: str = "材料.png", content: bytes = PNG_SCAN):
    """A scanned material as the window keeps it, checked by content (no file written, as above)."""
    return withdrawal_request(name if "." in name else f"{name}.png", content)

"""A small public catalogue and cases in every state the public pages show."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shenpi.accounts.models import Role, User
from shenpi.cases import services
from shenpi.cases.models import ApplicantKind, Case
from shenpi.catalog.models import Department, FeeStandard, Item, ItemVersion
from shenpi.fees import services as fees
from shenpi.fees.models import Payment
from shenpi.fees.payments import record_payment
from tests import factories as f

SECRET_OPINION = "内部意见：建议从严审查申请人背景"
SECRET_RETURN = "退回说明：图纸页码不全，内部复核"
SECRET_INSTRUCTION = "内部备注：该申请人曾多次补正"


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters live in the cache: each test starts without any."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class Portal:
    dept: Department
    sub: Department
    police: Department
    people: dict[str, User]
    police_people: dict[str, User]
    licence: Item  # 建筑工程施工许可证核发, for both (a person builds a house too), with a template and a fee
    idcard: Item  # 居民身份证换领, for persons
    both: Item  # 房屋建筑工程竣工验收备案, for both
    draft: Item
    retired: Item


def _set(item: Item, **fields) -> ItemVersion:
    version = item.current_version() or item.versions.get()
    for name, value in fields.items():
        setattr(version, name, value)
    version.save()
    return version


@pytest.fixture
def portal(db) -> Portal:
    dept = f.department("住房和城乡建设局", short_name="住建局", functions="负责建筑工程施工许可、建筑市场监管。",
                        phone="0000-88120002", address="市民中心二楼A区")
    sub = f.department("城东区住房和城乡建设局", parent=dept, level=Department.Level.DISTRICT)
    police = f.department("公安局", short_name="公安局")
    people = f.staff(dept)
    names = {Role.CLERK: "王晓梅", Role.HANDLER: "李建国", Role.REVIEWER: "赵文静", Role.APPROVER: "陈志远",
             Role.LIAISON: "周联络"}
    for code, name in names.items():
        people[code].full_name = name
        people[code].email = f"{code}@example.invalid"
        people[code].save()
    off = f.user(dept, Role.HANDLER, full_name="休假人员", on_duty=False)
    people["off_duty"] = off
    police_people = f.staff(police)

    licence = f.item(dept, promised=10, statutory=20)
    version = _set(licence, audience=ItemVersion.Audience.BOTH,
                   conditions="已经办理该建筑工程用地批准手续；已经确定建筑施工企业。",
                   legal_basis="《中华人民共和国建筑法》第七条、第八条", free_of_charge=False,
                   fee_basis="《建设工程施工许可收费标准》（示例）", where="市民中心二楼A区住建局窗口",
                   office_hours="工作日 上午9:00-12:00", how_to_apply="网上申报或窗口申请",
                   online_depth=ItemVersion.OnlineDepth.FULL, max_visits=0, contact_phone="0000-12345678",
                   result_name="建筑工程施工许可证")
    FeeStandard.objects.create(version=version, name="施工许可证工本费", standard="每证10元", amount="10.00",
                               basis="发改价格〔2020〕示例号")
    first = version.materials.order_by("seq").first()
    first.template = SimpleUploadedFile("apply.docx", b"PK\x03\x04 template bytes")
    first.note = "可下载表格填写"
    first.save()

    idcard = f.item(police, name="居民身份证换领", promised=0, statutory=20, steps=(("审查", Role.HANDLER, None),),
                    materials=(("原居民身份证", True, False),), procedures=())
    _set(idcard, audience=ItemVersion.Audience.PERSON, conditions="居民身份证有效期满。",
         legal_basis="《中华人民共和国居民身份证法》第五条", result_name="居民身份证")
    both = f.item(dept, name="房屋建筑工程竣工验收备案", promised=5, statutory=20)
    _set(both, audience=ItemVersion.Audience.BOTH, conditions="工程竣工验收合格，施工许可手续齐全。",
         result_name="竣工验收备案证明")
    sub_item = f.item(sub, name="城东区建筑业企业资质变更")
    _set(sub_item, audience=ItemVersion.Audience.ORGANISATION, result_name="建筑业企业资质证书")
    draft = f.item(dept, name="建筑施工草稿事项", publish=False)
    retired = f.item(dept, name="已停用的施工许可事项")
    _set(retired, status=ItemVersion.Status.RETIRED)
    return Portal(dept, sub, police, people, police_people, licence, idcard, both, draft, retired)


def receive(portal: Portal, **kw) -> Case:
    return f.receive(portal.people["clerk"], kw.pop("item", portal.licence), **kw)


def accepted(portal: Portal, **kw) -> Case:
    case = receive(portal, **kw)
    return services.perform(case, "accept", actor=portal.people["clerk"])


def completed(portal: Portal, *, deny: str = "", **kw) -> Case:
    people = portal.people
    case = accepted(portal, **kw)
    for role in ("handler", "reviewer", "approver"):
        case = services.perform(case, "pass", actor=people[role], params={"opinion": SECRET_OPINION})
    if deny:
        case = services.perform(case, "deny", actor=people["approver"], params={"reason": deny})
    else:
        case = services.perform(case, "grant", actor=people["approver"], params={"opinion": SECRET_OPINION})
        if fees.chargeable(case.version):
            paid(case, people)  # 办结 waits for the fee
    return services.perform(case, "complete", actor=people["clerk"])


def paid(case: Case, people) -> None:
    charge = fees.current_charge(case) or fees.create_charge(case, actor=people["approver"])
    record_payment(charge, channel=Payment.Channel.TRANSFER, amount=charge.total, actor=people["clerk"],
                   reference="转账凭证 0001")


def organisation(portal: Portal, **kw) -> Case:
    return accepted(portal, kind=ApplicantKind.ORGANISATION, **kw)


"""Certificates of the demo year (制证), issued through shenpi.licences.issue.

After the cases are played: each department whose items end in a certificate gets its signing keys
(generated into SHENPI_LICENCE_KEY_DIR, var/keys by default: never the repository), each such item a
CertificateTemplate, and every granted case of those items its licence, issued by the department's
approver half an hour after the decision, with the clock set then.

Every licence is issued with its data and SM2 signature; the PDF (drawn, sealed and PAdES-signed,
about 0.1 s each) is made at issue for the certificates of the last PDF_DAYS days only, so that the
demo stays fast. The older ones are drawn and signed the first time someone downloads them
(issue.ensure_pdf) — the same data and SM2 signature, the PDF signature dated then. One licence is
renewed, one changed, one cancelled and one revoked, so that each status can be seen verified.

Then 一证通办: the catalogue's materials that are another item's certificate (营业执照, 不动产权证书,
规划许可证 …) name that certificate's licence type, and a few holders apply again on the last working
day: their new cases are received at the window with the licence cited instead of a copy.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.cases import services
from shenpi.cases.models import Case, Decision, State
from shenpi.catalog import services as catalog_services
from shenpi.catalog.models import Department, Item, MaterialSpec
from shenpi.fees import services as fees
from shenpi.licences import issue, keys
from shenpi.licences.models import CertificateTemplate, Licence
from shenpi.workdays.services import get_calendar

from .catalogue import CODE_PREFIX

# Results that are certificates (证/证书/执照); decision letters, 批复 and 回执 are not. The physical
# identity card and the social security card are made elsewhere.
CERTIFICATE_ENDINGS = ("证", "证书", "执照", "执照(变更)", "合格证")
NOT_HERE = ("中华人民共和国居民身份证", "社会保障卡")
PDF_DAYS = 14
ISSUE_DELAY = dt.timedelta(minutes=30)
# Materials of the catalogue that are a certificate issued here (material name → certificate title).
HELD_AS_LICENCE = {
    "营业执照(统一社会信用代码证书)": "营业执照",
    "建设用地规划许可证": "建设用地规划许可证",
    "国有土地使用权证或不动产权证书": "不动产权证书",
    "不动产权证书": "不动产权证书",
    "建设工程规划许可证及附图": "建设工程规划许可证",
    "承运人道路运输经营许可证": "道路运输经营许可证",
}
# How many holders apply again citing a licence.
CITING_CASES = 4


def _certificate_items() -> list[Item]:
    items = (Item.objects.filter(department__code__startswith=CODE_PREFIX)
             .select_related("department").order_by("code"))
    chosen = []
    for item in items:
        version = item.current_version()
        name = (version.result_name if version else "") or ""
        if name.endswith(CERTIFICATE_ENDINGS) and name not in NOT_HERE:
            chosen.append((item, version))
    return chosen


def _template(item: Item, version) -> CertificateTemplate:
    name = version.result_name
    fields = [{"label": "许可事项", "source": "item.name"}]
    if version.audience != "person":
        fields.append({"label": "项目/事项名称", "source": "case.title"})
    fields += [{"label": "批准日期", "source": "decision.date"}, {"label": "办件编号", "source": "case.number"}]
    template, _ = CertificateTemplate.objects.get_or_create(item=item, defaults={
        "title": name, "type_code": f"{item.department.code.removeprefix(CODE_PREFIX)}-{item.code}",
        "validity_years": 5 if name.endswith("许可证") else None, "fields": fields,
        "footer": "本证照由示范市政务服务平台签发，可扫描二维码核验真伪和状态。"})
    return template


def _approvers(departments: set[int]) -> dict[int, User]:
    found: dict[int, User] = {}
    for user in User.objects.filter(roles=Role.APPROVER, department_id__in=departments).order_by("pk"):
        found.setdefault(user.department_id, user)
    return found


def play(end: dt.datetime, seed: int, result) -> None:
    if Licence.objects.filter(department__code__startswith=CODE_PREFIX).exists():
        return
    chosen = _certificate_items()
    templates = {item.pk: _template(item, version) for item, version in chosen}
    result.created["certificate_templates"] = len(templates)
    departments = Department.objects.filter(pk__in={item.department_id for item, _ in chosen})
    for department in departments:
        if keys.active_key(department) is None:
            # The key folder may hold files of an earlier demo database: this database's keys replace them.
            keys.generate(department, force=True)
            result.created["signing_keys"] += 1
    approvers = _approvers({d.pk for d in departments})
    cases = (Case.objects.filter(item_id__in=templates, decision=Decision.GRANT,
                                 state__in=(State.DECIDED, State.COMPLETED))
             .filter(Q(department__code__startswith=CODE_PREFIX))
             .select_related("version", "department", "item").order_by("decided_at", "pk"))
    recent = end - dt.timedelta(days=PDF_DAYS)
    issued: list[Licence] = []
    for case in cases:
        at = case.decided_at + ISSUE_DELAY
        if at > end:
            continue
        clock.set_now(at)
        issued.append(issue.issue(case, approvers.get(case.department_id), with_pdf=case.decided_at >= recent))
    result.created["licences"] = len(issued)
    result.created["licence_pdfs"] = sum(1 for licence in issued if licence.pdf)
    _afterwards([licence for licence in issued if licence.pdf], approvers, end)
    result.created["electronic_deliveries"] = _deliver_electronically(issued, end)
    _link_materials(templates.values())
    result.created["citing_cases"] = _apply_citing(end)


def _deliver_electronically(issued: list[Licence], end: dt.datetime) -> int:
    """Decisions still waiting for delivery whose certificate is now issued, and which owe no fee: the
    e-licence is delivered (电子送达) an hour after it was issued, and the case is 办结."""
    done = 0
    for licence in issued:
        case = Case.objects.select_related("version").get(pk=licence.case_id)
        at = licence.issued_at + dt.timedelta(hours=1)
        if case.state != State.DECIDED or at > end or fees.chargeable(case.version):
            continue
        clock.set_now(at)
        services.perform(case, "complete", actor=licence.issued_by, params={"delivery": "电子送达"})
        done += 1
    return done


def _link_materials(templates) -> None:
    """The materials that are a certificate issued here name its licence type (一证通办)."""
    type_of = {template.title: template.type_code for template in templates}
    for material, title in HELD_AS_LICENCE.items():
        if title in type_of:
            MaterialSpec.objects.filter(name=material, version__item__department__code__startswith=CODE_PREFIX
                                        ).update(licence_type_code=type_of[title])
    # The published versions' material lists were read and kept while the year was played; a centre
    # links them in a new version instead, the demo in place before anyone applies again.
    catalog_services.forget_flows()


def _last_working_morning(end: dt.datetime) -> dt.datetime:
    calendar = get_calendar()
    day = timezone.localtime(end).date() - dt.timedelta(days=1)
    while not calendar.is_workday(day):
        day -= dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))


def _apply_citing(end: dt.datetime) -> int:
    """A few holders of a licence apply for an item that asks for it: received at the window, the
    licence cited at receipt (licences.receivers), every other material brought."""
    moment = _last_working_morning(end)
    clock.set_now(moment)
    day = timezone.localtime(moment).date()
    asked = (MaterialSpec.objects.exclude(licence_type_code="")
             .filter(version__status="published", version__item__department__code__startswith=CODE_PREFIX)
             .select_related("version__item__department").order_by("version__item__code", "seq"))
    made, holders = 0, set()
    for spec in asked:
        version = spec.version
        licence = (Licence.objects.filter(type_code=spec.licence_type_code, status=Licence.Status.VALID,
                                          issued_at__lt=moment, valid_from__lte=day)
                   .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
                   .exclude(holder_id_index__in=holders).order_by("-issued_at").first())
        clerk = User.objects.filter(roles=Role.CLERK, department_id=version.item.department_id).order_by("pk").first()
        if licence is None or clerk is None or version.audience_refusal(licence.holder_kind):
            continue
        others = {m.pk: {"received": True} for m in version.materials.all() if m.pk != spec.pk and m.required}
        services.receive(actor=clerk, item=version.item, materials=others, title=licence.case.title,
                         applicant=services.ApplicantInput(kind=licence.holder_kind, name=licence.holder_name,
                                                           id_number=licence.holder_id,
                                                           contact_name=licence.case.contact_name,
                                                           phone=licence.case.contact_phone))
        holders.add(licence.holder_id_index)
        made += 1
        if made == CITING_CASES:
            break
    return made


def _afterwards(with_pdf: list[Licence], approvers: dict[int, User], end: dt.datetime) -> None:
    """A renewal, a change, a cancellation and a revocation among the recent certificates."""
    named = [licence for licence in with_pdf
             if any(f["label"] == "项目/事项名称" and f["value"] for f in licence.data.get("fields", []))]
    others = [licence for licence in with_pdf if licence not in named[:1]]
    if not named or len(others) < 3:
        return
    clock.set_now(end - dt.timedelta(hours=2))
    changed, (renewed, cancelled, revoked) = named[0], others[:3]
    title = next(f["value"] for f in changed.data["fields"] if f["label"] == "项目/事项名称")
    issue.change(changed, approvers.get(changed.department_id), "持证人申请变更项目名称",
                 {"项目/事项名称": f"{title}（二期）"})
    issue.renew(renewed, approvers.get(renewed.department_id), "证照污损，申请换发")
    issue.cancel(cancelled, approvers.get(cancelled.department_id), "持证人申请注销")
    issue.revoke(revoked, approvers.get(revoked.department_id), "经查以欺骗手段取得许可，依法吊销")

"""制证: a granted case → a certificate, signed twice; and what may happen to it afterwards.

Issuing draws the item's CertificateTemplate with the case's facts into an A4 PDF (seal, serial, a QR
code to the public verification page /licence/<serial>/), signs the licence's data — its canonical
JSON, `signed_data` — with the department's SM2 key (SM3 digest), embeds that data and signature in
the PDF as the attachment licence.json, then signs the whole PDF with PAdES (the department's P-256
key and certificate from the centre CA) so that any PDF reader shows it as signed. The licence row
keeps the data, the signature and the PDF.

Renewal (换发) and change (变更) issue a new licence that replaces the old one; cancellation (注销) and
revocation (吊销) only change the status. Each records who, when and why; the old PDF stays signed
and valid as a document, and the verification page and command report its status.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import io
import json
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from shenpi import clock, crypto
from shenpi.accounts.identifiers import mask_id
from shenpi.cases.models import Decision, State
from shenpi.errors import InvalidInput, TransitionRefused

from . import keys
from .identifiers import new_identifier
from .models import CertificateTemplate, Licence, SigningKey

ATTACHMENT = "licence.json"
SIGNATURE_FIELD = "LicenceSeal"
SIGNATURE_BYTES = 8192
# Case states after 准予 in which a certificate may be issued.
ISSUABLE_STATES = (State.DECIDED, State.COMPLETED)
# What a template field's "source" may name.
SOURCES = {
    "case.title": "申请事项/项目名称",
    "case.number": "办件编号",
    "applicant.name": "申请人",
    "applicant.id_masked": "申请人证件号码(脱敏)",
    "item.name": "事项名称",
    "item.result_name": "审批结果名称",
    "decision.reason": "决定理由",
    "decision.date": "决定日期",
    "department.name": "发证部门",
    "form.<字段>": "网上申请表字段",
}


def canonical_json(data: dict) -> str:
    """The one text signed: sorted keys, no spaces, UTF-8 characters as themselves."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def verification_url(key: str, base_url: str = "") -> str:
    if not base_url:
        from django.conf import settings

        base_url = settings.PUBLIC_BASE_URL
    return base_url.rstrip("/") + reverse("licence_check:licence", args=[key])


def _form_data(case) -> dict:
    try:
        return case.online_application.data or {}
    except ObjectDoesNotExist:
        return {}


def field_value(source: str, case) -> str:
    """The text a template field shows, read from the case; an unknown source is refused when the
    template is saved (validate_fields), and shows empty here."""
    decided = timezone.localdate(case.decided_at) if case.decided_at else None
    values = {
        "case.title": case.title,
        "case.number": case.number,
        "applicant.name": case.applicant_name,
        "applicant.id_masked": case.applicant_id_masked,
        "item.name": case.version.name,
        "item.result_name": case.version.result_name or case.version.name,
        "decision.reason": case.decision_reason,
        "decision.date": f"{decided.year}年{decided.month}月{decided.day}日" if decided else "",
        "department.name": case.department.name,
    }
    if source.startswith("form."):
        value = _form_data(case).get(source[5:], "")
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return str(values.get(source, "") or "")


def validate_fields(fields) -> list[dict]:
    if not isinstance(fields, list):
        raise InvalidInput("证照字段应为列表。", {"fields": ["证照字段应为列表。"]})
    for entry in fields:
        if not isinstance(entry, dict) or not entry.get("label") or not entry.get("source"):
            raise InvalidInput("每个证照字段需有 label 和 source。", {"fields": ["每个证照字段需有 label 和 source。"]})
        source = entry["source"]
        if source not in SOURCES and not (source.startswith("form.") and len(source) > 5):
            message = f"未知的字段来源：{source}（可用：{'、'.join(SOURCES)}）"
            raise InvalidInput(message, {"fields": [message]})
    return fields


# -- the PDF -------------------------------------------------------------------------------------

@dataclass
class Sheet:
    """What the printed certificate shows."""

    title: str
    serial: str
    identifier: str
    holder_name: str
    holder_id_masked: str
    fields: list[tuple[str, str]]
    department: str
    issued_on: dt.date
    valid_from: dt.date
    valid_until: dt.date | None
    url: str
    footer: str
    landscape: bool
    seal: bytes


def _cn_date(day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else "长期"


SEAL_PIXELS = 300  # 42 mm wide: about 180 dpi, sharp in print; larger scans only slow every PDF down


@functools.lru_cache(maxsize=64)
def _seal_reader(seal: bytes):
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    image = Image.open(io.BytesIO(seal))
    image.load()
    if max(image.size) > SEAL_PIXELS:
        image.thumbnail((SEAL_PIXELS, SEAL_PIXELS), Image.LANCZOS)
    return ImageReader(image.convert("RGBA"))


def render_pdf(sheet: Sheet) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    from shenpi.cases.notices import QRCodeFlowable, qr_matrix
    from shenpi.fonts import cjk_font_name

    font = cjk_font_name()
    size = landscape(A4) if sheet.landscape else A4
    width, height = size
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=size, invariant=1)
    pdf.setTitle(f"{sheet.title} {sheet.serial}")
    pdf.setAuthor(sheet.department)
    pdf.setSubject(sheet.identifier)
    # The frame of a printed certificate.
    pdf.setStrokeColor(colors.HexColor("#b8860b"))
    pdf.setLineWidth(3)
    pdf.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    pdf.setLineWidth(0.8)
    pdf.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)
    pdf.setFillColor(colors.black)
    pdf.setFont(font, 10)
    pdf.drawRightString(width - 22 * mm, height - 24 * mm, f"编号：{sheet.serial}")
    pdf.setFont(font, 8)
    pdf.drawString(22 * mm, height - 24 * mm, f"证照标识：{sheet.identifier}")
    pdf.setFillColor(colors.HexColor("#a01010"))
    pdf.setFont(font, 30)
    pdf.drawCentredString(width / 2, height - 48 * mm, sheet.title)
    pdf.setFillColor(colors.black)
    rows = [("持证主体", sheet.holder_name), ("证件号码", sheet.holder_id_masked), *sheet.fields,
            ("有效期", f"{_cn_date(sheet.valid_from)} 至 {_cn_date(sheet.valid_until)}")]
    y = height - 75 * mm
    left, right = 30 * mm, width - 30 * mm
    # The value column starts after the longest label, so that long labels never run into values.
    value_x = left + max(stringWidth(f"{label}：", font, 12) for label, _ in rows) + 3 * mm
    for label, value in rows:
        pdf.setFont(font, 12)
        pdf.drawString(left, y, f"{label}：")
        y = _wrapped(pdf, font, 12, value, value_x, y, right - value_x)
        y -= 8 * mm
    # Issuer, date and seal, bottom right; the seal overlaps the date as a stamped one does.
    base = 50 * mm
    pdf.setFont(font, 13)
    pdf.drawRightString(right, base + 12 * mm, sheet.department)
    pdf.drawRightString(right, base + 4 * mm, _cn_date(sheet.issued_on))
    if sheet.seal:
        seal = 42 * mm
        pdf.drawImage(_seal_reader(sheet.seal), right - 30 * mm - seal / 2, base + 8 * mm - seal / 2, seal, seal,
                      mask="auto")
    qr = 28 * mm
    flow = QRCodeFlowable(qr_matrix(sheet.url), qr)
    flow.drawOn(pdf, left, base - 6 * mm)
    pdf.setFont(font, 8)
    pdf.drawString(left, base - 11 * mm, "扫码核验证照真伪与状态")
    if sheet.footer:
        pdf.drawCentredString(width / 2, 20 * mm, sheet.footer)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _wrapped(pdf, font: str, size: float, text: str, x: float, y: float, width: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    line = ""
    for char in text or "—":
        if char == "\n" or stringWidth(line + char, font, size) > width:
            pdf.drawString(x, y, line)
            y -= size * 1.5
            line = "" if char == "\n" else char
        else:
            line += char
    pdf.drawString(x, y, line)
    return y


def _attach_and_sign(pdf: bytes, payload: dict, signer, *, location: str) -> bytes:
    """licence.json embedded, then the PAdES signature over the whole file (attachment included)."""
    from pyhanko.pdf_utils import embed
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    data = json.dumps(payload, ensure_ascii=False).encode()
    embed.embed_file(writer, embed.FileSpec(
        file_spec_string=ATTACHMENT, description="证照信息及SM2签名",
        embedded_data=embed.EmbeddedFileObject.from_file_data(writer, data=data, mime_type="application/json")))
    meta = signers.PdfSignatureMetadata(field_name=SIGNATURE_FIELD, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256", reason="电子证照签发", location=location)
    # Room reserved for the CMS container up front: pyHanko otherwise signs once more to measure it.
    return signers.sign_pdf(writer, meta, signer=signer, bytes_reserved=SIGNATURE_BYTES).getvalue()


# -- issuing -------------------------------------------------------------------------------------

def _next_serial(signing_key: SigningKey, moment: dt.datetime) -> str:
    """DEPT-YYYY-NNNNNN, per department and year; the signing key row is locked by the caller.

    Read through the (department, issued_at) index over the year's rows, not by serial prefix,
    which no index of the table serves."""
    year = timezone.localtime(moment).year
    zone = timezone.get_current_timezone()
    start = dt.datetime(year, 1, 1, tzinfo=zone)
    prefix = f"{signing_key.department.code}-{year}-"
    last = (Licence.objects.filter(department_id=signing_key.department_id, issued_at__gte=start,
                                   issued_at__lt=start.replace(year=year + 1), serial__startswith=prefix)
            .aggregate(last=Max("serial"))["last"])
    number = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{number:06d}"


def _valid_until(start: dt.date, years: int | None) -> dt.date | None:
    if not years:
        return None
    try:
        end = start.replace(year=start.year + years)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + years, day=28)
    return end - dt.timedelta(days=1)


def licence_data(licence: Licence) -> dict:
    """What is signed: the certificate's facts as printed, and the holder by blind index (no ID)."""
    return {
        "identifier": licence.identifier, "serial": licence.serial, "title": licence.title,
        "type_code": licence.type_code, "department": licence.department.name,
        "department_code": licence.department.code, "holder_kind": licence.holder_kind,
        "holder_name": licence.holder_name, "holder_id_masked": licence.holder_id_masked,
        "holder_id_index": licence.holder_id_index, "case": licence.case.number,
        "issued_at": licence.issued_at.isoformat(), "valid_from": licence.valid_from.isoformat(),
        "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
        "fields": licence.data.get("fields", []),
        "replaces": licence.replaces.serial if licence.replaces_id else None,
    }


def issue(case, actor=None, *, base_url: str = "", replaces: Licence | None = None,
          changes: dict[str, str] | None = None, reason: str = "", with_pdf: bool = True) -> Licence:
    """Issue the certificate of a granted case (制证); with `replaces`, a renewal or change of it.

    with_pdf=False (bulk loads such as the demo's past year): the licence, its data and SM2 signature
    now, the PDF drawn and PAdES-signed when first asked for (`ensure_pdf`).
    """
    if case.decision != Decision.GRANT or case.state not in ISSUABLE_STATES:
        raise TransitionRefused("只有准予许可的办件才能制证。")
    try:
        template = CertificateTemplate.objects.get(item_id=case.item_id, active=True)
    except CertificateTemplate.DoesNotExist:
        raise TransitionRefused("该事项没有启用的证照模板，无法制证。") from None
    with transaction.atomic():
        signing_key = (SigningKey.objects.select_for_update(of=("self",)).select_related("department")
                       .filter(department_id=case.department_id, active=True).order_by("-created_at").first())
        if signing_key is None:
            raise TransitionRefused(f"{case.department.name}尚无签章密钥"
                                    f"（shenpi licence keys {case.department.code}）。")
        if replaces is None and Licence.objects.filter(case=case, replaces__isnull=True).exists():
            raise TransitionRefused("该办件已制证；如需重新发证请使用换发或变更。")
        signer = keys.signer_for(signing_key)
        now = clock.now()
        today = timezone.localdate(now)
        fields = [{"label": f["label"], "value": field_value(f["source"], case)} for f in template.fields]
        if changes:
            unknown = set(changes) - {f["label"] for f in fields}
            if unknown:
                raise InvalidInput(f"证照没有这些字段：{'、'.join(sorted(unknown))}", {"changes": ["未知字段"]})
            fields = [{"label": f["label"], "value": changes.get(f["label"], f["value"])} for f in fields]
        serial = _next_serial(signing_key, now)
        holder_id = case.applicant_id
        licence = Licence(
            identifier=new_identifier(template.type_code, case.department, serial), serial=serial, case=case,
            template=template, department=case.department, type_code=template.type_code, title=template.title,
            holder_kind=case.applicant_kind, holder_name=case.applicant_name, holder_id=holder_id,
            holder_id_index=crypto.blind_index(holder_id), holder_id_masked=mask_id(holder_id),
            data={"fields": fields}, issued_at=now, issued_by=actor, valid_from=today,
            valid_until=_valid_until(today, template.validity_years), replaces=replaces,
            signing_key=signing_key, status_reason="")
        licence.signed_data = canonical_json(licence_data(licence))
        licence.sm2_signature = base64.b64encode(signer.sm2_sign(licence.signed_data.encode())).decode()
        if with_pdf:
            _attach_pdf(licence, signer, base_url)
        if replaces is not None:
            _set_status(replaces, Licence.Status.REPLACED, actor, reason, now)
        licence.save()
    return licence


def licence_sheet(licence: Licence, base_url: str = "") -> Sheet:
    template = licence.template
    return Sheet(title=licence.title, serial=licence.serial, identifier=licence.identifier,
                 holder_name=licence.holder_name, holder_id_masked=licence.holder_id_masked,
                 fields=[(f["label"], f["value"]) for f in licence.data.get("fields", [])],
                 department=licence.department.name, issued_on=timezone.localdate(licence.issued_at),
                 valid_from=licence.valid_from, valid_until=licence.valid_until,
                 url=verification_url(licence.serial, base_url), footer=template.footer,
                 landscape=template.layout == CertificateTemplate.Layout.LANDSCAPE,
                 seal=_seal_bytes(licence.signing_key))


def _attach_pdf(licence: Licence, signer, base_url: str) -> None:
    pdf = _attach_and_sign(render_pdf(licence_sheet(licence, base_url)),
                           {"signed_data": licence.signed_data, "sm2_signature": licence.sm2_signature},
                           signer.pades_signer(), location=licence.department.name)
    licence.pdf_digest = crypto.sm3_hex(pdf)
    licence.pdf.save(f"{licence.serial}.pdf", ContentFile(pdf), save=False)


def ensure_pdf(licence: Licence, base_url: str = "") -> Licence:
    """The licence with its PDF: drawn and signed now if it was issued without one."""
    if licence.pdf:
        return licence
    with transaction.atomic():
        locked = Licence.objects.select_for_update().select_related(
            "template", "department", "signing_key").get(pk=licence.pk)
        if not locked.pdf:
            _attach_pdf(locked, keys.signer_for(locked.signing_key), base_url)
            locked.save(update_fields=["pdf", "pdf_digest"])
    licence.pdf, licence.pdf_digest = locked.pdf, locked.pdf_digest
    return licence


@functools.lru_cache(maxsize=64)
def _seal_of(key_id: int, name: str) -> bytes:
    key = SigningKey.objects.get(pk=key_id)
    with key.seal_image.open("rb") as stream:
        return stream.read()


def _seal_bytes(signing_key: SigningKey) -> bytes:
    return _seal_of(signing_key.pk, signing_key.seal_image.name) if signing_key.seal_image else b""


# -- afterwards ----------------------------------------------------------------------------------

def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写理由。", {"reason": ["请填写理由。"]})
    return reason


def _locked_valid(licence: Licence) -> Licence:
    locked = Licence.objects.select_for_update().get(pk=licence.pk)
    if locked.status != Licence.Status.VALID:
        raise TransitionRefused(f"证照{locked.serial}已{locked.get_status_display().removeprefix('已')}，不能再变更。")
    return locked


def _set_status(licence: Licence, status: str, actor, reason: str, now) -> None:
    locked = _locked_valid(licence)
    locked.status, locked.status_reason = status, reason
    locked.status_changed_at, locked.status_changed_by = now, actor
    locked.save(update_fields=["status", "status_reason", "status_changed_at", "status_changed_by"])
    licence.refresh_from_db(fields=["status", "status_reason", "status_changed_at", "status_changed_by"])


def renew(licence: Licence, actor, reason: str, *, base_url: str = "") -> Licence:
    """换发: the same facts on a new certificate (new serial, validity from today); the old one replaced."""
    reason = _reason(reason)
    with transaction.atomic():
        _locked_valid(licence)
        return issue(licence.case, actor, base_url=base_url, replaces=licence, reason=f"换发：{reason}",
                     changes={f["label"]: f["value"] for f in licence.data.get("fields", [])})


def change(licence: Licence, actor, reason: str, changes: dict[str, str], *, base_url: str = "") -> Licence:
    """变更: a new certificate with the changed fields; the old one replaced."""
    reason = _reason(reason)
    current = {f["label"]: f["value"] for f in licence.data.get("fields", [])}
    changed = {label: value for label, value in (changes or {}).items() if current.get(label) != value}
    if not changed:
        raise InvalidInput("没有变更任何字段。", {"changes": ["没有变更任何字段。"]})
    with transaction.atomic():
        _locked_valid(licence)
        return issue(licence.case, actor, base_url=base_url, replaces=licence, reason=f"变更：{reason}",
                     changes={**current, **changed})


def cancel(licence: Licence, actor, reason: str) -> Licence:
    """注销: the holder gives it up, or it ended (its subject ceased)."""
    with transaction.atomic():
        _set_status(licence, Licence.Status.CANCELLED, actor, _reason(reason), clock.now())
    return licence


def revoke(licence: Licence, actor, reason: str) -> Licence:
    """吊销: withdrawn as a sanction."""
    with transaction.atomic():
        _set_status(licence, Licence.Status.REVOKED, actor, _reason(reason), clock.now())
    return licence

"""The e-licence library (电子证照库): finding licences, a holder's licences, and citing one as a
case's material instead of an upload (一证通办).

A holder is found by the blind index of their ID number or USCC (crypto.blind_index), the same
index cases and applicant accounts use, so no query ever decrypts a number to compare it.

Citing: a catalogue material (MaterialSpec) names the licence type that proves it
(`licence_type_code`). When a case is received (at a window or from an online application) and the
applicant already holds a valid licence of that type, the material is received by citing it — a
`Citation` row with the verification made at that moment — and nobody asks for it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.files.storage import default_storage
from django.db.models import Q, QuerySet

from shenpi import clock
from shenpi.crypto import blind_index, sm3_hex

from . import verify
from .identifiers import check_identifier
from .models import Citation, Licence

# Licence states that can never be cited, and why (the words the staff and the holder see).
NOT_CITABLE = {
    Licence.Status.REPLACED: "该证照已换发，请引用换发后的新证照。",
    Licence.Status.CANCELLED: "该证照已注销。",
    Licence.Status.REVOKED: "该证照已被吊销。",
}
VERIFIED = "电子证照 已核验"


def holder_index(id_number: str) -> str:
    return blind_index(id_number) if id_number and id_number.strip() else ""


def valid_on(licences: QuerySet[Licence], day: dt.date) -> QuerySet[Licence]:
    """Licences in force on `day`: status valid, begun, and not past their end (blank end: 长期)."""
    return licences.filter(status=Licence.Status.VALID, valid_from__lte=day).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=day))


def staff_scope(user) -> QuerySet[Licence]:
    """What a staff member finds in the library: platform-wide roles and the comprehensive window
    (which receives for every department and so cites every department's licences) see all; anyone
    else their own department's licences."""
    licences = Licence.objects.all()
    if user.sees_all_departments or (user.department_id and user.department.comprehensive):
        return licences
    if not user.department_id:
        return licences.none()
    return licences.filter(department_id=user.department_id)


def search(licences: QuerySet[Licence], *, holder_id: str = "", type_code: str = "", department=None,
           status: str = "", valid_on_day: dt.date | None = None, identifier: str = "",
           holder_name: str = "") -> QuerySet[Licence]:
    """Narrow `licences` by the given criteria; blank criteria are ignored."""
    if holder_id.strip():
        licences = licences.filter(holder_id_index=holder_index(holder_id))
    if identifier.strip():
        licences = licences.filter(identifier=identifier.strip().upper())
    if type_code.strip():
        licences = licences.filter(type_code=type_code.strip())
    if department is not None:
        licences = licences.filter(department=department)
    if status:
        licences = licences.filter(status=status)
    if valid_on_day is not None:
        licences = valid_on(licences, valid_on_day)
    if holder_name.strip():
        licences = licences.filter(holder_name__contains=holder_name.strip())
    return licences


def holder_licences(id_index: str) -> QuerySet[Licence]:
    """Every licence issued to the holder of this blind index, newest first."""
    if not id_index:
        return Licence.objects.none()
    return Licence.objects.filter(holder_id_index=id_index).select_related("department").order_by(
        "-issued_at", "-pk")


# -- verification ------------------------------------------------------------------------------

def _signature_check(licence: Licence) -> str:
    """The SM2 signature over the licence's data, with the issuing department's public key."""
    return "" if verify.sm2_valid(licence) else "证照数据的SM2签名验证失败。"


def _pdf_check(licence: Licence) -> str:
    """The stored PDF still has the SM3 digest recorded at issue."""
    if not licence.pdf or not licence.pdf_digest:
        return ""
    try:
        with default_storage.open(licence.pdf.name, "rb") as handle:
            data = handle.read()
    except OSError:
        return "证照文件缺失。"
    return "" if sm3_hex(data) == licence.pdf_digest else "证照文件与发证时的摘要不符。"


def verify_for_citation(licence: Licence, today: dt.date | None = None) -> tuple[bool, str]:
    """Whether this licence may stand in for a material today, and the words saying so or why not."""
    today = today or clock.today()
    check = check_identifier(licence.identifier)
    if check:
        return False, check
    if licence.status in NOT_CITABLE:
        return False, NOT_CITABLE[licence.status]
    if licence.valid_from > today:
        return False, f"该证照自{licence.valid_from:%Y-%m-%d}起生效。"
    if licence.valid_until is not None and licence.valid_until < today:
        return False, f"该证照已于{licence.valid_until:%Y-%m-%d}过期。"
    if not licence.signed_data or not licence.sm2_signature:
        return False, "该证照缺少签名数据。"
    problem = _signature_check(licence) or _pdf_check(licence)
    if problem:
        return False, problem
    return True, f"{VERIFIED}（{licence.identifier}）"


def data_digest(licence: Licence) -> str:
    """SHA-256 of the signed data, shown with the verification so a copy can be compared."""
    return hashlib.sha256(licence.signed_data.encode()).hexdigest()


# -- citing (一证通办) ----------------------------------------------------------------------------

def citable(specs, id_index: str, today: dt.date | None = None) -> dict[int, Licence]:
    """For each of these catalogue materials that names a licence type, the holder's newest licence
    of that type that passes verify_for_citation today: {spec pk: licence}."""
    wanted = {spec.pk: spec.licence_type_code.strip() for spec in specs if spec.licence_type_code.strip()}
    if not wanted or not id_index:
        return {}
    today = today or clock.today()
    by_type: dict[str, Licence] = {}
    candidates = valid_on(Licence.objects.filter(holder_id_index=id_index, type_code__in=set(wanted.values())),
                          today).select_related("department").order_by("-issued_at", "-pk")
    for licence in candidates:
        if licence.type_code not in by_type and verify_for_citation(licence, today)[0]:
            by_type[licence.type_code] = licence
    return {pk: by_type[code] for pk, code in wanted.items() if code in by_type}


def citation_note(licence: Licence) -> str:
    return f"一证通办：引用电子证照 {licence.identifier}"[:300]


def cite(material, licence: Licence, now: dt.datetime, write=None) -> Citation:
    """Record that `material` was received by citing `licence`, with the check made now. `write` is
    the action's insert (inside a case action) or None to save directly."""
    ok, words = verify_for_citation(licence)
    citation = Citation(material=material, licence=licence, cited_at=now, verified=ok, verification=words[:200])
    if write is not None:
        write(citation)
    else:
        citation.save()
    return citation

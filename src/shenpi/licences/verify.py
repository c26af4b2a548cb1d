"""Checking a certificate: its PDF (PAdES against the centre CA), its SM2 signature, its status.

A PDF is genuine when its PAdES signature is intact, covers the whole file and chains to a CA the
platform recorded for a department; its embedded licence.json names a licence of ours whose signed
data it repeats word for word; and the SM2 signature verifies over that data with the issuing
department's public key. A genuine certificate may still be replaced, cancelled or revoked: the
status is read from the library and reported beside the signatures.
"""

from __future__ import annotations

import base64
import binascii
import functools
import io
import json
from dataclasses import dataclass, field

from . import keys
from .issue import ATTACHMENT
from .models import Licence, SigningKey


@dataclass
class Outcome:
    """The verdicts of one check; `ok` only when every signature checked verifies and the licence is valid."""

    licence: Licence | None = None
    pades: bool | None = None
    sm2: bool | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def status_ok(self) -> bool:
        return self.licence is not None and self.licence.status == Licence.Status.VALID

    @property
    def ok(self) -> bool:
        return self.pades is not False and bool(self.sm2) and self.status_ok and not self.problems

    @property
    def summary(self) -> str:
        if self.problems:
            return self.problems[0]
        if not self.status_ok and self.licence is not None:
            return f"证照{self.licence.serial}{self.licence.get_status_display()}（{self.licence.status_reason}）"
        return "验证通过"


def sm2_valid(licence: Licence) -> bool:
    try:
        signature = base64.b64decode(licence.sm2_signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    return keys.sm2_verify(licence.signing_key.sm2_public_key, signature, licence.signed_data.encode())


_PUBLIC = ("pk", "identifier", "serial", "title", "type_code", "holder_name", "holder_id_masked", "valid_from",
           "valid_until", "status", "status_changed_at", "status_reason", "issued_at", "signed_data", "sm2_signature",
           "replaces_id", "department_id", "department__name", "signing_key_id", "signing_key__sm2_public_key")


@functools.cache
def _public_lookup():
    """Compiled once per process (shenpi.prepared): the ORM's compiling cost more than the lookup."""
    from django.db import models
    from django.db.models import Q

    from shenpi.prepared import Param, Prepared

    key = Param("key", models.CharField())
    # Both columns are unique: two index probes, whichever form the QR code or the visitor used.
    return Prepared(Licence.objects.filter(Q(serial=key) | Q(identifier=key)).values_list(*_PUBLIC)[:1])


def public_licence(key: str) -> Licence | None:
    """The licence a QR code or a typed serial names: one indexed lookup, public columns only (the
    encrypted ID is never read), as an unsaved-looking Licence for the page and the checks."""
    from shenpi.catalog.models import Department

    row = _public_lookup().first(key=key)
    if row is None:
        return None
    values = dict(zip(_PUBLIC, row, strict=True))
    licence = Licence(id=values.pop("pk"), **{name: values.pop(name) for name in list(values) if "__" not in name
                                               and not name.endswith("_id")},
                      replaces_id=values["replaces_id"], department_id=values["department_id"],
                      signing_key_id=values["signing_key_id"])
    licence.department = Department(pk=values["department_id"], name=values["department__name"])
    licence.signing_key = SigningKey(pk=values["signing_key_id"], sm2_public_key=values["signing_key__sm2_public_key"])
    return licence


# What the page shows beside the signed data: each must be what was signed.
SHOWN = ("serial", "identifier", "title", "holder_name", "holder_id_masked", "valid_from", "valid_until")


def _shown(licence: Licence) -> dict:
    return {"serial": licence.serial, "identifier": licence.identifier, "title": licence.title,
            "holder_name": licence.holder_name, "holder_id_masked": licence.holder_id_masked,
            "valid_from": licence.valid_from.isoformat(),
            "valid_until": licence.valid_until.isoformat() if licence.valid_until else None}


def check_licence(licence: Licence) -> Outcome:
    """The SM2 signature over the stored data, and the stored columns the page shows against that data."""
    outcome = Outcome(licence=licence, sm2=sm2_valid(licence))
    if not outcome.sm2:
        outcome.problems.append("SM2签名验证失败：证照信息与签名不符")
        return outcome
    try:
        signed = json.loads(licence.signed_data)
    except ValueError:
        signed = {}
    shown = _shown(licence)
    if any(signed.get(name) != shown[name] for name in SHOWN):
        outcome.sm2 = False
        outcome.problems.append("SM2签名验证失败：证照库记录与签名数据不一致")
    return outcome


@functools.lru_cache(maxsize=8)
def _trust_roots(pems: tuple[str, ...]):
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    return [asn1_x509.Certificate.load(x509.load_pem_x509_certificate(pem.encode())
                                       .public_bytes(serialization.Encoding.DER)) for pem in pems]


def trust_roots() -> list:
    """The centre CA(s) that issued the departments' PDF certificates."""
    pems = tuple(sorted(set(SigningKey.objects.exclude(ca_certificate="").values_list("ca_certificate", flat=True))))
    return _trust_roots(pems)


def check_pades(pdf: bytes) -> tuple[bool, str]:
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError) as error:
        return False, f"不是可读的PDF文件（{error}）"
    if not signatures:
        return False, "PDF没有电子签章"
    roots = trust_roots()
    if not roots:
        return False, "平台尚无CA证书，无法验证PDF签章"
    try:
        status = validate_pdf_signature(signatures[-1], ValidationContext(trust_roots=roots))
    except (SignatureValidationError, PdfError, ValueError, KeyError) as error:
        return False, f"PDF签章无法验证（{error}）"
    if not (status.intact and status.valid):
        return False, "PDF签章验证失败：文件在签章后被改动"
    if not status.trusted:
        return False, "PDF签章的证书不是本中心CA签发的"
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return False, "PDF签章之后文件又被追加了内容"
    return True, ""


def embedded_payload(pdf: bytes) -> dict | None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        data = PdfReader(io.BytesIO(pdf)).attachments.get(ATTACHMENT)
        # Exactly one: a second licence.json was added after issue, whichever one a reader shows.
        if not data or len(data) != 1:
            return None
        payload = json.loads(data[0])
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return payload if isinstance(payload, dict) else None


def check_pdf(pdf: bytes) -> Outcome:
    """A certificate file as someone holds it: both signatures and the status."""
    outcome = Outcome()
    outcome.pades, problem = check_pades(pdf)
    if problem:
        outcome.problems.append(problem)
    payload = embedded_payload(pdf)
    if payload is None:
        outcome.sm2 = False
        outcome.problems.append("PDF中没有证照信息（licence.json），不是本平台签发的证照")
        return outcome
    signed_data = str(payload.get("signed_data", ""))
    try:
        serial = json.loads(signed_data).get("serial", "")
    except (ValueError, AttributeError):
        serial = ""
    licence = Licence.objects.select_related("department", "signing_key").filter(serial=str(serial)).first()
    if licence is None:
        outcome.sm2 = False
        outcome.problems.append(f"证照库中没有编号为{serial or '（空）'}的证照")
        return outcome
    outcome.licence = licence
    try:
        signature = base64.b64decode(str(payload.get("sm2_signature", "")), validate=True)
    except (binascii.Error, ValueError):
        signature = b""
    outcome.sm2 = keys.sm2_verify(licence.signing_key.sm2_public_key, signature, signed_data.encode())
    if not outcome.sm2:
        outcome.problems.append("SM2签名验证失败：证照信息与签名不符")
    elif signed_data != licence.signed_data:
        outcome.sm2 = False
        outcome.problems.append("PDF中的证照信息与证照库记录不一致")
    return outcome

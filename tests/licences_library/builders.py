"""Licence rows for the library's tests, made directly (issuing belongs to the certificates' code):
a department's signing key with dummy public parts, an item's certificate template, and licences."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import itertools
import json

from tongsuopy.crypto import hashes, serialization
from tongsuopy.crypto.asymciphers import ec

from shenpi import clock
from shenpi.accounts import identifiers as id_rules
from shenpi.crypto import blind_index
from shenpi.licences.identifiers import new_identifier
from shenpi.licences.models import CertificateTemplate, Licence, SigningKey
from tests import factories as f

_serial = itertools.count(1)

TYPE_CODE = "11100000MB0000000X-001"


@functools.cache
def _sm2_key():
    return ec.generate_private_key(ec.SM2())


def sm2_sign(data: str) -> str:
    return base64.b64encode(_sm2_key().sign(data.encode(), ec.ECDSA(hashes.SM3()))).decode()


def signing_key(dept) -> SigningKey:
    """The department's key: a real SM2 public key (the library checks each cited licence's signature);
    the PAdES certificate is not used by the library."""
    public = _sm2_key().public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return SigningKey.objects.filter(department=dept).first() or SigningKey.objects.create(
        department=dept, label="测试密钥", sm2_public_key=public,
        certificate="-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----", key_reference="file:/nonexistent",
        created_at=clock.now())


def template(item, *, type_code: str = TYPE_CODE, title: str = "建筑工程施工许可证") -> CertificateTemplate:
    found = CertificateTemplate.objects.filter(item=item).first()
    return found or CertificateTemplate.objects.create(item=item, title=title, type_code=type_code,
                                                       validity_years=5, fields=[])


def licence(case, *, holder_id: str | None = None, holder_name: str | None = None, type_code: str = TYPE_CODE,
            status: str = Licence.Status.VALID, valid_from: dt.date | None = None,
            valid_until: dt.date | None = "5y", title: str = "建筑工程施工许可证", **kw) -> Licence:
    """A licence issued on `case` (to its applicant unless holder_id says otherwise)."""
    holder_id = holder_id or case.applicant_id
    today = clock.today()
    valid_from = valid_from or today - dt.timedelta(days=30)
    if valid_until == "5y":
        valid_until = valid_from + dt.timedelta(days=5 * 365)
    serial = f"{today.year}{next(_serial):06d}"
    data = {"fields": [{"label": "项目名称", "value": case.title or "示范大厦"}]}
    signed = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return Licence.objects.create(
        identifier=new_identifier(type_code, case.department, serial), serial=serial, case=case,
        template=template(case.item, type_code=type_code, title=title), department=case.department,
        type_code=type_code, title=title, holder_kind=case.applicant_kind,
        holder_name=holder_name or case.applicant_name, holder_id=holder_id, holder_id_index=blind_index(holder_id),
        holder_id_masked=id_rules.mask_id(holder_id), data=data, issued_at=clock.now(), valid_from=valid_from,
        valid_until=valid_until, status=status, signing_key=signing_key(case.department),
        signed_data=signed, sm2_signature=sm2_sign(signed), **kw)


def issued_case(people, item, **kw):
    """A case of `item` received (all materials) for an applicant, the licence's origin."""
    return f.receive(people["clerk"], item, **kw)

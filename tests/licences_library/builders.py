"""Licence rows for the library's tests, made directly (issuing belongs to the certificates' code):
a department's signing key with dummy public parts, an item's certificate template, and licences."""

from __future__ import annotations

import datetime as dt
import itertools
import json

from shenpi import clock
from shenpi.accounts import identifiers as id_rules
from shenpi.crypto import blind_index
from shenpi.licences.identifiers import new_identifier
from shenpi.licences.models import CertificateTemplate, Licence, SigningKey
from tests import factories as f

_serial = itertools.count(1)

TYPE_CODE = "11100000MB0000000X-001"


def signing_key(dept) -> SigningKey:
    return SigningKey.objects.filter(department=dept).first() or SigningKey.objects.create(
        department=dept, label="测试密钥", sm2_public_key="-----BEGIN PUBLIC KEY-----\nTEST\n-----END PUBLIC KEY-----",
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
    return Licence.objects.create(
        identifier=new_identifier(type_code, case.department, serial), serial=serial, case=case,
        template=template(case.item, type_code=type_code, title=title), department=case.department,
        type_code=type_code, title=title, holder_kind=case.applicant_kind,
        holder_name=holder_name or case.applicant_name, holder_id=holder_id, holder_id_index=blind_index(holder_id),
        holder_id_masked=id_rules.mask_id(holder_id), data=data, issued_at=clock.now(), valid_from=valid_from,
        valid_until=valid_until, status=status, signing_key=signing_key(case.department),
        signed_data=json.dumps(data, ensure_ascii=False, sort_keys=True), sm2_signature="TEST-SIGNATURE", **kw)


def issued_case(people, item, **kw):
    """A case of `item` received (all materials) for an applicant, the licence's origin."""
    return f.receive(people["clerk"], item, **kw)

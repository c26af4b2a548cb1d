"""A decided case, a licence for it, and the courier's sandbox configured the way `make run` reaches it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from shenpi import clock
from shenpi.cases import services
from shenpi.licences.models import CertificateTemplate, Licence, SigningKey
from tests import factories as f

COURIER = "courier"


@pytest.fixture
def org():
    dept = f.department()
    return dept, f.staff(dept)


@pytest.fixture
def decided(org):
    """A granted case (state 已决定) and the department's people."""
    dept, people = org
    case = f.receive(people["clerk"], f.item(dept))
    services.perform(case.pk, "accept", actor=people["clerk"])
    for who in ("handler", "reviewer", "approver"):
        services.perform(case.pk, "pass", actor=people[who])
    case = services.perform(case.pk, "grant", actor=people["approver"])
    return case, people


def licence_for(case, *, status=Licence.Status.VALID, serial="L0001") -> Licence:
    """The row CERTIFICATES' 制证 writes, with the fields delivery reads."""
    key = SigningKey.objects.get_or_create(department=case.department, label="测试密钥", defaults={
        "sm2_public_key": "-", "certificate": "-", "key_reference": "file:/nonexistent", "created_at": clock.now()})[0]
    template = CertificateTemplate.objects.get_or_create(item=case.item, defaults={
        "title": "建筑工程施工许可证", "type_code": "11100000000000000X-001"})[0]
    return Licence.objects.create(
        identifier=f"1110000000000000X-001-{serial}", serial=serial, case=case, template=template,
        department=case.department, type_code=template.type_code, title=template.title, holder_kind="person",
        holder_name=case.applicant_name, holder_id=case.applicant_id, holder_id_index=case.applicant_id_index,
        holder_id_masked=case.applicant_id_masked, issued_at=clock.now(), valid_from=timezone.localdate(),
        status=status, signing_key=key, signed_data="{}", sm2_signature="-")


@pytest.fixture
def courier_sandbox(sandboxes, settings):
    settings.COURIER_URL = sandboxes.url(COURIER)
    return sandboxes.sandboxes[COURIER]

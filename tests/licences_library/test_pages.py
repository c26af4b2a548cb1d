"""The library's staff pages and 我的证照: who sees which licences, masked numbers, recorded looks."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from shenpi.licences.models import Licence
from shenpi.security.models import SecurityEvent
from tests import factories as f
from tests.applicants.helpers import person_id, real_named, verified

from .builders import issued_case, licence

pytestmark = pytest.mark.django_db


def _issued(lib, **kw) -> Licence:
    return licence(issued_case(lib.planners, lib.plan_item, id_number=kw.pop("id_number", f.PERSON_ID)), **kw)


def test_staff_find_their_departments_licences_by_holder_with_the_number_masked(lib):
    held = _issued(lib)
    planner = lib.client_for(lib.planners["clerk"])
    body = planner.get(reverse("licences:library"), {"holder_id": f.PERSON_ID}).content.decode()
    table = body.split('id="licences"', 1)[1]  # (the search box keeps what was typed)
    assert held.identifier in table and held.holder_id_masked in table and f.PERSON_ID not in table
    events = SecurityEvent.objects.filter(action="personal_data.viewed", target="licences:holder")
    assert events.count() == 1 and events.get().user_id == lib.planners["clerk"].pk
    # Another department's staff find nothing of planning's, and cannot open its page.
    housing = lib.client_for(lib.people["handler"])
    assert held.identifier not in housing.get(reverse("licences:library"), {"holder_id": f.PERSON_ID}).content.decode()
    assert housing.get(reverse("licences:detail", args=[held.identifier])).status_code == 404
    # The comprehensive window cites every department's licences, so it finds them.
    window = lib.client_for(lib.window_clerk)
    assert held.identifier in window.get(reverse("licences:library"), {"holder_id": f.PERSON_ID}).content.decode()


def test_a_mistyped_identifier_is_refused_with_the_reason(lib):
    held = _issued(lib)
    wrong = held.identifier[:-1] + ("0" if held.identifier[-1] != "0" else "1")
    body = lib.client_for(lib.planners["clerk"]).get(reverse("licences:library"), {"identifier": wrong}).content
    assert "校验位不符" in body.decode()


def test_the_licence_page_shows_status_and_citations_and_is_recorded(lib):
    held = _issued(lib)
    materials = {s.pk: {"received": True} for s in lib.item.current_version().materials.all() if s != lib.spec}
    case = f.receive(lib.people["clerk"], lib.item, materials=materials)
    client = lib.client_for(lib.planners["clerk"])
    body = client.get(reverse("licences:detail", args=[held.identifier])).content.decode()
    assert "可引用" in body and case.number in body and held.holder_id_masked in body
    assert SecurityEvent.objects.filter(action="personal_data.viewed", target=f"licence:{held.identifier}").exists()
    Licence.objects.filter(pk=held.pk).update(status=Licence.Status.REVOKED, status_reason="以欺骗手段取得")
    body = client.get(reverse("licences:detail", args=[held.identifier])).content.decode()
    assert "已吊销" in body and "不可引用" in body and "该证照已被吊销。" in body


def test_my_licences_lists_only_the_real_name_verified_holders_own(lib, settings, tmp_path):
    mine = _issued(lib)
    mine.pdf.save("licence.pdf", ContentFile(b"%PDF-1.7 test"), save=True)
    theirs = _issued(lib, id_number=person_id("11010519800101123"))
    applicant = verified(name="张三", id_number=f.PERSON_ID, mobile="13912345678")
    client = Client()
    client.force_login(applicant.user)
    # Before 实名认证 the ID number is only claimed: nothing is shown.
    body = client.get(reverse("applicants:licences")).content.decode()
    assert "实名认证" in body and mine.serial not in body
    assert client.get(reverse("applicants:licence", args=[mine.identifier])).status_code == 404
    real_named(applicant)
    body = client.get(reverse("applicants:licences")).content.decode()
    assert mine.serial in body and theirs.serial not in body
    detail = client.get(reverse("applicants:licence", args=[mine.identifier])).content.decode()
    assert mine.identifier in detail and "下载证照文件" in detail
    pdf = client.get(reverse("applicants:licence_pdf", args=[mine.identifier]))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert client.get(reverse("applicants:licence", args=[theirs.identifier])).status_code == 404
    assert client.get(reverse("applicants:licence_pdf", args=[theirs.identifier])).status_code == 404
    # The account menu links here.
    assert reverse("applicants:licences") in client.get(reverse("applicants:home")).content.decode()

"""一证通办: a material the applicant already holds as a valid e-licence is received by citing it, at
the window and online, and nobody asks for it again; a licence that cannot be relied on is not cited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from shenpi import clock
from shenpi.cases.models import Case, State
from shenpi.errors import InvalidInput
from shenpi.licences.models import Citation, Licence
from shenpi.online import services as online
from tests import factories as f
from tests.applicants.helpers import person_id, real_named, verified
from tests.online.conftest import pdf, upload

from .builders import issued_case, licence

pytestmark = pytest.mark.django_db


def _held(lib, **kw) -> Licence:
    """A 规划许可证 issued by planning to the applicant (f.PERSON_ID by default)."""
    origin = issued_case(lib.planners, lib.plan_item, id_number=kw.pop("id_number", f.PERSON_ID))
    return licence(origin, **kw)


def _all_but_the_licence(lib) -> dict[int, dict]:
    return {s.pk: {"received": True} for s in lib.item.current_version().materials.all() if s.pk != lib.spec.pk}


def test_a_licence_cited_at_the_window_is_not_asked_for_again(lib):
    held = _held(lib)
    case = f.receive(lib.people["clerk"], lib.item, materials=_all_but_the_licence(lib))
    material = case.materials.get(spec=lib.spec)
    assert material.received and not material.deferred and not material.file
    assert material.note == f"一证通办：引用电子证照 {held.identifier}"
    citation = Citation.objects.get(material=material)
    assert citation.licence == held and citation.verified
    assert citation.verification == f"电子证照 已核验（{held.identifier}）"
    # Nothing is missing: the case can be accepted without the paper.
    case = f.services.perform(case, "accept", actor=lib.people["clerk"])
    assert case.state == State.IN_PROGRESS


def test_the_window_form_accepts_without_the_paper_and_the_case_page_shows_it_verified(lib):
    held = _held(lib)
    client = lib.client_for(lib.people["clerk"])
    form = client.get(f"/workbench/accept/?item={lib.item.code}").content.decode()
    assert "一证通办" in form  # the clerk is told this material need not be collected
    data = {"item": lib.item.code, "applicant_kind": "person", "applicant_name": "张三", "id_number": f.PERSON_ID,
            "contact_name": "张三", "phone": "13812341234", "title": "示范小区3号楼", "decision": "accept"}
    for spec in lib.item.current_version().materials.all():
        if spec.pk != lib.spec.pk:
            data[f"m{spec.pk}-received"] = "1"
    response = client.post("/workbench/accept/", data)
    assert response.status_code == 302
    case = Case.objects.get(item=lib.item)
    assert case.state == State.IN_PROGRESS
    assert case.materials.get(spec=lib.spec).citation.licence == held
    page = client.get(f"/workbench/cases/{case.number}/").content.decode()
    assert "电子证照 已核验" in page and held.identifier in page
    assert f"/workbench/licences/library/{held.identifier}/" in page


def test_a_licence_cited_online_is_not_asked_for_again(lib):
    applicant = real_named(verified(name="张三", id_number=f.PERSON_ID, mobile="13912345678"))
    held = _held(lib)
    app = online.start(applicant, lib.item)
    online.save_draft(applicant, app, title="示范小区3号楼", contact_name="张三")
    for spec in lib.item.current_version().materials.all():
        if spec.required and not spec.deferrable and spec.pk != lib.spec.pk:
            online.add_upload(applicant, app, spec.pk, upload(f"{spec.name}.pdf", pdf()))
    rows = {row["spec"].pk: row for row in online.attach_summary(app)}
    assert rows[lib.spec.pk]["licence"] == held and not rows[lib.spec.pk]["missing"]
    app = online.submit(applicant, app, commitment=True)  # not refused for the licence's absence
    case = online.accept(app, lib.people["clerk"])
    material = case.materials.get(spec=lib.spec)
    assert material.received and material.citation.licence == held and material.citation.verified


def test_the_online_page_tells_the_applicant_the_licence_will_be_cited(lib, client):
    applicant = real_named(verified(name="张三", id_number=f.PERSON_ID, mobile="13912345678"))
    held = _held(lib)
    app = online.start(applicant, lib.item)
    client.force_login(applicant.user)
    page = client.get(reverse("online:application", args=[app.number])).content.decode()
    assert "将引用您的电子证照" in page and held.identifier in page


def test_before_real_name_verification_the_applicant_is_still_asked_online(lib):
    applicant = verified(name="张三", id_number=f.PERSON_ID, mobile="13912345678")  # ID only claimed
    _held(lib)
    app = online.start(applicant, lib.item)
    online.save_draft(applicant, app, title="示范小区3号楼", contact_name="张三")
    with pytest.raises(InvalidInput) as refused:
        online.submit(applicant, app, commitment=True)
    assert "建设工程规划许可证" in str(refused.value.fields["materials"])


@pytest.mark.parametrize("why", ["revoked", "cancelled", "replaced", "expired", "not_yet", "someone_else"])
def test_a_licence_that_cannot_be_relied_on_is_not_cited(lib, why):
    today = clock.today()
    kw = {"revoked": {"status": Licence.Status.REVOKED}, "cancelled": {"status": Licence.Status.CANCELLED},
          "replaced": {"status": Licence.Status.REPLACED},
          "expired": {"valid_from": today - dt.timedelta(days=400), "valid_until": today - dt.timedelta(days=1)},
          "not_yet": {"valid_from": today + dt.timedelta(days=1)},
          "someone_else": {"id_number": person_id("11010519800101123")}}[why]
    _held(lib, **kw)
    case = f.receive(lib.people["clerk"], lib.item, materials=_all_but_the_licence(lib))
    material = case.materials.get(spec=lib.spec)
    assert not material.received and not Citation.objects.exists()


def test_a_scan_brought_at_the_window_is_kept_instead_of_a_citation(lib):
    _held(lib)
    materials = _all_but_the_licence(lib)
    materials[lib.spec.pk] = {"received": True, "file": f.stored_scan("规划许可证.png")}
    case = f.receive(lib.people["clerk"], lib.item, materials=materials)
    material = case.materials.get(spec=lib.spec)
    assert material.received and material.file and not Citation.objects.exists()


def test_the_newest_valid_licence_of_the_type_is_cited(lib):
    older = _held(lib)
    newer = _held(lib)
    assert newer.issued_at >= older.issued_at
    case = f.receive(lib.people["clerk"], lib.item, materials=_all_but_the_licence(lib))
    assert case.materials.get(spec=lib.spec).citation.licence == newer


def test_a_correction_notice_at_the_window_does_not_list_a_held_licence(lib):
    _held(lib)
    client = lib.client_for(lib.people["clerk"])
    data = {"item": lib.item.code, "applicant_kind": "person", "applicant_name": "张三", "id_number": f.PERSON_ID,
            "contact_name": "张三", "phone": "13812341234", "title": "示范小区3号楼", "decision": "correct"}
    # Nothing ticked: the first press lists what is missing for the one notice — not the licence.
    response = client.post("/workbench/accept/", data)
    listed = [row.name for row in response.context["missing_rows"] if row.name]
    assert "建筑工程施工许可申请表" in listed and "建设工程规划许可证" not in listed


def test_a_licence_whose_file_no_longer_matches_its_digest_is_not_cited(lib):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from shenpi.crypto import sm3_hex
    from shenpi.licences import library

    held = _held(lib)
    held.pdf.save("licence.pdf", ContentFile(b"%PDF-1.7 issued"), save=False)
    held.pdf_digest = sm3_hex(b"%PDF-1.7 issued")
    held.save()
    assert library.verify_for_citation(held)[0]
    # The stored file replaced after issue.
    default_storage.delete(held.pdf.name)
    assert default_storage.save(held.pdf.name, ContentFile(b"%PDF-1.7 altered")) == held.pdf.name
    assert library.verify_for_citation(held) == (False, "证照文件与发证时的摘要不符。")
    case = f.receive(lib.people["clerk"], lib.item, materials=_all_but_the_licence(lib))
    assert not case.materials.get(spec=lib.spec).received and not Citation.objects.exists()


def test_a_licence_whose_data_no_longer_matches_its_sm2_signature_is_not_cited(lib):
    from shenpi.licences import library

    held = _held(lib)
    assert library.verify_for_citation(held)[0]
    # The data changed in the database after issue: the department's SM2 signature no longer holds.
    Licence.objects.filter(pk=held.pk).update(signed_data=held.signed_data.replace("}", ', "extra": 1}', 1))
    held.refresh_from_db()
    ok, words = library.verify_for_citation(held)
    assert not ok and "SM2" in words
    case = f.receive(lib.people["clerk"], lib.item, materials=_all_but_the_licence(lib))
    assert not case.materials.get(spec=lib.spec).received and not Citation.objects.exists()

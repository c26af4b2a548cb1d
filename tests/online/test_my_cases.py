"""我的办件: an applicant sees their own applications, and once real-name verified the cases filed under their
identifier; nobody else's."""

from shenpi.accounts.models import Role
from shenpi.applicants.services import my_cases
from shenpi.cases import services as case_services
from shenpi.cases.models import ApplicantKind
from shenpi.online import services
from tests import factories as f
from tests.applicants.helpers import client_for, person_id, real_named, uscc

from .conftest import filled, submitted


def test_my_cases_are_mine_only(world):
    clerk = world.people["clerk"]
    online_case = services.accept(submitted(world), clerk)
    # Received at the window under the same ID number: also the applicant's.
    window_case = f.receive(clerk, world.item, name="李四", id_number=person_id().lower())
    # Someone else's, with the same name, and the organisation's.
    stranger = f.receive(clerk, world.item, name="李四", id_number=person_id("11010519851111222"))
    organisation_case = f.receive(clerk, world.item, kind=ApplicantKind.ORGANISATION, name="示范科技有限公司",
                                  id_number=uscc())
    organisation_draft = filled(world, world.organisation)

    # Registered only (mobile verified): what the account filed itself, not what was filed under its ID.
    assert set(my_cases(world.applicant)) == {online_case}
    assert set(my_cases(world.organisation)) == set()
    real_named(world.applicant)
    real_named(world.organisation)
    assert set(my_cases(world.applicant)) == {online_case, window_case}
    assert set(my_cases(world.organisation)) == {organisation_case}

    page = client_for(world.applicant).get("/account/").content.decode()
    assert online_case.number in page and window_case.number in page
    assert stranger.number not in page and organisation_case.number not in page
    assert organisation_draft.number not in page
    other_page = client_for(world.organisation).get("/account/").content.decode()
    assert organisation_case.number in other_page and organisation_draft.number in other_page
    assert online_case.number not in other_page and window_case.number not in other_page


def test_someone_elses_case_application_and_files_do_not_exist_for_me(world):
    clerk = world.people["clerk"]
    mine = submitted(world)
    upload_row = mine.uploads.first()
    case = services.accept(mine, clerk)
    notice = case.notices.first()
    draft = filled(world)

    owner = client_for(world.applicant)
    assert owner.get(f"/account/cases/{case.number}/").status_code == 200
    pdf = owner.get(f"/account/cases/{case.number}/notices/{notice.pk}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert owner.get(f"/apply/{mine.number}/files/{upload_row.pk}/").status_code == 200

    intruder = client_for(world.organisation)
    for url in (f"/account/cases/{case.number}/", f"/account/cases/{case.number}/notices/{notice.pk}.pdf",
                f"/apply/{mine.number}/", f"/apply/{mine.number}/files/{upload_row.pk}/", f"/apply/{draft.number}/"):
        assert intruder.get(url).status_code == 404, url
    spec = world.specs()[0]
    for url, data in ((f"/apply/{draft.number}/save/", {"title": "篡改"}),
                      (f"/apply/{draft.number}/discard/", {}),
                      (f"/apply/{draft.number}/materials/{spec.pk}/", {}),
                      (f"/apply/{draft.number}/files/{draft.uploads.first().pk}/remove/", {})):
        assert intruder.post(url, data).status_code == 404, url
    draft.refresh_from_db()
    assert draft.title == "示范大厦工程" and draft.uploads.count() == 2


def test_my_case_shows_its_steps_but_not_hand_overs_between_staff(world):
    handler = world.people["handler"]
    colleague = f.user(world.dept, Role.HANDLER, full_name="孙接手")
    case = services.accept(submitted(world), world.people["clerk"])
    case = case_services.perform(case, "transfer", actor=handler, params={"to": colleague.pk, "reason": "外出核查"})
    page = client_for(world.applicant).get(f"/account/cases/{case.number}/").content.decode()
    assert "受理" in page and "审查" in page
    assert "转办" not in page and "孙接手" not in page
    assert case.events.filter(action="transfer").exists()

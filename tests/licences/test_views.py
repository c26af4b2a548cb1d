"""The case page's 证照 section and the staff actions behind it."""

import pytest

from shenpi.licences.models import Licence
from tests import factories as f

from .conftest import granted

pytestmark = pytest.mark.django_db


def test_approver_issues_from_the_case_page_and_downloads_the_pdf(client, office):
    _, people, it = office
    case = granted(people, it)
    f.login_staff(client, people["approver"])
    page = client.get(f"/workbench/cases/{case.number}/").content.decode()
    assert "制证" in page
    answer = client.post(f"/workbench/licences/issue/{case.number}/")
    assert answer.status_code == 302
    licence = Licence.objects.get(case=case)
    page = client.get(f"/workbench/cases/{case.number}/").content.decode()
    assert licence.serial in page and "吊销" in page
    pdf = client.get(f"/workbench/licences/issued/{licence.serial}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_revoke_through_the_page_records_who_and_why(client, office, licence):
    _, people, _ = office
    f.login_staff(client, people["approver"])
    client.post(f"/workbench/licences/issued/{licence.serial}/revoke/", {"reason": "违法建设"})
    licence.refresh_from_db()
    assert licence.status == Licence.Status.REVOKED and licence.status_reason == "违法建设"
    assert licence.status_changed_by == people["approver"]


def test_a_handler_may_not_issue_nor_revoke(client, office, licence):
    _, people, it = office
    f.login_staff(client, people["handler"])
    case = granted(people, it, "二号楼")
    assert client.post(f"/workbench/licences/issue/{case.number}/").status_code == 403
    assert client.post(f"/workbench/licences/issued/{licence.serial}/revoke/", {"reason": "x"}).status_code == 403
    assert not Licence.objects.filter(case=case).exists()


def test_another_department_does_not_see_the_licence(client, office, licence):
    other = f.department(name="示范市市场监督管理局")
    stranger = f.user(other, "approver")
    f.login_staff(client, stranger)
    assert client.get(f"/workbench/licences/issued/{licence.serial}/pdf/").status_code == 404

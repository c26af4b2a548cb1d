"""Registering an applicant: identifiers checked by their check character, nothing kept from a refusal,
personal data encrypted at rest, one account per identifier."""

import pytest
from django.db import connection
from django.test import Client

from shenpi.accounts.models import User
from shenpi.applicants import services
from shenpi.applicants.models import Applicant, MobileCode
from shenpi.cases.models import ApplicantKind
from shenpi.crypto import blind_index
from shenpi.errors import InvalidInput
from shenpi.notifications.models import Notification

from .helpers import PASSWORD, last_code, person_id, register, uscc, verified, wrong_check

pytestmark = pytest.mark.django_db


def _counts():
    return (User.objects.count(), Applicant.objects.count(), MobileCode.objects.count(),
            Notification.objects.count())


def test_a_person_registers_and_gets_a_code_by_sms():
    applicant = register(name="李四", id_number=person_id(), mobile="139 1234 5678")
    assert applicant.kind == ApplicantKind.PERSON and not applicant.verified
    assert applicant.id_masked == "110105********1239" and applicant.mobile_masked == "139****5678"
    user = applicant.user
    assert user.department_id is None and not user.roles.exists() and not user.is_staff and not user.is_superuser
    assert user.check_password(PASSWORD) and PASSWORD not in user.password
    [sms] = Notification.objects.filter(template="mobile_code")
    assert sms.channel == "sms" and sms.address == "13912345678" and sms.recipient == user
    assert "用于注册账号，10分钟内有效" in sms.body
    assert len(last_code()) == 6


def test_personal_data_is_encrypted_at_rest_and_found_by_blind_index():
    applicant = register(id_number=person_id(), mobile="13912345678")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, mobile FROM applicants_applicant WHERE id = %s", [applicant.pk])
        raw_id, raw_mobile = cursor.fetchone()
    assert raw_id.startswith("sm4gcm:v1:") and person_id() not in raw_id
    assert raw_mobile.startswith("sm4gcm:v1:") and "13912345678" not in raw_mobile
    assert Applicant.objects.get(pk=applicant.pk).id_number == person_id()
    assert applicant.id_index == blind_index(person_id())


@pytest.mark.parametrize(("kind", "number", "message"), [
    (ApplicantKind.PERSON, wrong_check(person_id()), "身份证号码校验位不正确，请核对。"),
    (ApplicantKind.PERSON, "1101051990030712", "身份证号码应为18位。"),
    (ApplicantKind.PERSON, "110105199002301234", "身份证号码中的出生日期不存在。"),
    (ApplicantKind.ORGANISATION, wrong_check(uscc()), "统一社会信用代码校验位不正确，请核对。"),
    (ApplicantKind.ORGANISATION, "91110105MA01ABCDI3", "统一社会信用代码含有不允许的字符"),
])
def test_a_wrong_identifier_is_refused_with_the_field_message_and_nothing_is_saved(kind, number, message):
    before = _counts()
    with pytest.raises(InvalidInput) as refused:
        register(kind=kind, id_number=number)
    assert refused.value.fields["id_number"][0].startswith(message)
    assert _counts() == before


def test_every_wrong_field_is_named_at_once():
    with pytest.raises(InvalidInput) as refused:
        services.register(services.Registration(kind=ApplicantKind.ORGANISATION, name=" ", id_number=uscc(),
                                                mobile="0571-8765432", password="12345678", contact_name=""))
    fields = refused.value.fields
    assert fields["name"] == ["请填写单位名称。"]
    assert fields["contact_name"] == ["请填写联系人姓名。"]
    assert fields["mobile"] == ["手机号码应为以1开头的11位数字。"]
    assert any("至少12位" in m for m in fields["password"]) and len(fields["password"]) >= 2
    assert "id_number" not in fields
    assert Applicant.objects.count() == 0


def test_an_organisation_registers_with_its_contact_person():
    applicant = register(kind=ApplicantKind.ORGANISATION, name="示范科技有限公司", id_number=uscc().lower(),
                         contact_name="王五")
    assert applicant.id_number == uscc() and applicant.id_masked == "911101********CD13"
    assert applicant.contact_name == "王五" and applicant.user.full_name == "示范科技有限公司"


def test_one_opened_account_per_identifier_the_newcomer_must_reclaim_by_real_name():
    holder = verified(id_number=person_id())
    newcomer = register(id_number=person_id(), mobile="13800000000")  # no refusal: nothing is revealed
    assert Applicant.objects.count() == 2 and not newcomer.verified
    # The right code proves the newcomer's mobile but does not open the account: the identifier is held.
    newcomer = services.verify_registration(newcomer, last_code("138****0000"))
    assert not newcomer.verified and services.mobile_proven_at(newcomer) is not None
    assert services.find_applicant(person_id()) == holder
    assert list(Applicant.objects.filter(mobile_verified_at__isnull=False)) == [holder]


def test_an_unfinished_registration_does_not_hold_the_identifier():
    squatter = register(id_number=person_id(), mobile="13800000001", name="冒用者")
    owner = register(id_number=person_id(), mobile="13912345678", name="李四")
    assert not Applicant.objects.filter(pk=squatter.pk).exists()
    assert not User.objects.filter(pk=squatter.user_id).exists()
    assert Applicant.objects.get().name == "李四" and owner.mobile_masked == "139****5678"
    # The squatter's code was for the other phone and no longer opens anything.
    with pytest.raises(InvalidInput):
        services.verify_registration(owner, last_code("138****0001"))


def test_registration_page_shows_the_field_message_and_keeps_nothing(db):
    client = Client()
    response = client.post("/account/register/", {
        "kind": "person", "name": "李四", "id_number": wrong_check(person_id()), "mobile": "13912345678",
        "password": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 400
    body = response.content.decode()
    assert "身份证号码校验位不正确，请核对。" in body
    assert Applicant.objects.count() == 0 and User.objects.count() == 0


def test_registration_page_for_an_organisation_then_verification_signs_in(db):
    client = Client()
    page = client.get("/account/register/?kind=organisation").content.decode()
    assert "统一社会信用代码" in page and "联系人" in page
    response = client.post("/account/register/", {
        "kind": "organisation", "name": "示范科技有限公司", "id_number": uscc(), "contact_name": "王五",
        "mobile": "13912345678", "password": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/account/verify/"
    assert "139****5678" in client.get("/account/verify/").content.decode()
    response = client.post("/account/verify/", {"code": last_code()})
    assert response.status_code == 302 and response["Location"] == "/account/"
    page = client.get("/account/").content.decode()
    assert "示范科技有限公司" in page and "我的办件" in page
    assert Applicant.objects.get().verified


def test_mismatched_passwords_are_refused_on_the_page(db):
    response = Client().post("/account/register/", {
        "kind": "person", "name": "李四", "id_number": person_id(), "mobile": "13912345678",
        "password": PASSWORD, "password2": PASSWORD + "x"})
    assert response.status_code == 400 and "两次输入的密码不一致。" in response.content.decode()
    assert Applicant.objects.count() == 0

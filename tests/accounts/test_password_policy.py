"""The password policy of staff and applicants: 12 characters, 3 of 4 character classes, none of the last 5."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from shenpi import clock
from shenpi.accounts.models import PasswordHistory
from shenpi.applicants import services
from shenpi.demo import generator
from shenpi.errors import InvalidInput
from tests import factories as f
from tests.applicants.helpers import last_code, person_id, verified
from tests.factories import login_staff

pytestmark = pytest.mark.django_db


def _messages(password: str, user=None) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    return refused.value.messages


def test_twelve_characters_at_least():
    assert "密码至少12位，当前只有11位。" in _messages("Abcdefg-123")
    validate_password("Abcdefgh-123")


@pytest.mark.parametrize(("password", "missing"), [
    ("abcdefghijklmn", "大写字母、数字、符号"),
    ("abcdefghijk12", "大写字母、符号"),
    ("ABCDEFGH-IJKL", "小写字母、数字"),
    ("审批平台审批平台审批平台1a", "大写字母、符号"),  # Chinese characters add length, not classes
])
def test_three_of_four_character_classes(password, missing):
    assert (f"密码须包含大写字母、小写字母、数字、符号中的至少3类，当前缺少：{missing}。"
            in _messages(password))


@pytest.mark.parametrize("password", ["abcdefgh-123", "ABCDEFGH-123", "Abcdefgh-xyz", "Abcdefgh1234"])
def test_any_three_classes_will_do(password):
    validate_password(password)


def test_the_demo_passwords_satisfy_the_policy():
    for _ in range(200):
        validate_password(generator.new_password())


def test_only_hashes_of_the_last_five_are_kept_and_none_may_come_back():
    user = f.user(f.department(), "clerk")
    passwords = [f"Shenpi-round-{n:02d}" for n in range(7)]
    for password in passwords:
        validate_password(password, user)
        user.set_password(password)
        user.save()
    history = list(PasswordHistory.objects.filter(user=user).values_list("password", flat=True))
    assert len(history) == 5
    assert not any(p in h for h in history for p in passwords) and all(h.count("$") >= 2 for h in history)
    for recent in passwords[2:]:
        assert "新密码不能与最近5次使用过的密码相同。" in _messages(recent, user)
    validate_password(passwords[1], user)  # the sixth last is allowed again


def test_the_admins_password_form_applies_it(admin_client_and_user):
    client, user = admin_client_and_user
    staff = f.user(f.department(), "handler")
    staff.set_password("Shenpi-first-2026")
    staff.save()
    url = f"/admin/accounts/user/{staff.pk}/password/"
    response = client.post(url, {"password1": "Shenpi-first-2026", "password2": "Shenpi-first-2026"})
    assert response.status_code == 200 and "新密码不能与最近5次使用过的密码相同。" in response.content.decode()
    response = client.post(url, {"password1": "short", "password2": "short"})
    assert "密码至少12位，当前只有5位。" in response.content.decode()


@pytest.fixture
def admin_client_and_user():
    user = f.user(f.department(), "admin")
    user.is_staff = user.is_superuser = True
    user.save()
    client = login_staff(Client(), user)
    return client, user


def test_an_applicant_reset_cannot_bring_back_the_current_password(settings):
    from tests.applicants.helpers import PASSWORD

    applicant = verified(id_number=person_id())
    clock.set_now(clock.now() + dt.timedelta(minutes=2))
    assert services.start_password_reset(person_id(), "13912345678") is not None
    code = last_code()
    with pytest.raises(InvalidInput) as refused:
        services.reset_password(applicant, code, PASSWORD)
    assert refused.value.fields["password"] == ["新密码不能与最近5次使用过的密码相同。"]
    # The code is still good for a new password.
    services.reset_password(applicant, code, "Xin-mima-2026-ok")
    applicant.user.refresh_from_db()
    assert applicant.user.check_password("Xin-mima-2026-ok")


def test_a_reset_says_nothing_of_past_passwords_before_the_code_is_right():
    from tests.applicants.helpers import PASSWORD

    applicant = verified(id_number=person_id())
    clock.set_now(clock.now() + dt.timedelta(minutes=2))  # past the resend limit of the registration code
    services.start_password_reset(person_id(), "13912345678")
    with pytest.raises(InvalidInput) as refused:
        services.reset_password(applicant, "000000" if last_code() != "000000" else "111111", PASSWORD)
    assert "password" not in refused.value.fields and "code" in refused.value.fields


def test_registration_refuses_a_weak_password():
    from shenpi.cases.models import ApplicantKind

    with pytest.raises(InvalidInput) as refused:
        services.register(services.Registration(kind=ApplicantKind.PERSON, name="李四", id_number=person_id(),
                                                mobile="13912345678", password="lisi20262026", contact_name=""))
    expected = "密码须包含大写字母、小写字母、数字、符号中的至少3类，当前缺少：大写字母、符号。"
    assert expected in refused.value.fields["password"]

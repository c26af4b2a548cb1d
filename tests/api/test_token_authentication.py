"""The API's token check loads the same user and token as the ORM, with department, roles and
scope, in one query; tokens are kept as digests, expire, can be revoked, and a superuser's is refused."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIClient

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.api import tokens
from shenpi.api.authentication import TokenAuthentication, load_token
from shenpi.api.models import ApiToken
from shenpi.errors import InvalidInput
from tests import factories as f

from .conftest import CASES

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_user_token_and_department_equal_what_the_orm_loads(org, django_assert_num_queries):
    handler = org.people["handler"]
    handler.roles.add(Role.REVIEWER)
    key = f.api_token(handler)
    TokenAuthentication().authenticate_credentials(key)  # the first use in a minute notes the time
    with django_assert_num_queries(1):
        user, token = TokenAuthentication().authenticate_credentials(key)
        assert user.role_codes() == {Role.HANDLER, Role.REVIEWER}
        assert user.department.comprehensive is False
        assert token.user is user
        assert token.scope == tokens.Scope(departments=(org.dept.pk,), items=(), act=True)
    expected = ApiToken.objects.select_related("user__department").get(key_hash=tokens.digest(key))
    assert _fields(token) == _fields(expected)
    assert _fields(user) == _fields(expected.user)
    assert _fields(user.department) == _fields(expected.user.department)
    for name, value in _fields(user).items():  # the backend's own types: datetimes, booleans
        assert type(value) is type(getattr(expected.user, name)), name
    assert type(token.created_at) is type(expected.created_at)
    assert type(token.department_ids) is type(expected.department_ids) is list


def test_only_a_digest_of_the_key_is_stored(org, capsys):
    call_command("token", "create", org.people["clerk"].username, "--name", "住建局业务系统")
    key = capsys.readouterr().out.strip().splitlines()[-1]
    token = ApiToken.objects.get()
    assert key.startswith(token.prefix + "_") and len(key) > 50
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apitoken")
        row = " ".join(str(value) for value in cursor.fetchone())
    assert key not in row and key[len(token.prefix) + 1:] not in row
    assert token.key_hash == tokens.digest(key) and token.can_act is False
    assert token.expires_at == token.created_at + dt.timedelta(days=90)
    call_command("token", "list")
    listed = capsys.readouterr().out
    assert token.prefix in listed and key not in listed and "ZJJ" not in listed and "本部门/全部事项/只读" in listed


def test_last_use_is_noted_at_most_once_a_minute(org, django_assert_num_queries):
    key = f.api_token(org.people["clerk"])
    with django_assert_num_queries(2):  # the token, and the note of its use
        TokenAuthentication().authenticate_credentials(key)
    first = ApiToken.objects.get().last_used_at
    assert first == clock.now()
    clock.set_now(first + dt.timedelta(seconds=59))
    with django_assert_num_queries(1):
        TokenAuthentication().authenticate_credentials(key)
    clock.set_now(first + dt.timedelta(seconds=61))
    TokenAuthentication().authenticate_credentials(key)
    assert ApiToken.objects.get().last_used_at == first + dt.timedelta(seconds=61)


def test_a_user_without_department_must_name_departments(db):
    loner = User.objects.create_user(username="api-reader", password="Shenpi-test-2026")
    with pytest.raises(InvalidInput, match="请指定令牌可访问的部门"):
        f.api_token(loner)
    dept = f.department("市场监督管理局", code="SCJG")
    user, token = TokenAuthentication().authenticate_credentials(f.api_token(loner, departments=[dept]))
    assert user.department is None and user.department_id is None
    assert user.role_codes() == frozenset() and not user.sees_all_departments
    assert token.scope.departments == (dept.pk,)


def test_superusers_get_no_token_and_a_superuser_s_token_is_refused(org, caplog):
    root = User.objects.create_superuser(username="root", password="Shenpi-test-2026")
    with pytest.raises(InvalidInput, match="不能为超级用户创建接口令牌"):
        f.api_token(root)
    # A token made before its holder became a superuser (or carried over from DRF's).
    key = f.api_token(org.people["handler"])
    User.objects.filter(pk=org.people["handler"].pk).update(is_superuser=True)
    caplog.set_level("INFO", logger="shenpi.security")
    response = APIClient().get(CASES, HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401
    assert response.json()["detail"] == tokens.SUPERUSER_REFUSED
    assert any(r.getMessage().startswith("token.refused denied") for r in caplog.records)


def test_expired_and_revoked_tokens_are_refused(org, capsys):
    key = f.api_token(org.people["handler"], days=1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(CASES).status_code == 200
    clock.set_now(clock.now() + dt.timedelta(days=1))
    response = client.get(CASES)
    assert response.status_code == 401 and response.json()["detail"] == tokens.EXPIRED
    fresh = f.api_token(org.people["handler"])
    client.credentials(HTTP_AUTHORIZATION=f"Token {fresh}")
    assert client.get(CASES).status_code == 200
    call_command("token", "revoke", fresh.split("_")[0] + "_" + fresh.split("_")[1])
    assert "已撤销" in capsys.readouterr().out
    response = client.get(CASES)
    assert response.status_code == 401 and response.json()["detail"] == tokens.REVOKED


def test_a_lifetime_beyond_the_maximum_is_refused(org):
    with pytest.raises(InvalidInput, match="令牌有效期应为1至365天"):
        f.api_token(org.people["handler"], days=366)


def test_unknown_keys_and_inactive_users_are_refused(org):
    assert load_token("0" * 40) is None
    with pytest.raises(AuthenticationFailed, match="认证令牌无效"):
        TokenAuthentication().authenticate_credentials("0" * 40)
    clerk = org.people["clerk"]
    key = f.api_token(clerk)
    clerk.is_active = False
    clerk.save()
    with pytest.raises(AuthenticationFailed, match="账号已停用"):
        TokenAuthentication().authenticate_credentials(key)

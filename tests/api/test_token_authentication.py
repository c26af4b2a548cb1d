"""The API's token check loads the same user as DRF's, with department and roles, in one query."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from shenpi.accounts.models import Role, User
from shenpi.api.authentication import TokenAuthentication, load_token
from tests import factories as f

pytestmark = pytest.mark.django_db


def _key(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_user_token_and_department_equal_what_the_orm_loads(org, django_assert_num_queries):
    handler = org.people["handler"]
    handler.roles.add(Role.REVIEWER)
    key = _key(handler)
    with django_assert_num_queries(1):
        user, token = TokenAuthentication().authenticate_credentials(key)
        assert user.role_codes() == {Role.HANDLER, Role.REVIEWER}
        assert user.department.comprehensive is False
        assert token.user is user
    expected = Token.objects.select_related("user__department").get(key=key)
    assert _fields(token) == _fields(expected)
    assert _fields(user) == _fields(expected.user)
    assert _fields(user.department) == _fields(expected.user.department)
    for name, value in _fields(user).items():  # the backend's own types: datetimes, booleans
        assert type(value) is type(getattr(expected.user, name)), name
    assert type(token.created) is type(expected.created)


def test_a_user_without_department_or_roles(db):
    loner = User.objects.create_user(username="api-reader", password="Shenpi-test-2026")
    user, _ = TokenAuthentication().authenticate_credentials(_key(loner))
    assert user.department is None and user.department_id is None
    assert user.role_codes() == frozenset() and not user.sees_all_departments


def test_centre_wide_roles_and_superusers_are_recognised(org):
    supervisor = f.user(None, Role.SUPERVISOR)
    user, _ = TokenAuthentication().authenticate_credentials(_key(supervisor))
    assert user.sees_all_departments
    root = User.objects.create_superuser(username="root", password="Shenpi-test-2026")
    user, _ = TokenAuthentication().authenticate_credentials(_key(root))
    assert user.is_superuser is True and user.sees_all_departments


def test_unknown_keys_and_inactive_users_are_refused(org):
    assert load_token("0" * 40) is None
    with pytest.raises(AuthenticationFailed, match="认证令牌无效"):
        TokenAuthentication().authenticate_credentials("0" * 40)
    clerk = org.people["clerk"]
    key = _key(clerk)
    clerk.is_active = False
    clerk.save()
    with pytest.raises(AuthenticationFailed):
        TokenAuthentication().authenticate_credentials(key)

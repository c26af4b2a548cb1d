"""Staff accounts in the admin, and who may enter the admin at all."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from shenpi.accounts.models import Role, User
from shenpi.catalog.models import Window
from tests import factories as f

pytestmark = pytest.mark.django_db

PASSWORD = "Shenpi-test-2026"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Argon2 costs seconds per user on a busy machine; one test below checks the real hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def dept():
    return f.department()


@pytest.fixture
def window(dept):
    return Window.objects.create(department=dept, number="A01", name="建设窗口")


def user_url(view="changelist", *args):
    return reverse(f"admin:accounts_user_{view}", args=args)


def staff_keeper(dept):
    """A centre administrator allowed to keep staff accounts, without being a superuser."""
    keeper = f.user(dept, Role.ADMIN, is_staff=True)
    keeper.user_permissions.set(Permission.objects.filter(content_type__app_label="accounts"))
    return keeper


def test_a_workbench_user_cannot_reach_the_admin(client, dept):
    clerk = f.user(dept, Role.CLERK, username="clerk1")
    f.login_staff(client, clerk)
    for page in (reverse("admin:index"), user_url(), reverse("admin:catalog_item_changelist")):
        response = client.get(page)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    client.logout()
    # The right password is still not enough: the admin login refuses accounts that are not staff.
    response = client.post(reverse("admin:login"), {"username": "clerk1", "password": PASSWORD})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("admin:index")).status_code == 302


def test_staff_without_admin_rights_see_nothing(client, dept):
    bare = f.user(dept, Role.HANDLER, is_staff=True)
    f.login_staff(client, bare)
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert index.context["app_list"] == []
    for page in (user_url(), user_url("add"), reverse("admin:catalog_itemversion_changelist"),
                 reverse("admin:catalog_department_changelist"), reverse("admin:cases_case_changelist")):
        assert client.get(page).status_code == 403, page


def test_user_pages_load_with_chinese_labels_and_role_checkboxes(admin_client, dept, window):
    person = f.user(dept, Role.CLERK, Role.HANDLER, full_name="李四")
    listing = admin_client.get(user_url())
    assert listing.status_code == 200
    assert "李四" in listing.text and "窗口人员、承办人" in listing.text
    change = admin_client.get(user_url("change", person.pk))
    assert change.status_code == 200
    for label in ("所属部门", "所在窗口", "角色", "在岗", "岗位"):
        assert label in change.text
    assert 'type="checkbox" name="roles" value="handler"' in change.text
    add = admin_client.get(user_url("add"))
    assert add.status_code == 200 and 'name="password1"' in add.text
    assert admin_client.get(reverse("admin:auth_user_password_change", args=[person.pk])).status_code == 200


def test_superuser_creates_a_staff_account(admin_client, dept, window, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    data = {"username": "wangwu", "full_name": "王五", "password1": "Kaifaqu-2026-chuang", "password2":
            "Kaifaqu-2026-chuang", "department": dept.pk, "window": window.pk, "roles": [Role.CLERK, Role.HANDLER],
            "on_duty": "on"}
    response = admin_client.post(user_url("add"), data)
    assert response.status_code == 302
    made = User.objects.get(username="wangwu")
    assert (made.full_name, made.department, made.window, made.on_duty) == ("王五", dept, window, True)
    assert made.role_codes() == {Role.CLERK, Role.HANDLER}
    assert made.password.startswith("argon2$")
    assert made.check_password("Kaifaqu-2026-chuang")
    assert not made.is_staff and not made.is_superuser


def test_weak_passwords_and_mismatched_windows_are_refused(admin_client, dept, window):
    other = f.department(name="交通运输局")
    data = {"username": "zhao", "full_name": "赵六", "password1": "12345678", "password2": "12345678",
            "department": other.pk, "window": window.pk, "roles": [Role.CLERK]}
    response = admin_client.post(user_url("add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "window" in errors and "与所属部门不一致" in errors["window"][0]
    assert "password2" in errors
    assert not User.objects.filter(username="zhao").exists()


def test_changing_a_user_keeps_the_password_and_sets_roles(admin_client, dept, window):
    person = f.user(dept, Role.CLERK, username="sunqi", full_name="孙七")
    old_hash = person.password
    data = {"username": "sunqi", "full_name": "孙七", "email": "", "department": dept.pk, "window": window.pk,
            "roles": [Role.REVIEWER], "is_active": "on", "date_joined_0": "2026-01-05", "date_joined_1": "09:00:00"}
    response = admin_client.post(user_url("change", person.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    person.refresh_from_db()
    assert person.role_codes() == {Role.REVIEWER}
    assert person.on_duty is False  # unticked
    assert person.window == window
    assert person.password == old_hash


def test_a_staff_keeper_cannot_grant_admin_powers_or_touch_superusers(client, dept, admin_user):
    keeper = staff_keeper(dept)
    person = f.user(dept, Role.CLERK, username="zhou", full_name="周八")
    f.login_staff(client, keeper)
    data = {"username": "zhou", "full_name": "周八", "department": dept.pk, "roles": [Role.CLERK],
            "is_active": "on", "is_staff": "on", "is_superuser": "on", "date_joined_0": "2026-01-05",
            "date_joined_1": "09:00:00", "user_permissions": [Permission.objects.first().pk]}
    response = client.post(user_url("change", person.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    person.refresh_from_db()
    assert person.is_staff  # the keeper may let someone into the admin…
    assert not person.is_superuser  # …but not make them a superuser
    assert not person.user_permissions.exists()
    assert client.post(reverse("admin:auth_user_password_change", args=[admin_user.pk]),
                       {"password1": "Duoqu-2026-mima", "password2": "Duoqu-2026-mima"}).status_code == 403
    assert client.post(user_url("change", admin_user.pk), {"username": "taken"}).status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.username == "admin" and admin_user.check_password("password")


def test_roles_are_a_read_only_list(admin_client, dept):
    f.user(dept, Role.CLERK)
    listing = admin_client.get(reverse("admin:accounts_role_changelist"))
    assert listing.status_code == 200
    assert "中心管理员" in listing.text
    assert [(r.code, r.staff_total) for r in listing.context["cl"].result_list if r.code == Role.CLERK] == [
        (Role.CLERK, 1)]
    change = admin_client.get(reverse("admin:accounts_role_change", args=[Role.CLERK]))
    assert change.status_code == 200 and change.context["has_change_permission"] is False
    assert admin_client.post(reverse("admin:accounts_role_change", args=[Role.CLERK]),
                             {"code": Role.CLERK, "name": "改名"}).status_code == 403
    assert admin_client.get(reverse("admin:accounts_role_add")).status_code == 403
    assert Role.objects.get(code=Role.CLERK).name == "窗口人员"


def test_the_admin_keeps_stand_ins_and_absences_with_the_same_checks(client, dept):
    from shenpi.accounts.models import Absence, StandIn

    admin = f.user(None, Role.ADMIN, is_staff=True, is_superuser=True)
    a, b = f.user(dept, Role.HANDLER), f.user(dept, Role.HANDLER)
    elsewhere = f.user(f.department("市交通运输局"), Role.HANDLER)
    f.login_staff(client, admin)
    url = reverse("admin:accounts_standin_add")
    response = client.post(url, {"principal": a.pk, "stand_in": elsewhere.pk})
    assert response.status_code == 200 and "AB角须为同一部门的同事。" in response.content.decode()
    assert client.post(url, {"principal": a.pk, "stand_in": b.pk}).status_code == 302
    pairing = StandIn.objects.get(principal=a)
    assert pairing.stand_in == b and pairing.recorded_by == admin
    url = reverse("admin:accounts_absence_add")
    response = client.post(url, {"user": a.pk, "starts_on": "2026-11-20", "ends_on": "2026-11-18", "reason": "出差"})
    assert response.status_code == 200 and "结束日期不能早于开始日期。" in response.content.decode()
    assert client.post(url, {"user": a.pk, "starts_on": "2026-11-18", "ends_on": "2026-11-20",
                             "reason": "出差"}).status_code == 302
    assert Absence.objects.get(user=a).recorded_by == admin
